// TrackerHarness: feeds raw log lines through ParseLine into a MessageTracker and
// records what it emits. For tracker scenario tests.
#ifndef MAILTRAIL_TESTS_SUPPORT_TRACKER_HARNESS_H_
#define MAILTRAIL_TESTS_SUPPORT_TRACKER_HARNESS_H_

#include <functional>
#include <string>
#include <vector>

#include "agent/track/tracker.h"
#include "parsers/line_parser.h"

namespace mailtrail {

class RecordingSink : public RecordSink {
 public:
  void OnRecord(MessageRecord&& r) override { records.push_back(std::move(r)); }
  void OnDelivery(const MessageRecord& open, size_t i) override {
    if (on_delivery) on_delivery(open, i);
  }
  std::vector<MessageRecord> records;
  std::function<void(const MessageRecord&, size_t)> on_delivery;
};

class TrackerHarness {
 public:
  explicit TrackerHarness(TrackerOptions options = {}) : tracker_(options, &sink_) {
    ctx_.year = 2026;
  }
  void Feed(const std::vector<std::string>& lines) {
    for (const auto& l : lines) tracker_.Process(ParseLine(l, ctx_));
  }
  void Flush() { tracker_.FlushAll(); }
  // Called at each delivery, on the open record (RecordSink::OnDelivery).
  void OnDelivery(std::function<void(const MessageRecord&, size_t)> f) {
    sink_.on_delivery = std::move(f);
  }
  std::vector<MessageRecord>& records() { return sink_.records; }
  MessageTracker& tracker() { return tracker_; }
  // The only emitted record with this qid; fails the test if not exactly one.
  const MessageRecord* One(const std::string& qid) const {
    const MessageRecord* found = nullptr;
    for (const auto& r : sink_.records) {
      if (r.qid != qid) continue;
      if (found) return nullptr;
      found = &r;
    }
    return found;
  }

 private:
  ParseContext ctx_;
  RecordingSink sink_;
  MessageTracker tracker_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_TRACKER_HARNESS_H_
