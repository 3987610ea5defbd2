#include "agent/store/sqlite_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "agent/store/locked_wait.h"
#include "agent/store/record_columns.h"
#include "agent/store/sqlite_codec.h"
#include "base/ip_address.h"
#include "base/log.h"
#include "base/real_clock.h"
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

// Placeholders "?,?,...": n of them.
std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i ? ",?" : "?";
  return out;
}
// Who holds a SQLite file's write lock for seconds, as an admin would look.
constexpr const char* kLockedBy = "a `mailtrail db purge`, an sqlite3 shell?";

}  // namespace

StatusOr<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path, Detail detail,
                                                   bool create, size_t dict_cache_entries,
                                                   int64_t cache_mb, bool read_only,
                                                   int64_t mmap_mb, const Clock* clock) {
  if (path.empty()) return Status::InvalidArgument("empty SQLite path");
  static const RealClock kRealClock;
  std::unique_ptr<SqliteStore> s(new SqliteStore(detail));
  s->clock_ = clock != nullptr ? clock : &kRealClock;
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
  if (Status st = s->MapFile(mmap_mb); !st.ok()) return st;
  // WAL: readers (search) never block the writer. NORMAL sync is durable across
  // application crashes, which is what the tail checkpoint needs.
  const int64_t cache_kib = std::max<int64_t>(cache_mb, 1) * 1024;
  s->cache_kib_ = cache_kib;
  if (read_only) {
    // Nothing written: no journal mode set, no migration, no index repair (a
    // search without the indexes a crashed bulk load dropped is only slower;
    // the subject index it left empty is not asked: RareSubjectIds).
    Status st = s->CheckSchemaVersion();
    const int code = sqlite3_extended_errcode(s->db_.get());
    if (!st.ok() && (code == SQLITE_READONLY_DIRECTORY || code == SQLITE_READONLY_CANTINIT) &&
        ::access((path + "-wal").c_str(), F_OK) != 0 && errno == ENOENT) {
      // A WAL database needs its -shm, which this user may not create beside
      // it. No -wal file: no writer has the database open, and every commit is
      // in the file itself, so it is read as it is, without the -shm (a writer
      // starting during this one search is the only case not covered). Not
      // mapped: an immutable connection takes no lock and never drops its
      // map, so a purge that shrank the file meanwhile would end the process
      // with SIGBUS (a review reproduced it), where a pread says "malformed".
      s->db_.Close();
      if (Status o = s->db_.Open(path, false, true, /*immutable=*/true); !o.ok()) return o;
      if (Status f = register_functions(); !f.ok()) return f;
      if (Status m = s->MapFile(0); !m.ok()) return m;
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
  Status st = s->db_.Exec(
      "PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-" +
      std::to_string(cache_kib) + ";");
  if (st.ok()) st = s->Migrate();
  if (st.ok()) st = s->RestoreDeferredIndexes();
  if (st.ok()) st = s->Prepare();
  // Locked by another process for longer than the busy timeout: unavailable,
  // said as such; the agent's start and the writing verbs wait (helper-104 F3:
  // `run` and `replay` exited with "database is locked").
  if (st.code() == Status::Code::kUnavailable)
    return Status::Unavailable(path + " is locked by another process (" + kLockedBy + ")");
  if (!st.ok()) return st;
  return std::unique_ptr<Store>(std::move(s));
}

// A file deleted (or another put at its path) while open is written on by
// SQLite, and lost when the store is closed (helper-135): checked before each
// batch and each save of blocks.
Status SqliteStore::StillAtItsPath() const {
  Status st = db_.StillAtItsPath();
  if (st.ok()) return st;
  return Status::IoError("the store file " + st.message() +
                         ". What it held stays with it if it was moved, and is lost if it was "
                         "deleted; a store opened at that path has none of it (`mailtrail "
                         "replay` of those logs makes it again)");
}

// Pages read through a map are not copied from the kernel's cache into the
// connection's (pread): a 6 h export of the 7-day bench store took 3.9-4.3 s
// instead of 6.2-9.6 s, the first report of a day 13 s instead of 22 s
// (docs/benchmarks.md). In WAL mode a checkpoint cannot shrink the file below
// a reader's snapshot, and a reader drops its map when the WAL index changed,
// so a purge meanwhile is safe (SqliteMmap); not so an immutable connection
// (Open does not map one). A disk's read error becomes SIGBUS instead of an
// error, which is why it is a reader's setting and can be 0. SQLite caps the
// map at 2 GiB (its default SQLITE_MAX_MMAP_SIZE); the rest of a larger file
// is read.
Status SqliteStore::MapFile(int64_t mmap_mb) {
  return db_.Exec("PRAGMA mmap_size=" + std::to_string(std::max<int64_t>(mmap_mb, 0) << 20));
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

StatusOr<int64_t> SqliteStore::IntPragma(const std::string& name) {
  auto st = db_.Prepare("PRAGMA " + name);
  if (!st.ok()) return st.status();
  if (st->Step() != SQLITE_ROW) return db_.Error("read PRAGMA " + name);
  return st->Int(0);
}

Status SqliteStore::Prepare() {
  // The record's columns from its description (agent/store/record_columns.h).
  const std::string insert_message = "INSERT INTO message (" + ColumnNames(MessageColumns()) +
                                     ") VALUES (" + Placeholders(MessageColumns().size()) + ")";
  // rcpt's own columns before the record's: its message, its place, and the
  // message's first_seen (schema 0010: a recipient's rows in time order).
  const std::string insert_rcpt = "INSERT INTO rcpt (message, seq, first_seen, " +
                                  ColumnNames(RecipientColumns()) + ") VALUES (" +
                                  Placeholders(3 + RecipientColumns().size()) + ")";
  const SelectSql rcpt = SelectColumns(RecipientColumns(), "r", DictTableOf);
  const std::string select_rcpts = "SELECT " + rcpt.columns + " FROM rcpt r" + rcpt.joins +
                                   " WHERE r.message = ? ORDER BY r.seq";
  struct {
    SqliteStmt* stmt;
    const char* sql;
  } const kStatements[] = {
      {&insert_message_, insert_message.c_str()},
      {&insert_rcpt_, insert_rcpt.c_str()},
      {&insert_dict_, "INSERT INTO dict (kind, hash, text) VALUES (?, ?, ?)"},
      {&delete_rcpts_,
       "DELETE FROM rcpt WHERE message IN"
       " (SELECT id FROM message WHERE qid = ?1 AND first_seen = ?2 AND host = ?3 AND id <> ?4)"},
      {&delete_message_,
       "DELETE FROM message WHERE qid = ?1 AND first_seen = ?2 AND host = ?3 AND id <> ?4"},
      // The checkpoint's parts are rows 'tail', 'tail.0000000001', ... (in name
      // order): a checkpoint saved whole before parts existed is the first.
      {&upsert_checkpoint_,
       "INSERT OR REPLACE INTO checkpoint (name, data, updated) VALUES (?, ?, ?)"},
      {&select_dict_, "SELECT id FROM dict WHERE hash = ? AND kind = ? AND text = ?"},
      {&select_rcpts_, select_rcpts.c_str()},
  };
  for (const auto& s : kStatements) {
    auto st = db_.Prepare(s.sql);
    if (!st.ok()) return st.status();
    *s.stmt = std::move(*st);
  }
  return Status::Ok();
}

// Another process's write transaction longer than the busy timeout (5 s): a
// `mailtrail db purge` (one DELETE transaction), an sqlite3 shell. The batch
// waits for it, said once a minute; the live agent's reading pauses
// meanwhile. It exited with "database is locked" before (helper-102), and
// systemd restarted it into the same lock.
Status SqliteStore::WriteBatch(const std::vector<MessageRecord>& records,
                               const CheckpointUpdate* checkpoint) {
  if (Status st = StillAtItsPath(); !st.ok()) return st;
  const LockedWait wait(*clock_);  // each try waits SQLite's busy timeout first
  for (;;) {
    bool locked = false;
    Status st = WriteBatchOnce(records, checkpoint, &locked);
    if (!locked) return st;
    const std::string how_long = std::to_string(wait.waited() / kUsPerSecond) + " s";
    if (!wait.TryAgain())
      return Status::IoError(st.message() + " (locked by another process for " + how_long +
                             "; nothing of this batch was written: the agent, restarted, "
                             "reads its lines again, and a replay can be run again)");
    StderrLog().Limited(LogLevel::kWarn, "sqlite.locked",
                        EscapeForLog(db_.path(), 300) + " is locked by another process (" +
                            kLockedBy + ") for " + how_long + ": the records wait for it",
                        clock_->MonotonicNow());
  }
}

Status SqliteStore::WriteBatchOnce(const std::vector<MessageRecord>& records,
                                   const CheckpointUpdate* checkpoint, bool* locked) {
  if (records.empty() && checkpoint == nullptr) return Status::Ok();
  if (!dict_loaded_) {
    if (Status st = LoadDictionary(); !st.ok()) return st;
  }
  ForgetWhatWasSeen();
  // A table with a trigger (the subject index's, rcpt's first_seen) makes each
  // insert keep a statement journal, a copy of every page it changes; past
  // 64 KiB it goes to a temporary file, and SQLite cannot keep more in memory
  // (its files take writes under 128 KiB, and the journal's first write is as
  // large as the bound). A transaction begun with the temporary store in
  // memory keeps its statement journals in memory, each freed when its
  // statement ends. A batch's statements change a few pages each; the
  // store's other transactions (a purge's DELETE changes thousands) begin
  // with the default. Measured: 17 GB of pwrite calls for the 117,708 records
  // of gen-1M written into a store that was not empty (docs/benchmarks.md).
  struct DefaultTempStoreAfter {
    SqliteDb& db;
    ~DefaultTempStoreAfter() { static_cast<void>(db.Exec("PRAGMA temp_store = DEFAULT")); }
  } restore{db_};
  if (Status st = db_.Exec("PRAGMA temp_store = MEMORY; BEGIN IMMEDIATE"); !st.ok()) {
    *locked = st.code() == Status::Code::kUnavailable;
    return st;
  }
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

// Binds a row's columns from `first` on (agent/store/record_columns.h). Texts
// it makes live in the sink until the row's Step().
class SqliteStore::RowSink {
 public:
  RowSink(SqliteStore* store, SqliteStmt* s, int first) : store_(store), s_(s), i_(first) {}
  void Null() { ++i_; }  // Reset() cleared the bindings
  void Int(int64_t v) { s_->BindInt(i_++, v); }
  void Double(double v) { s_->BindDouble(i_++, v); }
  void Text(std::string_view v) { s_->BindText(i_++, v); }
  void OwnedText(std::string v) { s_->BindTextOrNull(i_++, Hold(std::move(v))); }
  void Blob(std::string v) { s_->BindBlob(i_++, Hold(std::move(v))); }
  void Dict(Stored kind, std::string_view text) {
    if (kind == Stored::kSubject) return Text(text);  // the text itself
    Int(store_->DictId(kind == Stored::kAddress ? kAddress
                       : kind == Stored::kSasl  ? kSasl
                                                : kHostName,
                       text));
  }
  void Encoded(const std::vector<ScanResult>& scans) { OwnedText(EncodeScans(scans)); }
  void Encoded(const std::vector<RecordEvent>& events) {
    std::string blob = EncodeEvents(events);
    if (blob.empty()) return Null();
    Blob(std::move(blob));
  }

 private:
  std::string_view Hold(std::string v) {
    if (kept_ == kSlots) std::abort();  // more made texts than a record has columns for
    owned_[kept_] = std::move(v);
    return owned_[kept_++];
  }
  static constexpr int kSlots = 8;
  SqliteStore* store_;
  SqliteStmt* s_;
  int i_;
  std::string owned_[kSlots];
  int kept_ = 0;
};

Status SqliteStore::WriteOne(const MessageRecord& r) {
  int64_t replaces = 0;  // first_seen of the held record a kReplace deletes
  auto held = CheckHeld(r, &replaces);
  if (!held.ok()) return held.status();
  if (*held == HeldAction::kSkip) {
    ++batch_held_.kept;
    return Status::Ok();
  }
  if (*held == HeldAction::kReplace) ++batch_held_.replaced;
  SqliteStmt& m = insert_message_;
  m.Reset();
  {
    RowSink sink(this, &m, 1);
    WriteMessageColumns(r, detail_, sink);
    if (dict_failed_) {
      dict_failed_ = false;
      return db_.Error("insert into the dictionary");
    }
    if (m.Step() != SQLITE_DONE) return db_.Error("insert message");
  }
  const int64_t message = sqlite3_last_insert_rowid(db_.get());
  if ((r.is_update || *held == HeldAction::kReplace) && !r.qid.empty()) {
    // The record replaces the one written for the same message before (live
    // mode: written at removal, then changed by a late line; a replay: held
    // open, its log having ended before the message). Deleted after the new
    // row is in, so the new row's id is larger than the old one's, never the
    // same: Store::SliceStamps relies on ids not being reused.
    const int64_t host = DictId(kHostName, r.host);
    for (SqliteStmt* d : {&delete_rcpts_, &delete_message_}) {
      d->Reset();
      d->BindText(1, r.qid);
      d->BindInt(2, *held == HeldAction::kReplace ? replaces : r.first_seen / kUsPerSecond);
      d->BindInt(3, host);
      d->BindInt(4, message);
      if (d->Step() != SQLITE_DONE) return db_.Error("replace an updated record");
    }
  }
  int seq = 0;
  for (const auto& rc : r.recipients) {
    SqliteStmt& s = insert_rcpt_;
    s.Reset();
    s.BindInt(1, message);
    s.BindInt(2, seq++);
    s.BindInt(3, r.first_seen / kUsPerSecond);
    RowSink sink(this, &s, 4);
    WriteRecipientColumns(rc, detail_, sink);
    if (dict_failed_) {
      dict_failed_ = false;
      return db_.Error("insert into the dictionary");
    }
    if (s.Step() != SQLITE_DONE) return db_.Error("insert recipient");
  }
  return Status::Ok();
}

}  // namespace mailtrail
