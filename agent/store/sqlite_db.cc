#include "agent/store/sqlite_db.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace mailtrail {

namespace {

bool IsDamage(int code) {
  return (code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB;
}

// Another process's write transaction outlasted the busy timeout: the store is
// there, only not now (a `db purge`, an sqlite3 shell). Callers that can wait
// do (SqliteStore::WriteBatch, the agent's start, the writing verbs).
bool IsLocked(int code) { return (code & 0xff) == SQLITE_BUSY; }

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

}  // namespace

Status SqliteDb::Open(const std::string& path, bool create, bool read_only, bool immutable) {
  // Without memory statistics SQLite's allocator takes no global mutex per call
  // (the connections are NOMUTEX already). Must precede SQLite's initialization;
  // refused harmlessly if something in the process initialized it first.
  // (SQLITE_CONFIG_STMTJRNL_SPILL stays at its 64 KiB: SQLite's unix files
  // take writes under 128 KiB, and a statement journal that outgrows its bound
  // is first written in one block of that size; docs/benchmarks.md.)
  static std::once_flag no_memstatus;
  std::call_once(no_memstatus, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  path_ = path;
  immutable = immutable && read_only;
  const int flags = (read_only ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)) |
                    SQLITE_OPEN_NOMUTEX | (immutable ? SQLITE_OPEN_URI : 0);
  const std::string name = immutable ? FileUri(path) + "?immutable=1" : path;
  if (const int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) {
    // A path with no file is a store not made yet (or a mistyped one): said
    // so, not as SQLite's "unable to open database file".
    struct stat st;
    const bool missing =
        !create && rc == SQLITE_CANTOPEN && ::stat(path.c_str(), &st) != 0 && errno == ENOENT;
    const std::string m =
        "cannot open database " + path + ": " +
        (missing ? "no store there yet (`mailtrail replay` or `mailtrail run` makes one)"
         : db_   ? sqlite3_errmsg(db_)
                 : "out of memory");
    Status s = IsDamage(rc) ? Status::Corruption(m) : Status::IoError(m);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return s;
  }
  sqlite3_busy_timeout(db_, 5000);
  sqlite3_extended_result_codes(db_, 1);
  struct stat file;
  file_.reset();
  if (::stat(path.c_str(), &file) == 0) file_ = {file.st_dev, file.st_ino};
  return Status::Ok();
}

Status SqliteDb::StillAtItsPath() const {
  if (!file_) return Status::Ok();
  struct stat now;
  const bool there = ::stat(path_.c_str(), &now) == 0;
  if (there && now.st_dev == file_->first && now.st_ino == file_->second) return Status::Ok();
  return Status::IoError(path_ + " was deleted, moved or replaced while open (" +
                         (there ? "another file is at its path now"
                                : (errno == ENOENT ? std::string("no file is at its path now")
                                                   : std::string("its path cannot be read: ") +
                                                         std::strerror(errno))) +
                         "): nothing more is written into it");
}

Status SqliteDb::Exec(const std::string& sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string m = path_ + ": " + (err ? err : "unknown error");
    sqlite3_free(err);
    if (IsLocked(rc)) return Status::Unavailable(m);
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
  if (IsLocked(code)) return Status::Unavailable(m);
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
