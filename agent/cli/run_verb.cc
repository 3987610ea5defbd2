// `mailtrail run --log PATH... [--store URL]`: the live agent. Follows the logs
// through rotations, writes records with a checkpoint in every transaction, and
// resumes exactly where it stopped (also after SIGKILL).
#include <cstdio>
#include <set>

#include "agent/cli/args.h"
#include "agent/cli/verbs.h"
#include "agent/run/agent.h"
#include "agent/store/store.h"
#include "agent/uv/run_loop.h"
#include "base/file_system.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {

const std::vector<FlagSpec> kFlags = {
    {"store", true, "where records go (default sqlite:mailtrail.db)"},
    {"log", true, "a log to follow; repeat for several (default /var/log/mail.log)"},
    {"detail", true, "minimal | standard | full (default standard)"},
    {"from-start", false, "first start without a checkpoint: read the logs from their start"},
    {"flush-interval", true, "milliseconds between commits at most (default 1000)"},
    {"poll-interval", true, "milliseconds between re-checks of the logs (default 1000)"},
    {"tz", true, "time zone of yearless timestamps: UTC (default), +HH:MM, -HH:MM, local"},
    {"help", false, "this help"},
};

bool Millis(const std::optional<std::string>& v, TimeUs def, TimeUs* out) {
  if (!v) {
    *out = def;
    return true;
  }
  char* end = nullptr;
  const long ms = std::strtol(v->c_str(), &end, 10);
  if (*end != '\0' || ms < 1 || ms > 3600000) return false;
  *out = static_cast<TimeUs>(ms) * 1000;
  return true;
}

}  // namespace

int RunMain(const std::vector<std::string>& argv, const Clock& clock) {
  // --log repeats: collect them before the generic parser keeps only the last.
  std::vector<std::string> logs, rest;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--log" && i + 1 < argv.size()) {
      logs.push_back(argv[++i]);
    } else if (argv[i].rfind("--log=", 0) == 0) {
      logs.push_back(argv[i].substr(6));
    } else {
      rest.push_back(argv[i]);
    }
  }
  auto args = ParseArgs(rest, kFlags);
  if (!args.ok() || !args->positionals.empty()) {
    std::fprintf(stderr, "mailtrail run: %s\n",
                 args.ok() ? "unexpected argument" : args.status().message().c_str());
    return kExitUsage;
  }
  if (args->Has("help")) {
    std::printf("usage: mailtrail run [options]\n%s", FlagsHelp(kFlags).c_str());
    return kExitOk;
  }
  if (logs.empty()) logs.push_back("/var/log/mail.log");
  AgentOptions options;
  options.logs = logs;
  options.from_start = args->Has("from-start");
  const auto detail = DetailFromName(args->Get("detail").value_or("standard"));
  if (!detail) {
    std::fprintf(stderr, "mailtrail run: --detail must be minimal, standard or full\n");
    return kExitUsage;
  }
  options.tracker.keep_events = *detail == Detail::kFull;
  RunLoopOptions loop;
  if (!Millis(args->Get("flush-interval"), kUsPerSecond, &options.flush_interval) ||
      !Millis(args->Get("poll-interval"), kUsPerSecond, &loop.poll_interval)) {
    std::fprintf(stderr, "mailtrail run: intervals are milliseconds, 1 to 3600000\n");
    return kExitUsage;
  }
  if (!ParseTz(args->Get("tz").value_or("UTC"), clock, &options.utc_offset_seconds)) {
    std::fprintf(stderr, "mailtrail run: --tz must be UTC, local, or +HH:MM / -HH:MM\n");
    return kExitUsage;
  }
  std::set<std::string> dirs;
  for (const auto& l : logs) {
    const size_t slash = l.rfind('/');
    dirs.insert(slash == std::string::npos ? "." : (slash == 0 ? "/" : l.substr(0, slash)));
  }
  loop.watch_dirs.assign(dirs.begin(), dirs.end());

  const std::string url = args->Get("store").value_or(kDefaultStore);
  auto store = OpenStore(url, *detail, /*create=*/true);
  if (!store.ok()) return Fail(store.status().message());
  Agent agent(options, store->get(), RealFileSystem(), &clock);
  if (Status st = agent.Start(); !st.ok())
    return Fail("resuming from the checkpoint: " + st.message());
  std::fprintf(stderr, "mailtrail: following %zu log(s) into %s\n", logs.size(),
               EscapeForLog(url).c_str());
  Status st = RunAgentLoop(&agent, loop);
  const LineCounter& c = agent.counter();
  std::fprintf(stderr,
               "mailtrail: stopped after %lld lines (%lld unknown), %lld records written, "
               "%zu messages open\n",
               static_cast<long long>(c.lines()),
               static_cast<long long>(c.count(EventKind::kUnknown)),
               static_cast<long long>(agent.records_written()), agent.open_records());
  if (!st.ok()) return Fail(st.message());
  return kExitOk;
}

}  // namespace mailtrail::cli
