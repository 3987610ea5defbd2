// Agent, queue files: what the QueueWatcher read from a message's queue file
// (agent/queue) fills what the log did not say: the open records as the
// files are read, the records as they close, the detector's deliveries.
#include <optional>
#include <string>
#include <string_view>

#include "agent/run/agent.h"
#include "base/text.h"

namespace mailtrail {

namespace {
// Fills what the log did not say from the message's queue file. True if it did.
bool FillFromQueueFile(const QueueHints& h, MessageRecord* r) {
  bool changed = false;
  auto fill = [&](std::optional<std::string>* field, std::string_view value) {
    if (*field || value.empty()) return;
    *field = CapField(value);
    changed = true;
  };
  fill(&r->subject, h.subject);
  fill(&r->header_from, h.from);
  std::string_view mid = h.message_id;
  if (mid.size() >= 2 && mid.front() == '<' && mid.back() == '>')
    mid = mid.substr(1, mid.size() - 2);
  fill(&r->message_id, mid);
  // A DSN by its Content-Type: a bounce even with a sender and From: of a person.
  std::string ct = AsciiLower(h.content_type);
  if (!r->dsn_report && ct.find("multipart/report") != std::string::npos &&
      ct.find("delivery-status") != std::string::npos) {
    r->dsn_report = true;
    changed = true;
  }
  return changed;
}

// How long a queue file read before its message's first log line waits for it.
constexpr TimeUs kHintWait = 60 * kUsPerSecond;
}  // namespace

bool Agent::FillFromQueue(MessageRecord* r) const {
  if (r->qid.empty()) return false;
  auto h = options_.queue_hints->Get(r->qid);
  return h && FillFromQueueFile(*h, r);
}

// When a record closes: what its queue file said, if it was read.
void Agent::Enrich(MessageRecord* r) {
  if (FillFromQueue(r)) ++enriched_;
}

void Agent::KeepQueueHints() {
  const TimeUs now = clock_->MonotonicNow();
  for (std::string& qid : options_.queue_hints->TakeFresh())
    hints_waiting_.emplace_back(std::move(qid), now);
  const size_t n = hints_waiting_.size();
  for (size_t i = 0; i < n; ++i) {
    std::string qid = std::move(hints_waiting_.front().first);
    const TimeUs since = hints_waiting_.front().second;
    hints_waiting_.pop_front();
    std::optional<QueueHints> h;  // copied out of the cache only for an open record
    bool changed = false;
    const bool open = tracker_.FillOpen(qid, [&](MessageRecord* r) {
      if (!h) h = options_.queue_hints->Get(qid);
      const bool filled = h && FillFromQueueFile(*h, r);
      changed |= filled;
      return filled;
    });
    if (changed) {
      ++hints_kept_;
      ++enriched_;
      dirty_ = true;
    }
    if (!open && now - since < kHintWait) hints_waiting_.emplace_back(std::move(qid), since);
  }
}

}  // namespace mailtrail
