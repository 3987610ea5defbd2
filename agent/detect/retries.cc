// FloodDetector::RetryOfARefusal: a notice refused for now is sent again, and
// counts once (flood_detector.h). An IP block answers 450: the blocked MTA
// kept the refused notices and sent them again when the block ended, in a
// burst the IP rule took for a new flood, and the block came back with its
// period doubled: 1 h, 2 h, ... 64 h from one burst of 300 notices
// (helper-134 F2, tests/detect/retry_waves.py). Greylisting counted each
// greylisted notice twice.
//
// Which later bounce is the retry of which refusal cannot be told (a refused
// notice showed no Message-ID, and one user forged as the sender gets many
// notices). A source gets as many credits as it had refusals in any
// kRetryGap: no MTA tries one notice again sooner (Postfix's
// minimal_backoff_time is 300 s; Exim's first retry 15 min), so that many
// were distinct notices waiting. A flood that goes on past its block's end
// spends them in its first minutes, then counts again.
#include "agent/detect/flood_detector.h"

namespace mailtrail {

namespace {

// Refused at RCPT with a 4xx before a queue id (NOQUEUE): its MTA keeps it
// and sends it again.
bool RefusedForNow(const MessageRecord& r) {
  return r.qid.empty() && r.reject && r.reject->stage == "RCPT" && r.reject->code >= 400 &&
         r.reject->code < 500;
}
}  // namespace

bool FloodDetector::RetryOfARefusal(const MessageRecord& r) {
  const TimeUs t = r.first_seen;
  const std::string& ip = r.client_ip;
  if (RefusedForNow(r)) {
    if (!Admit(refusals_, &next_refusal_sweep_, ip, o_.max_ips, kRetryHorizon, t)) return false;
    auto [it, fresh] = refusals_.try_emplace(ip);
    Refusals& s = it->second;
    if (fresh) s.recent = Ring(kRetryGap, o_.buckets);
    if (s.until < t) s.credits = 0;  // its earlier notices went, or expired
    s.recent.Add(t);
    s.credits = std::max(s.credits, s.recent.Count(s.recent.WindowEnd(t)));
    s.until = t + kRetryHorizon;
    s.last = std::max(s.last, t);
    return false;  // the refusal counts, as the notice
  }
  auto it = refusals_.find(ip);
  if (it == refusals_.end() || it->second.credits <= 0 || it->second.until < t) return false;
  --it->second.credits;
  return true;
}

}  // namespace mailtrail
