// `mailtrail db migrate|purge|forget-checkpoint`: the store's schema, its
// retention, and the way out of a checkpoint the agent cannot resume from.
//   db migrate --store URL [--password-file FILE]
//   db purge --older-than 30d --store URL [--password-file FILE]
//   db forget-checkpoint --store URL [--agent NAME] [--spool FILE] [--password-file FILE]
#include <cstdio>
#include <cstdlib>

#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "base/civil_time.h"

namespace mailtrail::cli {

namespace {
const std::vector<FlagSpec> kFlags = {
    kStoreFlag,
    kPasswordFileFlag,
    kAgentFlag,
    {"older-than", true, "purge: records first seen more than this many days ago (30d)"},
    {"spool", true, "forget-checkpoint, MySQL: the agent's outage spool ([store] spool)"},
    {"help", false, "this help"},
};

constexpr const char* kUsage =
    "usage: mailtrail db migrate --store URL [--password-file FILE]\n"
    "       mailtrail db purge --older-than DAYSd --store URL [--password-file FILE]\n"
    "       mailtrail db forget-checkpoint --store URL [--agent NAME] [--spool FILE]\n"
    "                                      [--password-file FILE]\n";

// "30d" or "30" -> 30; -1 when malformed.
int64_t ParseDays(std::string s) {
  if (!s.empty() && s.back() == 'd') s.pop_back();
  if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::strtoll(s.c_str(), nullptr, 10);
}
}  // namespace

int DbMain(const std::vector<std::string>& argv, const Clock& clock) {
  auto args = ParseArgs(argv, kFlags);
  if (!args.ok()) {
    std::fprintf(stderr, "mailtrail db: %s\n%s", args.status().message().c_str(), kUsage);
    return kExitUsage;
  }
  if (args->Has("help")) {
    std::printf("%s%s", kUsage, FlagsHelp(kFlags).c_str());
    return kExitOk;
  }
  const std::string what = args->positionals.size() == 1 ? args->positionals[0] : "";
  if (what == "migrate") {
    StoreOptions o;
    o.create = args->Get("store").value_or(kDefaultStore).rfind("mysql://", 0) != 0;
    o.migrate = true;
    auto store = OpenStoreFromArgs(*args, o);
    if (!store.ok()) return Fail(store.status().message());
    const Store::SchemaChange c = (*store)->schema_change();
    if (c.from == 0 && c.to > 0)
      std::printf("created the schema (version %lld)\n", static_cast<long long>(c.to));
    else if (c.from < c.to)
      std::printf("upgraded the schema from version %lld to %lld\n", static_cast<long long>(c.from),
                  static_cast<long long>(c.to));
    else
      std::printf("the schema is up to date (version %lld)\n", static_cast<long long>(c.to));
    return kExitOk;
  }
  if (what == "purge") {
    const int64_t days = ParseDays(args->Get("older-than").value_or(""));
    if (days < 0) {
      std::fprintf(stderr, "mailtrail db purge: --older-than needs a number of days, like 30d\n");
      return kExitUsage;
    }
    StoreOptions o = ReaderOptions();  // nothing created, but written to
    o.read_only = false;
    auto store = OpenStoreFromArgs(*args, o);
    if (!store.ok()) return Fail(store.status().message());
    const int64_t today = clock.WallNow() / kUsPerSecond / 86400;
    auto removed = (*store)->PurgeBefore(today - days);
    if (!removed.ok()) return Fail(removed.status().message());
    std::printf("removed %lld messages first seen before %s\n", static_cast<long long>(*removed),
                FormatRfc3339((today - days) * 86400 * kUsPerSecond).substr(0, 10).c_str());
    return kExitOk;
  }
  if (what == "forget-checkpoint") {
    // A checkpoint `run` cannot resume from (damaged, or written by a newer
    // version): forgotten, the next start begins where a first start would (the
    // end of the logs, or their start with from_start). Records stay.
    StoreOptions o;
    // SQLite: no file is created. MySQL: opened as the writer named by --agent
    // (a store opened to read has no agent, and so no checkpoint).
    o.create = args->Get("store").value_or(kDefaultStore).rfind("mysql://", 0) == 0;
    // What waits in the agent's outage spool goes first; the forgetting after it.
    o.spool_path = args->Get("spool").value_or("");
    auto store = OpenStoreFromArgs(*args, o);
    if (!store.ok()) {
      Fail(store.status().message());  // a damaged spool says its way out
      return store.status().code() == Status::Code::kCorruption ? kExitDataErr : kExitFailure;
    }
    auto parts = (*store)->LoadCheckpoint();
    const CheckpointUpdate nothing;  // replaces the saved parts with none
    if (Status st = (*store)->WriteBatch({}, &nothing); !st.ok()) return Fail(st.message());
    std::printf(
        "the checkpoint is forgotten (%s); the next `mailtrail run` starts afresh\n",
        parts.ok() ? (std::to_string(parts->size()) + " parts").c_str() : "it could not be read");
    return kExitOk;
  }
  std::fputs(kUsage, stderr);
  return kExitUsage;
}

}  // namespace mailtrail::cli
