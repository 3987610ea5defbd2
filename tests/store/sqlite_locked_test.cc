// A SQLite store locked by another process for longer than the busy timeout
// (5 s): a `mailtrail db purge` in one DELETE transaction, an sqlite3 shell.
// The writer's batch waits for the lock and is written; it failed with
// "database is locked" and the agent exited (helper-102), and systemd
// restarted it into the same lock. The other process here is a real one.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>

#include "agent/store/locked_wait.h"
#include "agent/store/store.h"
#include "tests/support/fake_clock.h"
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

// A lock held past LockedWait::kLimit (10 minutes of the store's clock, here a
// fake one the test moves): the batch gives up, says that nothing of it was
// written, and is not written. It waited on a real clock of its own before,
// so that the give-up could not be tested in less than 10 minutes.
TEST_F(SqliteLocked, ABatchGivesUpAtTheLimitOfItsClockAndWritesNothing) {
  TempDir dir{"mt_locked"};
  const std::string path = dir.File("s.db");
  FakeClock clock;
  StoreOptions o;
  o.clock = &clock;
  auto s = OpenStore("sqlite:" + path, o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->WriteBatch({Sample("44C4B10A321")}, nullptr).ok());
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const pid_t other = fork();
  ASSERT_GE(other, 0);
  if (other == 0) {  // the other process: holds the write lock until told
    close(release[1]);
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) _exit(2);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) _exit(3);
    if (write(ready[1], "x", 1) != 1) _exit(4);
    char y;
    if (read(release[0], &y, 1) < 0) _exit(5);  // a byte, or the test's end
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  char x;
  ASSERT_EQ(read(ready[0], &x, 1), 1) << "the other process took the lock";
  close(ready[0]);
  auto batch = std::async(std::launch::async,
                          [&s] { return (*s)->WriteBatch({Sample("55C4B10A321")}, nullptr); });
  // Each try waits SQLite's busy timeout (5 s of real time); the clock moves
  // past the limit meanwhile. A batch still waiting after 60 s did not give up:
  // the lock is released then, and the test fails below.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (batch.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready &&
         std::chrono::steady_clock::now() < deadline)
    clock.Advance(LockedWait::kLimit / 4);
  close(release[1]);  // the other process lets go
  const Status st = batch.get();
  int status = 0;
  waitpid(other, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(st.code(), Status::Code::kIoError) << st.message();
  EXPECT_NE(st.message().find("nothing of this batch was written"), std::string::npos)
      << st.message();
  auto n = (*s)->CountMatches(SearchQuery{});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1) << "the batch that gave up is not in the store";
}

}  // namespace
}  // namespace mailtrail
