// FloodDetector's fleet-wide counting (issue 19 item 9): agents sharing a store
// publish their window counts by bucket of log time (FleetCounts) and add the
// others' to their own (SetFleetCounts), so that a flood spread over several
// MXes, each below the thresholds, is seen as one MX receiving all of it would.
// They share the mail they relayed too (AddFleetAnswers), so that notices
// answering it are recognised by whichever agent receives them.
// A bucket counts for a window as the ring's own slots do: the `buckets`
// slots up to and including the one of `now`.
#include <algorithm>

#include "agent/detect/flood_detector.h"

namespace mailtrail {

namespace {
// What one agent may hand over: beyond it, the rest is ignored (a store written
// by a damaged or hostile agent must not grow this one without bound).
constexpr size_t kMaxOtherRows = 500000;
}  // namespace

std::vector<WindowCount> FloodDetector::FleetCounts(TimeUs now) const {
  std::vector<WindowCount> out;
  auto ring = [&](const std::string& key, const Ring& r) {
    const int64_t oldest = r.Bucket(now) - static_cast<int64_t>(r.slots_.size()) + 1;
    for (const auto& [idx, n] : r.slots_)
      if (idx >= oldest && n > 0) out.push_back({"", key, idx * r.width_, n});
  };
  for (const auto& [ip, s] : ips_) ring("i\t" + ip, s.ring);
  const TimeUs width = std::max<TimeUs>(1, o_.subject_window / std::max(1, o_.buckets));
  for (const auto& [key, s] : subjects_) {
    if (s.last + o_.subject_window < now) continue;  // idle: nothing in the window
    ring("s\t" + key, s.ring);
    for (const auto& c : s.ips) {
      // A host of ours is no source of a flood here, nor at the others
      // (helper-152 F1: our relays' NDRs to our users made a fleet's flood).
      if (NeverCounted(c.ip)) continue;
      Buckets b;
      for (TimeUs t : c.recent)
        if (t >= now - o_.subject_window) ++b[t - ((t % width) + width) % width];  // rounded down
      for (const auto& [start, n] : b) out.push_back({"", "c\t" + key + "\t" + c.ip, start, n});
    }
  }
  return out;
}

void FloodDetector::SetFleetCounts(const std::vector<WindowCount>& others) {
  others_ips_.clear();
  others_subjects_.clear();
  others_sources_.clear();
  others_rows_ = 0;
  for (const WindowCount& c : others) {
    if (++others_rows_ > kMaxOtherRows) break;
    const std::string_view k = c.key;
    if (k.size() < 3 || k[1] != '\t' || c.count <= 0) continue;
    const std::string_view rest = k.substr(2);
    if (k[0] == 'i') {
      others_ips_[std::string(rest)][c.bucket] += c.count;
    } else if (k[0] == 's') {
      others_subjects_[std::string(rest)][c.bucket] += c.count;
    } else if (k[0] == 'c') {
      const size_t tab = rest.rfind('\t');  // an IP holds no tab; a subject may
      if (tab == std::string_view::npos) continue;
      others_sources_[std::string(rest.substr(0, tab))][std::string(rest.substr(tab + 1))]
                     [c.bucket] += c.count;
    }
  }
}

void FloodDetector::CheckFleet(TimeUs now, const std::string& host, std::vector<Decision>* out) {
  for (const auto& [ip, theirs] : others_ips_) {
    // An IPv6 /64 is decided at a bounce of it here (CountBounce), where it
    // is known whether one address reached the rate alone: decided here, one
    // address flooding two MXes got its whole /64 blocked (helper-153 F1).
    if (ip.find('/') != std::string::npos) continue;
    auto it = ips_.find(ip);
    if (it == ips_.end() || it->second.decided_until > now) continue;
    const TimeUs end = it->second.ring.WindowEnd(now);
    const int n = it->second.ring.Count(end) + InWindow(&theirs, o_.ip_window, end);
    if (n < o_.ip_bounces) continue;
    MessageRecord r;  // what DecideIp takes from the deciding record
    r.last_seen = now;
    r.host = host;
    DecideIp(ip, r, "backscatter-ip",
             "backscatter: " + std::to_string(n) + " bounces from " + ip + " within " +
                 std::to_string(o_.ip_window / kUsPerSecond) + " s, fleet-wide",
             it->second.evidence, out);
  }
}

const FloodDetector::Buckets* FloodDetector::Others(
    const std::unordered_map<std::string, Buckets>& m, const std::string& key) const {
  if (m.empty()) return nullptr;
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

int FloodDetector::InWindow(const Buckets* b, TimeUs window, TimeUs now) const {
  if (b == nullptr) return 0;
  const int buckets = std::max(1, o_.buckets);
  const TimeUs width = std::max<TimeUs>(1, window / buckets);
  const TimeUs oldest = (now / width - buckets + 1) * width;
  int n = 0;
  for (const auto& [start, count] : *b)
    if (start >= oldest && start <= now) n += count;
  return n;
}

bool FloodDetector::FleetQualified(const std::string& key, const SubjectState::Client& c,
                                   TimeUs now) const {
  if (Qualified(c, now)) return true;
  auto subject = others_sources_.find(key);
  if (subject == others_sources_.end()) return false;
  auto theirs = subject->second.find(c.ip);
  if (theirs == subject->second.end()) return false;
  int mine = 0;
  for (TimeUs t : c.recent) mine += t >= now - o_.subject_window;
  return mine + InWindow(&theirs->second, o_.subject_window, now) >= o_.subject_source_bounces;
}

std::vector<std::string> FloodDetector::OthersOnlySources(const std::string& key,
                                                          const SubjectState& s, TimeUs now) const {
  std::vector<std::string> out;
  auto subject = others_sources_.find(key);
  if (subject == others_sources_.end()) return out;
  for (const auto& [ip, b] : subject->second) {
    if (NeverCounted(ip)) continue;  // an older agent published it
    bool mine = false;
    for (const auto& x : s.ips) mine |= x.ip == ip;
    if (!mine && InWindow(&b, o_.subject_window, now) >= o_.subject_source_bounces)
      out.push_back(ip);
  }
  return out;
}

void FloodDetector::AddFleetAnswers(const AnswerExchange& x, TimeUs now) {
  fleet_answers_ += static_cast<int64_t>(outbound_.AddShared(x.theirs, now));
  answer_cursor_ = x.cursor;
}

void FloodDetector::KeepUnsentAnswers(const std::vector<SharedAnswer>& mine, TimeUs not_before) {
  outbound_.KeepUnshared(mine, not_before);
}

}  // namespace mailtrail
