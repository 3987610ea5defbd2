#include "agent/store/sqlite_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>

#include "agent/store/sqlite_codec.h"
#include "base/ip_address.h"
#include "base/text.h"
#include "schema/schema.h"

namespace mailtrail {

namespace {
// mt_lower(text): LowerUtf8 in SQL, for case-insensitive subject searches
// (SQLite's own lower() knows ASCII only).
void SqlLowerUtf8(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const std::string lower =
      LowerUtf8(std::string_view(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(argv[0]))));
  sqlite3_result_text(ctx, lower.data(), static_cast<int>(lower.size()), SQLITE_TRANSIENT);
}
}  // namespace

StatusOr<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path, Detail detail,
                                                   bool create, size_t dict_cache_entries,
                                                   int64_t cache_mb, bool read_only) {
  if (path.empty()) return Status::InvalidArgument("empty SQLite path");
  std::unique_ptr<SqliteStore> s(new SqliteStore(detail));
  s->dict_cache_limit_ = std::max<size_t>(dict_cache_entries, 1);
  for (auto& c : s->dict_cache_) c = DictCache(s->dict_cache_limit_);
  auto register_functions = [&s]() -> Status {
    if (sqlite3_create_function_v2(s->db_.get(), "mt_lower", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                   SqlLowerUtf8, nullptr, nullptr, nullptr) != SQLITE_OK)
      return s->db_.Error("register mt_lower");
    return Status::Ok();
  };
  if (Status st = s->db_.Open(path, create && !read_only, read_only); !st.ok()) return st;
  if (Status st = register_functions(); !st.ok()) return st;
  // WAL: readers (search) never block the writer. NORMAL sync is durable across
  // application crashes, which is what the tail checkpoint needs.
  const int64_t cache_kib = std::max<int64_t>(cache_mb, 1) * 1024;
  if (read_only) {
    // Nothing written: no journal mode set, no migration, no index repair (a
    // search without the indexes a crashed bulk load dropped is only slower).
    Status st = s->CheckSchemaVersion();
    const int code = sqlite3_extended_errcode(s->db_.get());
    if (!st.ok() && (code == SQLITE_READONLY_DIRECTORY || code == SQLITE_READONLY_CANTINIT) &&
        ::access((path + "-wal").c_str(), F_OK) != 0 && errno == ENOENT) {
      // A WAL database needs its -shm, which this user may not create beside
      // it. No -wal file: no writer has the database open, and every commit is
      // in the file itself, so it is read as it is, without the -shm (a writer
      // starting during this one search is the only case not covered).
      s->db_.Close();
      if (Status o = s->db_.Open(path, false, true, /*immutable=*/true); !o.ok()) return o;
      if (Status f = register_functions(); !f.ok()) return f;
      st = s->CheckSchemaVersion();
    }
    if (!st.ok()) return st;
    if (Status c = s->db_.Exec("PRAGMA cache_size=-" + std::to_string(cache_kib)); !c.ok())
      return c;
    if (Status p = s->Prepare(); !p.ok()) return p;  // the reads use its statements
    return std::unique_ptr<Store>(std::move(s));
  }
  // WAL: readers (search) never block the writer. NORMAL sync is durable across
  // application crashes, which is what the tail checkpoint needs. Incremental
  // auto-vacuum (takes effect only in a new database): `db purge` gives the
  // freed pages back to the file system without rewriting the whole file.
  if (Status st = s->db_.Exec(
          "PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL;"
          "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-" +
          std::to_string(cache_kib) + ";");
      !st.ok())
    return st;
  if (Status st = s->Migrate(); !st.ok()) return st;
  if (Status st = s->RestoreDeferredIndexes(); !st.ok()) return st;
  if (Status st = s->Prepare(); !st.ok()) return st;
  return std::unique_ptr<Store>(std::move(s));
}

Status SqliteStore::Migrate() {
  int64_t version;
  {  // finalized before the migrations run: DDL fails beside an active statement
    auto v = db_.Prepare("PRAGMA user_version");
    if (!v.ok()) return v.status();
    if (v->Step() != SQLITE_ROW) return db_.Error("read schema version");
    version = v->Int(0);
  }
  if (version > kSqliteMigrationCount)
    return Status::InvalidArgument("database schema version " + std::to_string(version) +
                                   " is newer than this mailtrail knows (" +
                                   std::to_string(kSqliteMigrationCount) + ")");
  schema_change_ = {version, kSqliteMigrationCount};
  for (int64_t i = version; i < kSqliteMigrationCount; ++i) {
    std::string sql = "BEGIN IMMEDIATE;\n";
    sql += kSqliteMigrations[i];
    sql += "\nPRAGMA user_version = " + std::to_string(i + 1) + ";\nCOMMIT;";
    if (Status st = db_.Exec(sql); !st.ok()) {
      static_cast<void>(db_.Exec("ROLLBACK"));
      return st;
    }
  }
  return Status::Ok();
}

Status SqliteStore::CheckSchemaVersion() {
  auto v = db_.Prepare("PRAGMA user_version");
  if (!v.ok()) return v.status();
  if (v->Step() != SQLITE_ROW) return db_.Error("read schema version");
  const int64_t version = v->Int(0);
  schema_change_ = {version, version};
  if (version > kSqliteMigrationCount)
    return Status::InvalidArgument("database schema version " + std::to_string(version) +
                                   " is newer than this mailtrail knows (" +
                                   std::to_string(kSqliteMigrationCount) + ")");
  if (version < kSqliteMigrationCount)
    return Status::InvalidArgument(
        "database schema version " + std::to_string(version) + ", this mailtrail needs " +
        std::to_string(kSqliteMigrationCount) + ": run `mailtrail db migrate --store URL` first");
  return Status::Ok();
}

// The secondary indexes of message and rcpt are dropped for a bulk load into an
// empty store; their DDL waits in meta ('deferred_index:NAME') until re-created.
Status SqliteStore::BeginBulkLoad() {
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
  if (Status st = db_.Exec(sql + "COMMIT;"); !st.ok()) return st;
  dict_index_deferred_ = bloom_valid_;
  // Checkpoint once at the end instead of every 1000 pages: pages that every
  // batch touches (dictionary, last leaves) are then copied to the file once.
  return db_.Exec("PRAGMA wal_autocheckpoint = 0; PRAGMA threads = 2;");
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
  std::string sql;
  {
    auto ddl = db_.Prepare("SELECT value FROM meta WHERE " + which);
    if (!ddl.ok()) return ddl.status();
    while (ddl->Step() == SQLITE_ROW) {
      std::string create = ddl->Text(0);
      // "CREATE INDEX name ON ..." from sqlite_master: make it idempotent.
      if (create.rfind("CREATE INDEX ", 0) == 0) create.insert(13, "IF NOT EXISTS ");
      sql += create + ";";
    }
  }
  if (sql.empty()) return Status::Ok();
  // Inside the caller's transaction when one is open (a dictionary overflow in
  // the middle of a batch): DDL is transactional in SQLite.
  const bool own = sqlite3_get_autocommit(db_.get()) != 0;
  return db_.Exec(std::string(own ? "BEGIN IMMEDIATE;" : "") + sql + "DELETE FROM meta WHERE " +
                  which + (own ? ";COMMIT;" : ";"));
}

Status SqliteStore::Prepare() {
  struct {
    SqliteStmt* stmt;
    const char* sql;
  } const kStatements[] = {
      {&insert_message_,
       "INSERT INTO message (host, qid, first_seen, last_seen, client_ip, sender, size, outcome,"
       " end_reason, client_host, helo, sasl, message_id, subject, header_from, nrcpt,"
       " parent_qid, child_qids, ndr_qid, ndr_of, notice_qids, reject_action, reject_stage,"
       " reject_code, reject_dsn, reject_text, scans, events)"
       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
      {&insert_rcpt_,
       "INSERT INTO rcpt (message, seq, addr, outcome, orig, dsn, relay, delay, attempts, time,"
       " status_text) VALUES (?,?,?,?,?,?,?,?,?,?,?)"},
      {&insert_dict_, "INSERT INTO dict (kind, hash, text) VALUES (?, ?, ?)"},
      {&delete_rcpts_,
       "DELETE FROM rcpt WHERE message IN"
       " (SELECT id FROM message WHERE qid = ?1 AND first_seen = ?2 AND host = ?3)"},
      {&delete_message_, "DELETE FROM message WHERE qid = ?1 AND first_seen = ?2 AND host = ?3"},
      // The checkpoint's parts are rows 'tail', 'tail.0000000001', ... (in name
      // order): a checkpoint saved whole before parts existed is the first.
      {&upsert_checkpoint_,
       "INSERT OR REPLACE INTO checkpoint (name, data, updated) VALUES (?, ?, ?)"},
      {&select_dict_, "SELECT id FROM dict WHERE hash = ? AND kind = ? AND text = ?"},
      {&select_rcpts_,
       "SELECT a.text, r.outcome, o.text, r.dsn, rl.text, r.delay, r.attempts, r.time,"
       " r.status_text FROM rcpt r JOIN dict a ON a.id = r.addr"
       " LEFT JOIN dict o ON o.id = r.orig LEFT JOIN dict rl ON rl.id = r.relay"
       " WHERE r.message = ? ORDER BY r.seq"},
  };
  for (const auto& s : kStatements) {
    auto st = db_.Prepare(s.sql);
    if (!st.ok()) return st.status();
    *s.stmt = std::move(*st);
  }
  return Status::Ok();
}

Status SqliteStore::WriteBatch(const std::vector<MessageRecord>& records,
                               const CheckpointUpdate* checkpoint) {
  if (records.empty() && checkpoint == nullptr) return Status::Ok();
  if (!dict_loaded_) {
    if (Status st = LoadDictionary(); !st.ok()) return st;
  }
  if (Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  if (Status st = ForgetDictionaryAfterPurge(); !st.ok()) {
    static_cast<void>(db_.Exec("ROLLBACK"));
    return st;
  }
  batch_held_ = {};
  for (const auto& r : records) {
    if (Status st = WriteOne(r); !st.ok()) {
      static_cast<void>(db_.Exec("ROLLBACK"));
      ForgetDictionary();  // ids inserted in this transaction are gone
      return st;
    }
  }
  if (checkpoint != nullptr) {
    Status st =
        WriteCheckpoint(*checkpoint, records.empty() ? 0 : records.back().last_seen / kUsPerSecond);
    if (!st.ok()) {
      static_cast<void>(db_.Exec("ROLLBACK"));
      ForgetDictionary();
      return st;
    }
  }
  if (Status st = db_.Exec("COMMIT"); !st.ok()) {
    static_cast<void>(db_.Exec("ROLLBACK"));
    ForgetDictionary();
    return st;
  }
  held_.kept += batch_held_.kept;
  held_.replaced += batch_held_.replaced;
  return Status::Ok();
}

Status SqliteStore::WriteOne(const MessageRecord& r) {
  const bool standard = AtLeast(detail_, Detail::kStandard);
  const bool full = AtLeast(detail_, Detail::kFull);
  auto held = CheckHeld(r);
  if (!held.ok()) return held.status();
  if (*held == HeldAction::kSkip) {
    ++batch_held_.kept;
    return Status::Ok();
  }
  if (*held == HeldAction::kReplace) ++batch_held_.replaced;
  if ((r.is_update || *held == HeldAction::kReplace) && !r.qid.empty()) {
    // The record replaces the one written for the same message before (live
    // mode: written at removal, then changed by a late line; a replay: held
    // open, its log having ended before the message).
    const int64_t host = DictId(kHostName, r.host);
    for (SqliteStmt* d : {&delete_rcpts_, &delete_message_}) {
      d->Reset();
      d->BindText(1, r.qid);
      d->BindInt(2, r.first_seen / kUsPerSecond);
      d->BindInt(3, host);
      if (d->Step() != SQLITE_DONE) return db_.Error("replace an updated record");
    }
  }
  SqliteStmt& m = insert_message_;
  m.Reset();
  m.BindInt(1, DictId(kHostName, r.host));
  m.BindTextOrNull(2, r.qid);
  m.BindInt(3, r.first_seen / kUsPerSecond);
  m.BindInt(4, r.last_seen / kUsPerSecond);
  std::string ip_bytes;
  if (auto ip = IpAddress::Parse(r.client_ip)) {
    ip_bytes = ip->Bytes();
    m.BindBlob(5, ip_bytes);
  }
  if (r.sender) m.BindInt(6, DictId(kAddress, *r.sender));
  if (r.size >= 0) m.BindInt(7, r.size);
  m.BindInt(8, static_cast<int>(r.outcome));
  m.BindInt(9, static_cast<int>(r.end));
  std::string child_qids, notice_qids, scans, events;
  if (standard) {
    if (!r.client_host.empty()) m.BindInt(10, DictId(kHostName, r.client_host));
    if (!r.helo.empty()) m.BindInt(11, DictId(kHostName, r.helo));
    if (!r.sasl_username.empty()) m.BindInt(12, DictId(kSasl, r.sasl_username));
    if (r.message_id) m.BindText(13, *r.message_id);
    if (r.subject) m.BindText(14, *r.subject);
    if (r.header_from) m.BindText(15, *r.header_from);
    if (r.nrcpt >= 0) m.BindInt(16, r.nrcpt);
    m.BindTextOrNull(17, r.parent_qid);
    child_qids = JoinList(r.child_qids);
    m.BindTextOrNull(18, child_qids);
    m.BindTextOrNull(19, r.ndr_qid);
    m.BindTextOrNull(20, r.ndr_of);
    notice_qids = JoinList(r.notice_qids);
    m.BindTextOrNull(21, notice_qids);
    if (r.reject) {
      m.BindText(22, r.reject->action);
      m.BindTextOrNull(23, r.reject->stage);
      if (r.reject->code) m.BindInt(24, r.reject->code);
      m.BindTextOrNull(25, r.reject->dsn);
      m.BindText(26, r.reject->text);
    }
    scans = EncodeScans(r.scans);
    m.BindTextOrNull(27, scans);
  }
  if (full) {
    events = EncodeEvents(r.events);
    if (!events.empty()) m.BindBlob(28, events);
  }
  if (dict_failed_) {
    dict_failed_ = false;
    return db_.Error("insert into the dictionary");
  }
  if (m.Step() != SQLITE_DONE) return db_.Error("insert message");
  const int64_t message = sqlite3_last_insert_rowid(db_.get());
  int seq = 0;
  for (const auto& rc : r.recipients) {
    SqliteStmt& s = insert_rcpt_;
    s.Reset();
    s.BindInt(1, message);
    s.BindInt(2, seq++);
    s.BindInt(3, DictId(kAddress, rc.address));
    s.BindInt(4, static_cast<int>(rc.outcome));
    if (standard) {
      if (!rc.orig_address.empty()) s.BindInt(5, DictId(kAddress, rc.orig_address));
      s.BindTextOrNull(6, rc.dsn);
      if (!rc.relay.empty()) s.BindInt(7, DictId(kHostName, rc.relay));
      if (rc.delay >= 0) s.BindDouble(8, rc.delay);
      s.BindInt(9, rc.attempts);
      if (rc.time) s.BindInt(10, rc.time / kUsPerSecond);
    }
    if (KeepsStatusText(detail_, rc.outcome)) s.BindTextOrNull(11, rc.status_text);
    if (dict_failed_) {
      dict_failed_ = false;
      return db_.Error("insert into the dictionary");
    }
    if (s.Step() != SQLITE_DONE) return db_.Error("insert recipient");
  }
  return Status::Ok();
}

Status SqliteStore::AddLineStats(const LineStats& stats) {
  if (Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto up = db_.Prepare(
      "INSERT INTO line_kind (kind, count) VALUES (?, ?)"
      " ON CONFLICT(kind) DO UPDATE SET count = count + excluded.count");
  auto sample = db_.Prepare("INSERT INTO unknown_line (program, line) VALUES (?, ?)");
  if (!up.ok() || !sample.ok()) {
    static_cast<void>(db_.Exec("ROLLBACK"));
    return up.ok() ? sample.status() : up.status();
  }
  for (const auto& [kind, count] : stats.kinds) {
    up->Reset();
    up->BindText(1, kind);
    up->BindInt(2, count);
    if (up->Step() != SQLITE_DONE) {
      static_cast<void>(db_.Exec("ROLLBACK"));
      return db_.Error("line stats");
    }
  }
  for (const auto& [program, line] : stats.unknown_samples) {
    sample->Reset();
    sample->BindText(1, program);
    sample->BindText(2, line);
    if (sample->Step() != SQLITE_DONE) {
      static_cast<void>(db_.Exec("ROLLBACK"));
      return db_.Error("unknown line sample");
    }
  }
  // Keep the sample bounded across many replays.
  if (Status st = db_.Exec("DELETE FROM unknown_line WHERE id NOT IN"
                           " (SELECT id FROM unknown_line ORDER BY id DESC LIMIT 200)");
      !st.ok()) {
    static_cast<void>(db_.Exec("ROLLBACK"));
    return st;
  }
  return db_.Exec("COMMIT");
}

Status SqliteStore::WriteCheckpoint(const CheckpointUpdate& u, int64_t updated) {
  int64_t next = 0;  // the number of the first part written
  if (u.append) {
    // Prepared here and finalized at the end of the scope: a statement kept
    // on its row would hold its read snapshot after the commit, and this
    // connection would no longer see other writers (`mailtrail blocks add`).
    auto count = db_.Prepare("SELECT COUNT(*) FROM checkpoint WHERE name GLOB 'tail*'");
    if (!count.ok()) return count.status();
    if (count->Step() != SQLITE_ROW) return db_.Error("count checkpoint parts");
    next = count->Int(0);
  } else if (Status st = db_.Exec("DELETE FROM checkpoint WHERE name GLOB 'tail*'"); !st.ok()) {
    return st;
  }
  for (const auto& part : u.parts) {
    char name[32] = "tail";
    if (next > 0) std::snprintf(name, sizeof name, "tail.%010lld", static_cast<long long>(next));
    ++next;
    SqliteStmt& c = upsert_checkpoint_;
    c.Reset();
    c.BindText(1, name);
    c.BindBlob(2, part);
    c.BindInt(3, updated);
    if (c.Step() != SQLITE_DONE) return db_.Error("write checkpoint");
  }
  return Status::Ok();
}

StatusOr<std::vector<std::string>> SqliteStore::LoadCheckpoint() {
  auto st = db_.Prepare("SELECT data FROM checkpoint WHERE name GLOB 'tail*' ORDER BY name");
  if (!st.ok()) return st.status();
  std::vector<std::string> parts;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) parts.push_back(st->Text(0));
  if (rc != SQLITE_DONE) return db_.Error("read checkpoint");
  return parts;
}

StatusOr<LineStats> SqliteStore::GetLineStats() {
  LineStats out;
  auto k = db_.Prepare("SELECT kind, count FROM line_kind ORDER BY kind");
  if (!k.ok()) return k.status();
  int rc;
  while ((rc = k->Step()) == SQLITE_ROW) out.kinds[k->Text(0)] = k->Int(1);
  if (rc != SQLITE_DONE) return db_.Error("read line stats");
  auto s = db_.Prepare("SELECT program, line FROM unknown_line ORDER BY id LIMIT 200");
  if (!s.ok()) return s.status();
  while ((rc = s->Step()) == SQLITE_ROW) out.unknown_samples.emplace_back(s->Text(0), s->Text(1));
  if (rc != SQLITE_DONE) return db_.Error("read unknown lines");
  return out;
}

// SQLite has no partitions: a DELETE, in one transaction (run it at a quiet time);
// then the dictionary rows no record uses any more, then the space goes back to
// the file system (db purge promises a smaller file, not only free pages).
StatusOr<int64_t> SqliteStore::PurgeBefore(int64_t day) {
  const std::string cutoff = std::to_string(day * 86400);
  int64_t removed = 0;
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
  }
  if (Status st = db_.Exec("COMMIT"); !st.ok()) return fail(st);
  if (removed == 0) return removed;
  if (Status st = ReclaimSpace(); !st.ok()) return st;
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
Status SqliteStore::ReclaimSpace() {
  int64_t mode = 0;
  {
    auto av = db_.Prepare("PRAGMA auto_vacuum");
    if (!av.ok()) return av.status();
    if (av->Step() != SQLITE_ROW) return db_.Error("read auto_vacuum");
    mode = av->Int(0);
  }
  const std::string sql =
      mode == 2 ? "PRAGMA incremental_vacuum;" : "PRAGMA auto_vacuum=INCREMENTAL; VACUUM;";
  if (Status st = db_.Exec(sql); !st.ok()) return st;
  // In WAL mode the pages leave the file only when the log is checkpointed.
  return db_.Exec("PRAGMA wal_checkpoint(TRUNCATE);");
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

Status SqliteStore::SaveBlocks(const std::vector<Block>& blocks) {
  if (Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto up = db_.Prepare(
      "INSERT OR REPLACE INTO block (kind, key, created, expires, reason, rule, origin_host,"
      " raw_subjects, evidence, strikes, live) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  if (!up.ok()) {
    static_cast<void>(db_.Exec("ROLLBACK"));
    return up.status();
  }
  for (const Block& b : blocks) {
    up->Reset();
    up->BindText(1, b.kind);
    up->BindText(2, b.key);
    up->BindInt(3, b.created);
    up->BindInt(4, b.expires);
    up->BindText(5, b.reason);
    up->BindText(6, b.rule);
    up->BindText(7, b.origin_host);
    // Bound without a copy (SQLITE_STATIC): alive until the step.
    const std::string raw = JoinItems(b.raw_subjects, '\n');
    const std::string evidence = JoinItems(b.evidence, ' ');
    up->BindText(8, raw);
    up->BindText(9, evidence);
    up->BindInt(10, b.strikes);
    up->BindInt(11, b.live ? 1 : 0);
    if (up->Step() != SQLITE_DONE) {
      Status st = db_.Error("save a block");
      static_cast<void>(db_.Exec("ROLLBACK"));
      return st;
    }
  }
  return db_.Exec("COMMIT");
}

StatusOr<std::vector<Block>> SqliteStore::LoadBlocks(TimeUs active_at) {
  auto q = db_.Prepare(
      "SELECT kind, key, created, expires, reason, rule, origin_host, raw_subjects, evidence,"
      " strikes, live FROM block WHERE expires > ? ORDER BY created, kind, key");
  if (!q.ok()) return q.status();
  q->BindInt(1, active_at < 0 ? std::numeric_limits<int64_t>::min() : active_at);
  std::vector<Block> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    Block b;
    b.kind = q->Text(0);
    b.key = q->Text(1);
    b.created = q->Int(2);
    b.expires = q->Int(3);
    b.reason = q->Text(4);
    b.rule = q->Text(5);
    b.origin_host = q->Text(6);
    b.raw_subjects = SplitItems(q->Text(7), '\n');
    b.evidence = SplitItems(q->Text(8), ' ');
    b.strikes = static_cast<int>(q->Int(9));
    b.live = q->Int(10) != 0;
    out.push_back(std::move(b));
  }
  if (rc != SQLITE_DONE) return db_.Error("load blocks");
  return out;
}

StatusOr<int> SqliteStore::EndBlocks(const std::string& key, TimeUs at) {
  auto q = db_.Prepare("UPDATE block SET expires = ?1 WHERE key = ?2 AND expires > ?1");
  if (!q.ok()) return q.status();
  q->BindInt(1, at);
  q->BindText(2, key);
  if (q->Step() != SQLITE_DONE) return db_.Error("end blocks");
  return static_cast<int>(sqlite3_changes(db_.get()));
}

StatusOr<std::map<std::string, int64_t>> SqliteStore::CountByOutcome() {
  std::map<std::string, int64_t> out;
  auto s = db_.Prepare("SELECT outcome, count(*) FROM message GROUP BY outcome");
  if (!s.ok()) return s.status();
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) {
    const int64_t o = s->Int(0);
    out[o >= 0 && o < kOutcomeCount ? OutcomeName(static_cast<Outcome>(o)) : "invalid"] +=
        s->Int(1);
  }
  if (rc != SQLITE_DONE) return db_.Error("count outcomes");
  return out;
}

}  // namespace mailtrail
