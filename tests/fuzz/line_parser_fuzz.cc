// libFuzzer target (docs/security.md): arbitrary bytes as log lines through ParseLine
// and the MessageTracker, and as a saved tracker state and a checkpoint. Finds
// crashes, leaks and undefined behaviour (built with ASan and UBSan); every
// string_view of an Event must stay inside its line.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/run/checkpoint.h"
#include "agent/store/store.h"
#include "agent/track/tracker.h"
#include "parsers/line_parser.h"

namespace {

class NullSink : public mailtrail::RecordSink {
 public:
  void OnRecord(mailtrail::MessageRecord&& r) override { n += r.recipients.size() + 1; }
  size_t n = 0;
};

void MustBeInside(std::string_view field, std::string_view line) {
  if (field.empty()) return;
  if (field.data() < line.data() || field.data() + field.size() > line.data() + line.size())
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  mailtrail::ParseContext ctx;
  ctx.year = 2026;
  NullSink sink;
  mailtrail::TrackerOptions options;
  options.max_open = 64;  // exercise eviction
  options.keep_events = true;
  mailtrail::MessageTracker tracker(options, &sink);
  // Every newline-separated piece is a line, in order. Checkpoints as the live
  // agent makes them: a whole state, then change sets.
  std::vector<std::string> parts;
  size_t start = 0, n = 0;
  while (start <= input.size()) {
    if (++n % 16 == 0) parts.push_back(tracker.SaveChanges());
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    const mailtrail::Event ev = mailtrail::ParseLine(line, ctx);
    for (std::string_view f : {ev.host, ev.program, ev.daemon, ev.message, ev.qid, ev.client_host,
                               ev.client_ip, ev.client_port, ev.text, ev.from, ev.to, ev.helo,
                               ev.relay, ev.next_qid, ev.message_id, ev.recipients, ev.reply})
      MustBeInside(f, line);
    tracker.Process(ev);
    start = end + 1;
  }
  // The open state survives a save and a load, whole or in change sets (the
  // same state: the same bytes, in some order); garbage is refused cleanly.
  parts.push_back(tracker.SaveChanges());
  mailtrail::MessageTracker restored(options, &sink);
  if (!restored.LoadState(tracker.SaveState()).ok()) std::abort();
  mailtrail::MessageTracker rebuilt(options, &sink);
  if (!rebuilt.LoadState(parts[0]).ok()) std::abort();
  for (size_t i = 1; i < parts.size(); ++i)
    if (!rebuilt.ApplyChanges(parts[i]).ok()) std::abort();
  if (rebuilt.open_records() != tracker.open_records() ||
      rebuilt.SaveState().size() != tracker.SaveState().size())
    std::abort();
  mailtrail::MessageTracker fresh(options, &sink);
  static_cast<void>(fresh.LoadState(input));
  static_cast<void>(fresh.ApplyChanges(input));
  static_cast<void>(mailtrail::DecodeCheckpoint(input));
  static_cast<void>(mailtrail::DecodeCheckpointUpdate(input));
  tracker.FlushAll();
  restored.FlushAll();
  return 0;
}
