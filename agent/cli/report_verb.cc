// `mailtrail report [--since T] [--until T] [--host H] [--top N] [--format text|json]`:
// a summary of the stored records of a time window (agent/report/summary.h).
#include <cstdint>
#include <cstdio>

#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/report/summary.h"

namespace mailtrail::cli {

const VerbSpec kReportVerb = {
    "report",
    "a summary of a time window: totals, top senders, hosts, domains, rejects, per hour",
    "[options]",
    {
        kStoreFlag,
        kPasswordFileFlag,
        kSinceFlag,
        kUntilFlag,
        {"host", true, "only this syslog host's records (a shared store)", "NAME"},
        IntFlag("top", "rows per top list (default 10)", 1, 100000),
        ChoiceFlag("format", "text (default) or json", {"text", "json"}),
        kHelpFlag,
    },
};

int ReportMain(const std::vector<std::string>& argv, const Clock&) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kReportVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  SearchQuery q;
  if (!TimeRangeFromArgs(*args, "report", &q)) return kExitUsage;
  q.host = args->Get("host");
  q.limit = INT64_MAX;
  const int64_t top = args->Number("top", 10);
  const std::string format = args->Get("format").value_or("text");
  auto store = OpenStoreFromArgs(*args, ReaderOptions());
  if (!store.ok()) return FailWith(store.status());
  Summary summary;
  if (Status st = (*store)->SearchForSummary(q, [&](MessageRecord&& r) { summary.Add(r); });
      !st.ok())
    return FailWith(st);
  const std::string out = format == "json" ? SummaryJson(summary, static_cast<size_t>(top))
                                           : SummaryText(summary, static_cast<size_t>(top));
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace mailtrail::cli
