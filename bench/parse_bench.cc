// Google Benchmark: the cost of ParseLine for each line kind of the real
// Postfix 3.7 corpus (tests/parsers/corpus/postfix37.txt, one line per kind),
// and of the tracker on a whole corpus file.
//   build/bench/parse_bench [--benchmark_filter=smtpd]
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>
#include <vector>

#include "agent/track/tracker.h"
#include "parsers/line_parser.h"

namespace {

std::vector<std::string> CorpusLines() {
  std::vector<std::string> out;
  std::ifstream in(std::string(MT_SOURCE_DIR) + "/tests/parsers/corpus/postfix37.txt");
  for (std::string l; std::getline(in, l);)
    if (l.rfind("LINE ", 0) == 0) out.push_back(l.substr(5));
  return out;
}

class NullSink : public mailtrail::RecordSink {
 public:
  void OnRecord(mailtrail::MessageRecord&&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  static const std::vector<std::string> lines = CorpusLines();
  mailtrail::ParseContext ctx;
  ctx.year = 2026;
  for (const auto& line : lines) {
    // Name: program and the start of the message, e.g. "postfix/smtpd NOQUEUE: reject".
    const mailtrail::Event ev = mailtrail::ParseLine(line, ctx);
    std::string name = std::string(ev.program) + " " +
                       std::string(ev.message.substr(0, std::min<size_t>(ev.message.size(), 28)));
    benchmark::RegisterBenchmark(("ParseLine/" + name).c_str(), [&line, ctx](benchmark::State& st) {
      for (auto _ : st) benchmark::DoNotOptimize(mailtrail::ParseLine(line, ctx));
    });
  }
  benchmark::RegisterBenchmark("ParseAndTrack/all_kinds_x1000", [ctx](benchmark::State& st) {
    for (auto _ : st) {
      NullSink sink;
      mailtrail::MessageTracker tracker({}, &sink);
      for (int i = 0; i < 1000; ++i)
        for (const auto& line : lines) tracker.Process(mailtrail::ParseLine(line, ctx));
      tracker.FlushAll();
    }
    st.SetItemsProcessed(st.iterations() * 1000 * static_cast<int64_t>(lines.size()));
  });
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
