// A SQLite store locked by another process for longer than the busy timeout
// (5 s): a `mailtrail db purge` in one DELETE transaction, an sqlite3 shell.
// The writer's batch waits for the lock and is written; it failed with
// "database is locked" and the agent exited (helper-102), and systemd
// restarted it into the same lock. The other process here is a real one.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "agent/store/store.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class SqliteLocked : public ::testing::Test, public StoreFixture {};

TEST_F(SqliteLocked, ABatchWaitsForAnotherProcesssWriteLock) {
  TempDir dir{"mt_locked"};
  const std::string path = dir.File("s.db");
  auto s = OpenStore("sqlite:" + path, StoreOptions{});
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->WriteBatch({Sample("44C4B10A321")}, nullptr).ok());
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t other = fork();
  ASSERT_GE(other, 0);
  if (other == 0) {  // the other process: holds the write lock for 8 s
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) _exit(2);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) _exit(3);
    if (write(ready[1], "x", 1) != 1) _exit(4);
    sleep(8);
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    _exit(0);
  }
  close(ready[1]);
  char x;
  ASSERT_EQ(read(ready[0], &x, 1), 1) << "the other process took the lock";
  close(ready[0]);
  Status st = (*s)->WriteBatch({Sample("55C4B10A321")}, nullptr);
  int status = 0;
  waitpid(other, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(st.ok()) << st.message();
  auto n = (*s)->CountMatches(SearchQuery{});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
}

}  // namespace
}  // namespace mailtrail
