// The flags of the verbs that open a store: --store URL, --password-file FILE
// (MySQL; never the password itself on a command line), --agent NAME (writers).
#ifndef MAILTRAIL_AGENT_CLI_STORE_ARGS_H_
#define MAILTRAIL_AGENT_CLI_STORE_ARGS_H_

#include <memory>

#include "agent/cli/args.h"
#include "agent/store/store.h"

namespace mailtrail::cli {

inline const FlagSpec kTzFlag = {
    "tz", true, "time zone of yearless timestamps: UTC (default), +HH:MM, -HH:MM, local", "ZONE"};
inline const FlagSpec kJournalWriterFlag = {
    "journal-writer", true,
    "journal: a user whose entries may be Postfix's lines (name, id, or * for anyone); repeat "
    "(default: root, postfix, amavis)",
    "USER"};
inline const FlagSpec kStoreFlag = {"store", true,
                                    "sqlite:PATH (default sqlite:mailtrail.db) or "
                                    "mysql://USER@HOST[:PORT]/DB[?socket=PATH]",
                                    "URL"};
inline const FlagSpec kPasswordFileFlag = {
    "password-file", true, "MySQL: the file whose first line is the password", "FILE"};
inline const FlagSpec kAgentFlag = {
    "agent", true, "MySQL: this writer's name in the database (default: host)", "NAME"};

// Read-only verbs: full detail on read, nothing created, nothing written (a
// database the user may only read can be searched); SQLite files read through
// a memory map.
inline StoreOptions ReaderOptions() {
  StoreOptions o;
  o.detail = Detail::kFull;
  o.create_missing = false;
  o.as_writer = false;
  o.read_only = true;
  o.sqlite_mmap_mb = kDefaultReaderMmapMb;
  return o;
}

// Verbs that change an existing store (`db purge`, `blocks extend|remove`):
// nothing created, written to, and not mapped (a disk's read error in the
// middle of a purge is an error, not a crash).
inline StoreOptions ExistingStoreWriterOptions() {
  StoreOptions o = ReaderOptions();
  o.read_only = false;
  o.sqlite_mmap_mb = 0;
  return o;
}

// The store of --store (default kDefaultStore), --password-file and --agent.
// A writer's SQLite file that another process holds locked is waited for
// (LockedWait, as the store's own writes wait: SqliteStore::WriteBatch).
StatusOr<std::unique_ptr<Store>> OpenStoreFromArgs(const Args& args, StoreOptions options);

// Both select on a record's arrival (first_seen), whatever its later lines.
inline const FlagSpec kSinceFlag = {
    "since", true,
    "records of messages that arrived (first seen) at or after (2026-11-27 or "
    "2026-11-27T11:00:00Z)",
    "TIME"};
inline const FlagSpec kUntilFlag = {"until", true,
                                    "records of messages that arrived (first seen) before", "TIME"};
// --since and --until into `q`; false (after a line on stderr) when malformed.
bool TimeRangeFromArgs(const Args& args, const char* verb, SearchQuery* q);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_STORE_ARGS_H_
