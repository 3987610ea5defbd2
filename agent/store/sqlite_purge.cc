// SqliteStore: `db purge` — old days out, unused dictionary rows out, the
// space given back, and the live writer told to forget its cached ids.
#include "agent/store/sqlite_store.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "agent/store/sqlite_codec.h"
#include "base/text.h"

namespace mailtrail {

// SQLite has no partitions: a DELETE, in one transaction (run it at a quiet time);
// then the dictionary rows no record uses any more, then the space goes back to
// the file system (db purge promises a smaller file, not only free pages).
StatusOr<int64_t> SqliteStore::PurgeBefore(int64_t day) {
  if (Status st = StillAtItsPath(); !st.ok()) return st;  // not into a deleted file
  const std::string cutoff = std::to_string(day * 86400);
  int64_t removed = 0;
  ForgetWhatWasSeen();
  auto fail = [&](Status st) -> StatusOr<int64_t> {
    static_cast<void>(db_.Exec("ROLLBACK"));
    ForgetDictionary();
    return st;
  };
  if (Status st = db_.Exec("BEGIN IMMEDIATE;"
                           "DELETE FROM rcpt WHERE message IN"
                           " (SELECT id FROM message WHERE first_seen < " +
                           cutoff + ");");
      !st.ok())
    return fail(st);
  if (Status st = db_.Exec("DELETE FROM message WHERE first_seen < " + cutoff); !st.ok())
    return fail(st);
  removed = sqlite3_changes(db_.get());
  if (removed > 0) {
    if (Status st = DeleteUnreferencedDictionary(); !st.ok()) return fail(st);
    // The subject index keeps the purged subjects' trigrams as delete marks
    // in its segments until they are merged: merged here, so that the file
    // does shrink (after a purge of everything it kept a third of its size).
    if (Status st = db_.Exec("INSERT INTO subject_fts (subject_fts) VALUES ('optimize')"); !st.ok())
      return fail(st);
  }
  if (Status st = db_.Exec("COMMIT"); !st.ok()) return fail(st);
  // Also when nothing was removed: a purge run again after one that a reader
  // held back gives the space back then.
  if (Status st = ReclaimSpace(removed > 0); !st.ok()) return st;
  return removed;
}

// Inside the purge's transaction. The texts no message or recipient refers to
// any more; a live writer (another connection) sees 'dict_purges' change and
// forgets the ids it cached (ForgetDictionaryAfterPurge) before its next batch.
Status SqliteStore::DeleteUnreferencedDictionary() {
  if (Status st = RestoreDeferredIndexes(); !st.ok()) return st;  // the NOT EXISTS use them
  ForgetDictionary();
  // The ids in use, gathered once (an ephemeral index), not looked up per row:
  // only some of these columns have an index. NULLs kept out (NOT IN a set
  // holding NULL is never true).
  std::string in_use;
  for (const char* ref :
       {"host FROM message", "sender FROM message", "client_host FROM message", "helo FROM message",
        "sasl FROM message", "addr FROM rcpt", "orig FROM rcpt", "relay FROM rcpt"}) {
    if (!in_use.empty()) in_use += " UNION ";
    const std::string column(ref, std::string_view(ref).find(' '));
    in_use += "SELECT " + std::string(ref) + " WHERE " + column + " IS NOT NULL";
  }
  return db_.Exec("DELETE FROM dict WHERE id NOT IN (" + in_use +
                  ");"
                  "INSERT INTO meta (key, value) VALUES ('dict_purges', '1')"
                  " ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;");
}

// A database made with incremental auto-vacuum frees its pages in place; an
// older one (made before mailtrail set it) is rewritten once by VACUUM, which
// also switches it to incremental, so that later purges are cheap.
Status SqliteStore::ReclaimSpace(bool removed_any) {
  purge_pending_.clear();
  auto auto_vacuum = IntPragma("auto_vacuum");
  if (!auto_vacuum.ok()) return auto_vacuum.status();
  const int64_t mode = *auto_vacuum;
  if (mode != 2 && !removed_any) return Status::Ok();
  const std::string sql =
      mode == 2 ? "PRAGMA incremental_vacuum;" : "PRAGMA auto_vacuum=INCREMENTAL; VACUUM;";
  if (Status st = db_.Exec(sql); !st.ok()) return st;
  // In WAL mode the pages leave the file only when the log is checkpointed,
  // which waits (the busy timeout) for readers of older snapshots, then
  // gives up. Its row: busy, frames in the log, frames copied back. Busy with
  // every frame copied back is a reader of the newest snapshot that kept the
  // log from being reset: the file did shrink.
  auto checkpoint = db_.Prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!checkpoint.ok()) return checkpoint.status();
  if (checkpoint->Step() != SQLITE_ROW) return db_.Error("checkpoint after the purge");
  if (checkpoint->Int(0) != 0 && checkpoint->Int(2) < checkpoint->Int(1))
    purge_pending_ =
        "a reader (the console, a search, the agent) held the store's write-ahead log: the file "
        "shrinks once it lets go, at the writer's next checkpoint or when `db purge` runs again";
  return Status::Ok();
}

StatusOr<std::string> SqliteStore::DictPurges() {
  auto v = db_.Prepare("SELECT value FROM meta WHERE key = 'dict_purges'");
  if (!v.ok()) return v.status();
  const int rc = v->Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.Error("read dict_purges");
  return rc == SQLITE_ROW ? v->Text(0) : std::string();
}

Status SqliteStore::ForgetDictionaryAfterPurge() {
  auto now = DictPurges();
  if (!now.ok()) return now.status();
  if (*now != dict_purges_) {
    ForgetDictionary();
    dict_purges_ = std::move(*now);
  }
  return Status::Ok();
}

}  // namespace mailtrail
