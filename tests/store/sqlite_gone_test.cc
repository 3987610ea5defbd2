// A SQLite store file deleted or replaced while the agent has it open: SQLite
// goes on writing into the unlinked inode, and everything since is lost when
// the agent stops (helper-135: 6,846 records committed into a deleted file,
// no word, exit 0). Each batch now finds its file still at its path, or
// fails saying so: the agent stops with that error instead of losing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "agent/store/store.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class SqliteGone : public ::testing::Test, public StoreFixture {};

TEST_F(SqliteGone, ABatchForAStoreDeletedMeanwhileFailsSayingSo) {
  TempDir dir{"mt_gone"};
  const std::string path = dir.File("s.db");
  auto s = OpenStore("sqlite:" + path, StoreOptions{});
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->WriteBatch({Sample("44C4B10A321")}, nullptr).ok());
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  const Status st = (*s)->WriteBatch({Sample("44C4B10A322")}, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("was deleted, moved or replaced while open (no file is at its "
                              "path now)"),
            std::string::npos)
      << st.message();
}

TEST_F(SqliteGone, ABatchForAStoreReplacedMeanwhileFailsSayingSo) {
  TempDir dir{"mt_gone"};
  const std::string path = dir.File("s.db");
  auto s = OpenStore("sqlite:" + path, StoreOptions{});
  ASSERT_TRUE(s.ok()) << s.status().message();
  {  // another store made at the same path (a restore from a backup, say)
    auto other = OpenStore("sqlite:" + dir.File("t.db"), StoreOptions{});
    ASSERT_TRUE(other.ok());
  }
  ASSERT_EQ(std::rename(dir.File("t.db").c_str(), path.c_str()), 0);
  const Status st = (*s)->WriteBatch({Sample("44C4B10A322")}, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("(another file is at its path now)"), std::string::npos)
      << st.message();
}

// Blocks too: the writer saves them before each batch (helper-144 L5).
TEST_F(SqliteGone, BlocksForAStoreDeletedMeanwhileFailSayingSo) {
  TempDir dir{"mt_gone"};
  const std::string path = dir.File("s.db");
  auto s = OpenStore("sqlite:" + path, StoreOptions{});
  ASSERT_TRUE(s.ok()) << s.status().message();
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  Block b;
  b.kind = BlockKind::kSubject;
  b.key = "a flood's subject";
  b.created = 1000 * kUsPerSecond;
  b.expires = 5000 * kUsPerSecond;
  const Status st = (*s)->SaveBlocks({b});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("the store file " + path + " was deleted"), std::string::npos)
      << st.message();
}

// And every other write: the web console's and the CLI's block ends, the
// agent's status and line counts, a purge (helper-146 F8: a block "ended"
// into the replaced file answered 200 and was audited as done).
TEST_F(SqliteGone, EveryWriteToAStoreReplacedMeanwhileFails) {
  TempDir dir{"mt_gone"};
  const std::string path = dir.File("s.db");
  auto s = OpenStore("sqlite:" + path, StoreOptions{});
  ASSERT_TRUE(s.ok()) << s.status().message();
  {
    auto other = OpenStore("sqlite:" + dir.File("t.db"), StoreOptions{});
    ASSERT_TRUE(other.ok());
  }
  ASSERT_EQ(std::rename(dir.File("t.db").c_str(), path.c_str()), 0);
  EXPECT_FALSE(
      (*s)->SetBlockEnds("a flood's subject", 2000 * kUsPerSecond, 2000 * kUsPerSecond).ok());
  EXPECT_FALSE((*s)->AddLineStats(LineStats{}).ok());
  EXPECT_FALSE((*s)->PurgeBefore(20000).ok());
  AgentStatus status;
  status.agent = "mx";
  EXPECT_FALSE((*s)->SaveAgentStatus(status).ok());
  EXPECT_FALSE((*s)->ExchangeCounts("mx", {}, 0).ok());
}

TEST_F(SqliteGone, AStoreStillAtItsPathIsWritten) {
  TempDir dir{"mt_gone"};
  const std::string path = dir.File("s.db");
  auto s = OpenStore("sqlite:" + path, StoreOptions{});
  ASSERT_TRUE(s.ok()) << s.status().message();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE((*s)->WriteBatch({Sample("44C4B10A32" + std::to_string(i))}, nullptr).ok());
}

}  // namespace
}  // namespace mailtrail
