// `mailtrail report [--since T] [--until T] [--host H] [--top N] [--format text|json]`:
// a summary of the stored records of a time window (agent/report/summary.h).
#include <cstdint>
#include <cstdio>

#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/report/summary.h"

namespace mailtrail::cli {

namespace {
const std::vector<FlagSpec> kFlags = {
    kStoreFlag,
    kPasswordFileFlag,
    kSinceFlag,
    kUntilFlag,
    {"host", true, "only this syslog host's records (a shared store)"},
    {"top", true, "rows per top list (default 10)"},
    {"format", true, "text (default) or json"},
    {"help", false, "this help"},
};
constexpr const char* kUsage = "usage: mailtrail report [options]\n";
}  // namespace

int ReportMain(const std::vector<std::string>& argv, const Clock&) {
  auto args = ParseArgs(argv, kFlags);
  if (!args.ok() || !args->positionals.empty()) {
    std::fprintf(stderr, "mailtrail report: %s\n%s",
                 args.ok() ? "unexpected argument" : args.status().message().c_str(), kUsage);
    return kExitUsage;
  }
  if (args->Has("help")) {
    std::printf("%s%s", kUsage, FlagsHelp(kFlags).c_str());
    return kExitOk;
  }
  SearchQuery q;
  if (!TimeRangeFromArgs(*args, "report", &q)) return kExitUsage;
  q.host = args->Get("host");
  q.limit = INT64_MAX;
  int64_t top = 10;
  if (!args->Int("top", 1, 100000, &top)) {
    std::fprintf(stderr, "mailtrail report: --top must be a number from 1 to 100000\n");
    return kExitUsage;
  }
  const std::string format = args->Get("format").value_or("text");
  if (format != "text" && format != "json") {
    std::fprintf(stderr, "mailtrail report: --format must be text or json\n");
    return kExitUsage;
  }
  auto store = OpenStoreFromArgs(*args, ReaderOptions());
  if (!store.ok()) return Fail(store.status().message());
  Summary summary;
  if (Status st = (*store)->Search(q, [&](MessageRecord&& r) { summary.Add(r); }); !st.ok())
    return Fail(st.message());
  const std::string out = format == "json" ? SummaryJson(summary, static_cast<size_t>(top))
                                           : SummaryText(summary, static_cast<size_t>(top));
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace mailtrail::cli
