// parse_track: how fast ParseLine + MessageTracker run on one core, without I/O
// or a store. Reads the whole file into memory first, then times the loop.
// usage: parse_track FILE [--year Y]   (prints lines, seconds, lines/s, records)
// Also prints the loop's CPU time and lines per CPU second: on a shared machine
// the process may get a fraction of a core (measured: 0.11 of one, 2026-12-03),
// so the wall-clock rate says more about the other builds than about this code.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "agent/track/tracker.h"
#include "parsers/line_parser.h"

namespace {
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

class CountingSink : public mailtrail::RecordSink {
 public:
  void OnRecord(mailtrail::MessageRecord&& r) override {
    ++records;
    recipients += r.recipients.size();
  }
  long records = 0, recipients = 0;
};
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: parse_track FILE [--year Y] [--parse-only]\n");
    return 2;
  }
  mailtrail::ParseContext ctx;
  ctx.year = 2026;
  bool parse_only = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--year") == 0 && i + 1 < argc) ctx.year = std::atoi(argv[++i]);
    if (std::strcmp(argv[i], "--parse-only") == 0) parse_only = true;
  }
  std::ifstream in(argv[1], std::ios::binary | std::ios::ate);
  std::string data(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));

  CountingSink sink;
  mailtrail::MessageTracker tracker({}, &sink);
  long lines = 0, kinds[mailtrail::kEventKindCount] = {};
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    const std::string_view line(data.data() + pos, nl - pos);
    pos = nl + 1;
    const mailtrail::Event ev = mailtrail::ParseLine(line, ctx);
    ++kinds[static_cast<int>(ev.kind)];
    if (!parse_only) tracker.Process(ev);
    ++lines;
  }
  tracker.FlushAll();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu_start;
  std::printf(
      "%s: %ld lines in %.3f s = %.0f lines/s (%s); %ld records, %ld recipients; "
      "CPU %.3f s = %.0f lines per CPU second\n",
      argv[1], lines, secs, lines / secs, parse_only ? "parse only" : "parse+track", sink.records,
      sink.recipients, cpu, lines / cpu);
  return 0;
}
