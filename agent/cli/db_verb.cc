// `mailtrail db migrate|purge|forget-checkpoint`: the store's schema, its
// retention, and the way out of a checkpoint the agent cannot resume from.
//   db migrate --store URL [--password-file FILE]
//   db purge --older-than 30d --store URL [--password-file FILE]
//   db forget-checkpoint --store URL [--agent NAME] [--spool FILE] [--password-file FILE]
#include <cstdio>

#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "base/civil_time.h"

namespace mailtrail::cli {

const VerbSpec kDbVerb = {
    "db",
    "create or upgrade the store's schema; drop old days; forget the checkpoint",
    "migrate|purge|forget-checkpoint ...",
    {kStoreFlag, kPasswordFileFlag, kAgentFlag, kHelpFlag},
    0,
    0,
    {
        {"migrate",
         "create the store's schema, or upgrade it",
         "--store URL [--password-file FILE]",
         {}},
        {"purge",
         "remove the records of messages first seen more than N days ago",
         "--older-than DAYSd --store URL [--password-file FILE]",
         {DurationFlag("older-than",
                       "records first seen more than this many days ago (30d; a bare number is "
                       "days)",
                       0, 100LL * 365 * 86400 * kUsPerSecond, DurationUnit::kDays, "DAYS")}},
        {"forget-checkpoint",
         "start afresh: the next `mailtrail run` begins where a first start would; records stay",
         "--store URL [--agent NAME] [--spool FILE] [--password-file FILE]",
         {{"spool", true, "MySQL: the agent's outage spool ([store] spool)", "FILE"}}},
    },
};

int DbMain(const std::vector<std::string>& argv, const Clock& clock) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kDbVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  const std::string what = parsed.sub->name;
  if (what == "migrate") {
    StoreOptions o;
    o.create_missing = true;  // SQLite: the file and its schema
    o.as_writer = false;      // MySQL: the schema only, no agent row
    o.migrate = true;
    auto store = OpenStoreFromArgs(*args, o);
    if (!store.ok()) return FailWith(store.status());
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
    const TimeUs age = args->Number("older-than", -1);
    constexpr TimeUs kDay = 86400 * kUsPerSecond;
    // Purging drops whole days (a MySQL store's partitions are days).
    if (age < 0)
      return UsageError(kDbVerb, "purge needs --older-than, a number of whole days like 30d");
    if (age % kDay != 0)
      return UsageError(kDbVerb,
                        "--older-than must be whole days (like 30d or 48h): a purge drops "
                        "whole days");
    const int64_t days = age / kDay;
    auto store = OpenStoreFromArgs(*args, ExistingStoreWriterOptions());
    if (!store.ok()) return FailWith(store.status());
    const int64_t today = clock.WallNow() / kUsPerSecond / 86400;
    auto removed = (*store)->PurgeBefore(today - days);
    if (!removed.ok()) return FailWith(removed.status());
    std::printf("removed %lld messages first seen before %s\n", static_cast<long long>(*removed),
                FormatRfc3339((today - days) * 86400 * kUsPerSecond).substr(0, 10).c_str());
    if (const std::string pending = (*store)->PurgePending(); !pending.empty())
      std::printf("not yet given back: %s\n", pending.c_str());
    return kExitOk;
  }
  if (what == "forget-checkpoint") {
    // A checkpoint `run` cannot resume from (damaged, or written by a newer
    // version): forgotten, the next start begins where a first start would (the
    // end of the logs, or their start with from_start). Records stay.
    StoreOptions o;
    // SQLite: no file is created. MySQL: opened as the writer named by --agent
    // (a store opened to read has no agent, and so no checkpoint).
    o.create_missing = false;
    o.as_writer = true;
    // What waits in the agent's outage spool goes first; the forgetting after it.
    o.spool_path = args->Get("spool").value_or("");
    auto store = OpenStoreFromArgs(*args, o);
    if (!store.ok()) return FailWith(store.status());  // a damaged spool says its way out
    auto parts = (*store)->LoadCheckpoint();
    const CheckpointUpdate nothing;  // replaces the saved parts with none
    if (Status st = (*store)->WriteBatch({}, &nothing); !st.ok()) return FailWith(st);
    std::printf(
        "the checkpoint is forgotten (%s); the next `mailtrail run` starts afresh\n",
        parts.ok() ? (std::to_string(parts->size()) + " parts").c_str() : "it could not be read");
    return kExitOk;
  }
  return kExitUsage;  // ParseOrUsage knows no other sub-verb
}

}  // namespace mailtrail::cli
