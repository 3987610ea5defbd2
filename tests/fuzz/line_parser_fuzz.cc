// libFuzzer target (SECURITY.md): arbitrary bytes as log lines through ParseLine
// and the MessageTracker, and as a saved tracker state and a checkpoint. Finds
// crashes, leaks and undefined behaviour (built with ASan and UBSan); every
// string_view of an Event must stay inside its line.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/run/checkpoint.h"
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
  // Every newline-separated piece is a line, in order.
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    const mailtrail::Event ev = mailtrail::ParseLine(line, ctx);
    for (std::string_view f :
         {ev.host, ev.program, ev.daemon, ev.message, ev.qid, ev.client_host, ev.client_ip, ev.text,
          ev.from, ev.to, ev.helo, ev.relay, ev.next_qid, ev.message_id, ev.recipients, ev.reply})
      MustBeInside(f, line);
    tracker.Process(ev);
    start = end + 1;
  }
  // The open state survives a save and a load; garbage state is refused cleanly.
  mailtrail::MessageTracker restored(options, &sink);
  if (!restored.LoadState(tracker.SaveState()).ok()) std::abort();
  mailtrail::MessageTracker fresh(options, &sink);
  static_cast<void>(fresh.LoadState(input));
  static_cast<void>(mailtrail::DecodeCheckpoint(input));
  tracker.FlushAll();
  restored.FlushAll();
  return 0;
}
