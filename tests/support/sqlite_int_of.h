// A test's look inside a SQLite file, beside the store: the integer a query
// gives, after some statements ran on the same connection.
#ifndef MAILTRAIL_TESTS_SUPPORT_SQLITE_INT_OF_H_
#define MAILTRAIL_TESTS_SUPPORT_SQLITE_INT_OF_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace mailtrail {

// The integer the query `sql` gives on the database at `path`, after the
// statements `first` (if any) ran there; -1 when it gives no row.
inline int64_t IntOf(const std::string& path, const std::string& sql,
                     const std::string& first = "") {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  if (!first.empty()) {
    EXPECT_EQ(sqlite3_exec(db, first.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
  }
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  const int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_SQLITE_INT_OF_H_
