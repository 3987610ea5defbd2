// Thin RAII wrappers over the SQLite C API: a connection and prepared statements.
// Errors come back as Status; nothing throws.
#ifndef MAILTRAIL_AGENT_STORE_SQLITE_DB_H_
#define MAILTRAIL_AGENT_STORE_SQLITE_DB_H_

#include <sqlite3.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace mailtrail {

class SqliteStmt {
 public:
  SqliteStmt() = default;
  explicit SqliteStmt(sqlite3_stmt* s) : stmt_(s) {}
  ~SqliteStmt() { sqlite3_finalize(stmt_); }
  SqliteStmt(SqliteStmt&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  SqliteStmt& operator=(SqliteStmt&& o) noexcept {
    std::swap(stmt_, o.stmt_);
    return *this;
  }

  sqlite3_stmt* get() const { return stmt_; }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindDouble(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  // The bytes must outlive the next Step().
  void BindText(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindTextOrNull(int i, std::string_view v) {
    if (v.empty())
      BindNull(i);
    else
      BindText(i, v);
  }
  void BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const {
    const auto* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, col))
             : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteStepBudget;

class SqliteDb {
 public:
  SqliteDb() = default;
  ~SqliteDb() { Close(); }
  void Close() {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // `read_only`: SQLITE_OPEN_READONLY (a file the user may only read).
  // `immutable` (read-only only): the file is trusted not to change while open,
  // so no -shm is needed (SQLite's `immutable=1`); see SqliteStore::Open.
  Status Open(const std::string& path, bool create, bool read_only = false, bool immutable = false);
  // Errors as Error() makes them: a damaged file is Corruption.
  Status Exec(const std::string& sql);
  StatusOr<SqliteStmt> Prepare(std::string_view sql);
  // The connection's last error: Corruption when the file is damaged or not a
  // database (SQLITE_CORRUPT, SQLITE_NOTADB), IoError otherwise.
  Status Error(std::string_view what) const;
  // Whether PRAGMA quick_check finds the file damaged (for errors that
  // damage can also cause).
  bool FailsQuickCheck() const;
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }
  // Whether the file opened is still the one at its path. SQLite writes on
  // into a file deleted or replaced while open, and what it writes is lost at
  // the close (helper-135: 6,846 records into an unlinked store without a
  // word): IoError naming what is at the path instead. One stat.
  Status StillAtItsPath() const;

 private:
  friend class SqliteStepBudget;
  friend class SqliteBudgetPause;
  sqlite3* db_ = nullptr;
  std::string path_;
  std::optional<std::pair<dev_t, ino_t>> file_;  // the file opened (device, inode)
  // The budget in force, suspended while FailsQuickCheck reads the file: a
  // check stopped by it would call a damaged file sound.
  SqliteStepBudget* budget_ = nullptr;
  mutable int pauses_ = 0;  // SqliteBudgetPause objects alive (they nest)
};

// While alive, the statements of `db` stop with SQLITE_INTERRUPT once they
// have run about `steps` virtual-machine instructions between them (SQLite's
// progress handler, called every kGrain instructions of a statement). A bound
// on a query's work that does not depend on the machine's speed or load. One
// per connection at a time.
class SqliteStepBudget {
 public:
  static constexpr int kGrain = 1000;
  SqliteStepBudget(SqliteDb* db, int64_t steps);
  ~SqliteStepBudget();
  SqliteStepBudget(const SqliteStepBudget&) = delete;
  SqliteStepBudget& operator=(const SqliteStepBudget&) = delete;
  // Whether a statement was stopped: what it returned is a part.
  bool spent() const { return left_ < 0; }

 private:
  friend class SqliteDb;
  friend class SqliteBudgetPause;
  void Install();
  static int Tick(void* self);
  SqliteDb* db_;
  int64_t left_;  // grains
};

// While alive, the budget in force on `db` (if any) is suspended: for work
// that is not the bounded search's own, such as a quick check of the file or
// a dictionary scan kept for the searches after (SqliteStore::FindRelayNames).
// Pauses nest: the budget counts again when the outermost one ends.
class SqliteBudgetPause {
 public:
  explicit SqliteBudgetPause(const SqliteDb* db);
  ~SqliteBudgetPause();
  SqliteBudgetPause(const SqliteBudgetPause&) = delete;
  SqliteBudgetPause& operator=(const SqliteBudgetPause&) = delete;

 private:
  const SqliteDb* db_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_SQLITE_DB_H_
