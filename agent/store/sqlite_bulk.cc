// SqliteStore's bulk load: a replay into an empty store writes its rows
// without the secondary indexes, the subject index and rcpt's trigger, and
// makes them once at the end (or at the next open after a load cut short).
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/store/sqlite_store.h"

namespace mailtrail {

// The secondary indexes of message and rcpt are dropped for a bulk load into an
// empty store; their DDL waits in meta ('deferred_index:NAME') until re-created.
Status SqliteStore::BeginBulkLoad(int64_t /*input_bytes: its DDL costs little*/) {
  bool empty;
  {
    auto st = db_.Prepare("SELECT NOT EXISTS (SELECT 1 FROM message)");
    if (!st.ok()) return st.status();
    if (st->Step() != SQLITE_ROW) return db_.Error("check for an empty store");
    empty = st->Int(0) != 0;
  }
  if (!empty) return Status::Ok();
  if (!dict_loaded_) {
    if (Status st = LoadDictionary(); !st.ok()) return st;
  }
  // The dictionary's index may wait too while the in-memory cache answers every
  // lookup; if the cache overflows, LookupOrInsert restores the indexes at once.
  const std::string tables = bloom_valid_ ? "('message', 'rcpt', 'dict')" : "('message', 'rcpt')";
  std::vector<std::string> names;
  {
    auto st = db_.Prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN " +
        tables);
    if (!st.ok()) return st.status();
    while (st->Step() == SQLITE_ROW) names.push_back(st->Text(0));
  }
  std::string sql =
      "BEGIN IMMEDIATE;"
      "INSERT OR REPLACE INTO meta (key, value) SELECT 'deferred_index:' || name, sql"
      " FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
      " AND tbl_name IN " +
      tables + ";";
  for (const auto& n : names) sql += "DROP INDEX \"" + n + "\";";  // names from our own DDL
  // The subject index (schema 11) is built once at the end as well: its
  // triggers wait in meta with the build after them. Through the triggers a
  // replay of 1M lines took 8.5 s against 2.1 s; the build costs about 3 µs
  // a subject (docs/benchmarks.md). Only the messages with a subject, as the
  // triggers do: FTS5's 'rebuild' also gave each message without one (every
  // message at minimal detail) a row of subject_fts_docsize, 10 bytes each.
  // FTS5 writes a segment each time its hash of pending terms reaches
  // 'hashsize' (1 MiB by default); the build may hold 16 MiB (516k subjects
  // in 0.84 s instead of 1.36 s, docs/benchmarks.md), then 1 MiB again.
  sql +=
      "INSERT OR REPLACE INTO meta (key, value)"
      " SELECT 'deferred_index:subject_fts', group_concat(sql, ';' || char(10)) || ';' || char(10)"
      " || 'INSERT INTO subject_fts (subject_fts, rank) VALUES (''hashsize'', 16777216);'"
      " || 'INSERT INTO subject_fts (subject_fts) VALUES (''delete-all'');'"
      " || 'INSERT INTO subject_fts (rowid, subject)"
      " SELECT id, subject FROM message WHERE subject IS NOT NULL;'"
      " || 'INSERT INTO subject_fts (subject_fts, rank) VALUES (''hashsize'', 1048576)'"
      " FROM sqlite_master WHERE type = 'trigger'"
      " AND name IN ('subject_fts_insert', 'subject_fts_delete', 'subject_fts_update')"
      " HAVING count(*) > 0;"
      "DROP TRIGGER IF EXISTS subject_fts_insert;"
      "DROP TRIGGER IF EXISTS subject_fts_delete;"
      "DROP TRIGGER IF EXISTS subject_fts_update;";
  // rcpt's trigger (schema 10) waits too: it never fires for this writer,
  // which names every first_seen, but a table with a trigger makes SQLite
  // keep a statement journal for each insert, a copy of the page it changes
  // (16 KiB) into a temporary file once the journal outgrew 64 KiB. A replay
  // of 1M lines wrote 2.5 GB so and took 1.6 s instead of 1.3 s
  // (docs/benchmarks.md). Back, it fills in what a writer of an older
  // mailtrail (the trigger's reason) may have left without one meanwhile.
  sql +=
      "INSERT OR REPLACE INTO meta (key, value)"
      " SELECT 'deferred_index:rcpt_first_seen', sql || ';' || char(10)"
      " || 'UPDATE rcpt SET first_seen = (SELECT first_seen FROM message WHERE id = rcpt.message)"
      " WHERE first_seen IS NULL'"
      " FROM sqlite_master WHERE type = 'trigger' AND name = 'rcpt_first_seen';"
      "DROP TRIGGER IF EXISTS rcpt_first_seen;";
  if (Status st = db_.Exec(sql + "COMMIT;"); !st.ok()) return st;
  dict_index_deferred_ = bloom_valid_;
  // Checkpoint seldom instead of every 1000 pages (kBulkWalPages): pages
  // that every batch touches (dictionary, last leaves) are copied to the file
  // once per checkpoint, and the WAL is reused after each (no reader).
  return db_.Exec("PRAGMA wal_autocheckpoint = " + std::to_string(bulk_wal_pages_) +
                  "; PRAGMA threads = 2;");
}

Status SqliteStore::EndBulkLoad() {
  dict_index_deferred_ = false;
  if (Status st = RestoreDeferredIndexes(); !st.ok()) return st;
  return db_.Exec(
      "PRAGMA wal_autocheckpoint = 1000;"
      "PRAGMA wal_checkpoint(TRUNCATE);");
}

Status SqliteStore::RestoreDeferredIndexes(std::string_view table) {
  const std::string which =
      "key LIKE 'deferred_index:%'" +
      (table.empty() ? std::string() : " AND value LIKE '% ON " + std::string(table) + " %'");
  std::vector<std::pair<std::string, std::string>> indexes;  // meta key, its CREATE
  {
    auto ddl = db_.Prepare("SELECT key, value FROM meta WHERE " + which);
    if (!ddl.ok()) return ddl.status();
    while (ddl->Step() == SQLITE_ROW) {
      std::string create = ddl->Text(1);
      // "CREATE INDEX name ON ..." from sqlite_master: make it idempotent.
      if (create.rfind("CREATE INDEX ", 0) == 0) create.insert(13, "IF NOT EXISTS ");
      indexes.emplace_back(ddl->Text(0), std::move(create));
    }
  }
  if (indexes.empty()) return Status::Ok();
  ForgetWhatWasSeen();  // the subject index is built here
  // SQLite's sorter keeps up to the page cache's size of keys in memory
  // before it writes a sorted run, and sorts that one list in a single
  // thread; with runs of its 4 MiB minimum it sorts each while it reads on
  // (PRAGMA threads) and merges them. The indexes of a 5M-line replay built in
  // 2.0 s instead of 3.9-4.2 s so (docs/benchmarks.md). The cache is the
  // configured one again afterwards, whatever the builds' outcome.
  // Inside a batch's transaction (a dictionary overflow) the temporary store
  // is in memory (WriteBatch), and then the sorter keeps every key in memory
  // whatever the cache: its runs go to files here. Refused only while a
  // temporary table is open; the build is the same, in memory.
  const int64_t sort_kib = std::min<int64_t>(cache_kib_, kIndexBuildCacheKib);
  if (Status st = db_.Exec("PRAGMA cache_size=-" + std::to_string(sort_kib)); !st.ok()) return st;
  auto temp_store = IntPragma("temp_store");
  const bool temp_in_memory = temp_store.ok() && *temp_store == 2;
  if (temp_in_memory) static_cast<void>(db_.Exec("PRAGMA temp_store = DEFAULT"));
  Status st = BuildIndexes(indexes);
  if (temp_in_memory) static_cast<void>(db_.Exec("PRAGMA temp_store = MEMORY"));
  Status restored = db_.Exec("PRAGMA cache_size=-" + std::to_string(cache_kib_));
  return st.ok() ? restored : st;
}

Status SqliteStore::BuildIndexes(const std::vector<std::pair<std::string, std::string>>& indexes) {
  auto built = db_.Prepare("DELETE FROM meta WHERE key = ?");
  if (!built.ok()) return built.status();
  auto waiting = db_.Prepare("SELECT 1 FROM meta WHERE key = ?");
  if (!waiting.ok()) return waiting.status();
  auto one = [&](const std::pair<std::string, std::string>& index) -> Status {
    // Another writer opening the same store may have made it since the list
    // was read (a trigger, unlike an index, cannot say IF NOT EXISTS).
    waiting->Reset();
    waiting->BindText(1, index.first);
    const int rc = waiting->Step();
    waiting->Reset();
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc != SQLITE_ROW) return db_.Error("check an index waiting");
    if (Status st = db_.Exec(index.second + ";"); !st.ok()) return st;
    built->Reset();
    built->BindText(1, index.first);
    return built->Step() == SQLITE_DONE ? Status::Ok() : db_.Error("restore an index");
  };
  // Inside the caller's transaction when one is open (a dictionary overflow in
  // the middle of a batch): DDL is transactional in SQLite. Otherwise (the end
  // of a bulk load) one transaction per index: a transaction's pages stay in
  // the WAL until it commits, so the WAL holds the largest index, not all.
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    for (const auto& index : indexes)
      if (Status st = one(index); !st.ok()) return st;
    return Status::Ok();
  }
  for (const auto& index : indexes) {
    if (Status st = db_.Exec("BEGIN IMMEDIATE;"); !st.ok()) return st;
    Status st = one(index);
    if (st.ok()) st = db_.Exec("COMMIT;");
    if (!st.ok()) {
      (void)db_.Exec("ROLLBACK;");
      return st;
    }
  }
  return Status::Ok();
}

}  // namespace mailtrail
