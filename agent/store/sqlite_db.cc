#include "agent/store/sqlite_db.h"

#include <algorithm>
#include <cstdio>

namespace mailtrail {

namespace {

bool IsDamage(int code) {
  return (code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB;
}

// "file:" URI of `path` (RFC 3986 percent-encoding of what SQLite would read
// as the query or fragment, or as an escape).
std::string FileUri(const std::string& path) {
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '?' || c == '#' || c == '%') {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      uri += hex;
    } else {
      uri += c;
    }
  }
  return uri;
}

constexpr int kStatementJournalInMemory = 4 << 20;

// Both must precede SQLite's initialization (refused harmlessly after it), so
// they are set before main: a program or a test that opens a database through
// sqlite3_open first would otherwise initialize SQLite without them.
// - Without memory statistics SQLite's allocator takes no global mutex per
//   call (the connections are NOMUTEX already).
// - A statement on a table with a trigger (message's subject index, rcpt's
//   first_seen) keeps a statement journal: a copy of every page it changes.
//   Past 64 KiB, SQLite's default, that journal is a temporary file, and an
//   insert changes a dozen 16 KiB pages (the row, each index, the subject
//   index): a replay of 1M lines into a store that was not empty wrote 17 GB
//   into it, in 2.1M pwrite calls, and took 6.9 s instead of 5.5 s
//   (docs/benchmarks.md). 4 MiB keeps a record's in memory; a larger
//   statement (a purge's DELETE) still goes to a file past that.
void ConfigureLibrary() {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalInMemory);
}

[[maybe_unused]] const bool kConfiguredAtStart = (ConfigureLibrary(), true);

}  // namespace

Status SqliteDb::Open(const std::string& path, bool create, bool read_only, bool immutable) {
  path_ = path;
  immutable = immutable && read_only;
  const int flags = (read_only ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)) |
                    SQLITE_OPEN_NOMUTEX | (immutable ? SQLITE_OPEN_URI : 0);
  const std::string name = immutable ? FileUri(path) + "?immutable=1" : path;
  if (const int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) {
    const std::string m =
        "cannot open database " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
    Status s = IsDamage(rc) ? Status::Corruption(m) : Status::IoError(m);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return s;
  }
  sqlite3_busy_timeout(db_, 5000);
  sqlite3_extended_result_codes(db_, 1);
  return Status::Ok();
}

Status SqliteDb::Exec(const std::string& sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string m = path_ + ": " + (err ? err : "unknown error");
    sqlite3_free(err);
    return IsDamage(rc) ? Status::Corruption(m) : Status::IoError(m);
  }
  return Status::Ok();
}

StatusOr<SqliteStmt> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK)
    return Error("prepare");
  return SqliteStmt(stmt);
}

Status SqliteDb::Error(std::string_view what) const {
  const int code = sqlite3_extended_errcode(db_);
  std::string m = path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_);
  if (IsDamage(code)) return Status::Corruption(m);
  // A damaged page can also read as "database or disk is full" (a garbage
  // cell or free-page count: tests/replay/cli_errors.sh met it in 7 of 8
  // damaged copies). That error is checked: damage when the file fails
  // SQLite's quick check, a full disk otherwise.
  if ((code & 0xff) == SQLITE_FULL && FailsQuickCheck()) return Status::Corruption(m);
  return Status::IoError(m);
}

bool SqliteDb::FailsQuickCheck() const {
  SqliteBudgetPause pause(this);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA quick_check(1)", -1, &st, nullptr) != SQLITE_OK)
    return IsDamage(sqlite3_extended_errcode(db_));
  const int rc = sqlite3_step(st);
  const unsigned char* text = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : nullptr;
  const bool bad =
      rc == SQLITE_ROW
          ? text == nullptr || std::string_view(reinterpret_cast<const char*>(text)) != "ok"
          : IsDamage(sqlite3_extended_errcode(db_));
  sqlite3_finalize(st);
  return bad;
}

SqliteStepBudget::SqliteStepBudget(SqliteDb* db, int64_t steps)
    : db_(db), left_(std::max<int64_t>(steps / kGrain, 1)) {
  db_->budget_ = this;
  if (db_->pauses_ == 0) Install();
}

SqliteStepBudget::~SqliteStepBudget() {
  sqlite3_progress_handler(db_->db_, 0, nullptr, nullptr);
  db_->budget_ = nullptr;
}

void SqliteStepBudget::Install() { sqlite3_progress_handler(db_->db_, kGrain, &Tick, this); }

SqliteBudgetPause::SqliteBudgetPause(const SqliteDb* db) : db_(db) {
  if (db_->pauses_++ == 0 && db_->budget_) sqlite3_progress_handler(db_->db_, 0, nullptr, nullptr);
}

SqliteBudgetPause::~SqliteBudgetPause() {
  if (--db_->pauses_ == 0 && db_->budget_) db_->budget_->Install();
}

int SqliteStepBudget::Tick(void* self) {
  auto* b = static_cast<SqliteStepBudget*>(self);
  return --b->left_ < 0 ? 1 : 0;
}

}  // namespace mailtrail
