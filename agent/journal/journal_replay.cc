#include "agent/journal/journal_replay.h"

#include <chrono>
#include <thread>

#include "parsers/line_parser.h"

namespace mailtrail {

namespace {

class ReplayLines : public LineHandler {
 public:
  ReplayLines(MessageTracker* tracker, LineCounter* counter)
      : tracker_(tracker), counter_(counter) {}
  void OnLine(const TailLine& line) override {
    if (line.overlong) {
      counter_->CountOverlong();
      return;
    }
    const Event ev = dating_.Parse(line.bytes);
    counter_->Count(ev, line.bytes);
    tracker_->Process(ev);
  }

 private:
  MessageTracker* tracker_;
  LineCounter* counter_;
  // The lines' RFC 3339 stamps carry their year and zone: nothing is guessed.
  DatedLineParser dating_ = DatedLineParser::WithYear(0, 1970);
};

}  // namespace

Status ReplayJournal(const JournalSource& source, TimeUs since, TimeUs until,
                     const ReplayOptions& options, RecordSink* sink, LineCounter* counter,
                     JournalCounters* read) {
  auto reader = JournalReader::Open(source);
  if (!reader.ok()) return reader.status();
  (*reader)->set_keep_cursor(false);
  Status st = since != 0 ? (*reader)->SeekTime(since) : (*reader)->SeekHead();
  if (!st.ok()) return st;
  MessageTracker tracker(options.tracker, sink);
  ReplayLines lines(&tracker, counter);
  // Until a round examines no entry: the end, or `until`. (A round that
  // hands on nothing may still have examined other services' entries.) A
  // round that stopped at the newest entry, still being written, waits for
  // the journal to change (or 50 ms) and reads it again (JournalReader::Poll).
  for (;;) {
    const int64_t before = (*reader)->counters().entries;
    auto n = (*reader)->Poll(&lines, 20000, until);
    if (read) *read = (*reader)->counters();
    if (!n.ok()) return n.status();
    if ((*reader)->waiting()) {
      constexpr TimeUs kPause = 50 * kUsPerSecond / 1000;
      if (!(*reader)->Wait(kPause).ok())
        std::this_thread::sleep_for(std::chrono::microseconds(kPause));
      continue;
    }
    if ((*reader)->counters().entries == before) break;
  }
  tracker.FlushAll();
  counter->SetAmavisLines(tracker.amavis_lines_joined(), tracker.amavis_joined_unknown(),
                          tracker.amavis_parts_lost(), tracker.amavis_scans_refused());
  return Status::Ok();
}

}  // namespace mailtrail
