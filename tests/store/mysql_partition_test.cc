// MysqlStore's daily partitions against a reader that holds the table: a
// nightly `mysqldump --single-transaction` or a long report at midnight.
// Against a real MariaDB.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "agent/store/mysql_partitions.h"
#include "agent/store/store.h"
#include "tests/support/capture_logger.h"
#include "tests/support/fake_clock.h"
#include "tests/support/mysql_store_fixture.h"

namespace mailtrail {
namespace {

constexpr int64_t kDay = 20400;  // 2025-11-08
constexpr TimeUs kNoon = (kDay * 86400 + 12 * 3600) * kUsPerSecond;

class MysqlPartitionFixture : public MysqlStoreFixture {
 protected:
  // An agent on `clock` that wrote its first batch, of kDay.
  std::unique_ptr<Store> FirstBatch(FakeClock* clock) {
    StoreOptions o;
    o.agent_name = "mx1";
    o.clock = clock;
    auto s = OpenStore(url_, o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (!s.ok() || !(*s)->WriteBatch({On("A1", "mx", kDay)}, nullptr).ok()) return nullptr;
    return std::move(*s);
  }
  // How many of `message` and `rcpt` have `day`'s own partition.
  std::string PartitionsOf(int64_t day) {
    return Value(
        "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME IN ('message', 'rcpt') AND PARTITION_NAME = '" +
        MysqlPartitions::DayName('d', day) + "'");
  }
};
using MysqlPartitionTest = MysqlPartitionFixture;

// The first batch of a day added the day's partition (ALTER TABLE ...
// REORGANIZE PARTITION), which waits for every open transaction that has read
// `message`, and holds every later statement on it: at midnight such a
// reader made every agent "unavailable" with a lost connection (helper-95
// F5). Tomorrow's partition is made ahead, while the table is free; a day
// that must be made while the table is held waits a few seconds, then says
// so, and is tried again.
TEST_F(MysqlPartitionTest, TomorrowsPartitionIsMadeAheadAndAHeldTableIsSaid) {
  FakeClock clock(kNoon);
  auto s = FirstBatch(&clock);
  ASSERT_TRUE(s);
  EXPECT_EQ(PartitionsOf(kDay + 1), "2") << "tomorrow's partition is there before its first record";

  auto backup = HoldTheTables();
  clock.Advance(12 * 3600 * kUsPerSecond + 10 * kUsPerSecond);  // 00:00:10 the next day
  Status st = s->WriteBatch({On("A2", "mx", kDay + 1)}, nullptr);
  EXPECT_TRUE(st.ok()) << "midnight needs no DDL: " << st.message();
  // A day whose partition is not there (a log far ahead of the clock).
  st = s->WriteBatch({On("A3", "mx", kDay + 30)}, nullptr);
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.message();
  EXPECT_NE(st.message().find("held by another transaction"), std::string::npos) << st.message();
  backup.reset();
  st = s->WriteBatch({On("A3", "mx", kDay + 30)}, nullptr);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Value("SELECT COUNT(*) FROM message"), "3");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM message PARTITION (pmax)"), "0") << "every row in its day";
}

// A lock's name is server-wide, and a provider's customers share a server:
// under 'mailtrail_partitions' one database's partition DDL made every other
// database's agent skip tomorrow's partition (CI run 55: two tests' stores
// on one server) and wait for its own day's.
TEST_F(MysqlPartitionTest, AnotherDatabasesPartitionLockHoldsNothingHere) {
  auto other = Session();
  other->setSchema(DatabaseOf(db_.NewDatabase()));
  {
    std::unique_ptr<sql::Statement> st(other->createStatement());
    std::unique_ptr<sql::ResultSet> rs(
        st->executeQuery("SELECT GET_LOCK(" + MysqlPartitions::LockName() + ", 0)"));
    ASSERT_TRUE(rs->next());
    ASSERT_EQ(rs->getInt(1), 1) << "the other database's agent holds its lock";
  }
  FakeClock clock(kNoon);
  auto s = FirstBatch(&clock);
  ASSERT_TRUE(s);
  EXPECT_EQ(PartitionsOf(kDay + 1), "2")
      << "tomorrow's partition is made while another database's agent makes its own";
}

// An agent of an older mailtrail (its lock named server-wide, 'mailtrail_
// partitions') splits the same day's gap while this one waits to: this
// one's ALTER then names a partition that is gone. That was an error no
// retry mended, and the agent's run stopped (helper-124 L1); now the split
// is read again, and found made.
class MysqlPartitionRaceTest : public MysqlPartitionFixture,
                               public ::testing::WithParamInterface<int> {};

TEST_P(MysqlPartitionRaceTest, ADaySplitByAnotherAgentMeanwhileIsNoError) {
  FakeClock clock(kNoon);
  auto s = FirstBatch(&clock);
  ASSERT_TRUE(s);
  const int64_t far = kDay + 30;
  // The older agent splits the same day, or another of the same gap
  // (helper-125: the layout this one read is gone either way).
  const int64_t theirs = far + GetParam();
  // The older agent's statements, as this one would write them now.
  auto old_agent = Session();
  auto parts = MysqlPartitions::Read(old_agent.get());
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  std::string gap, into;
  for (const auto& r : *parts) {
    if (theirs < r.lo || theirs >= r.hi) continue;
    gap = r.name;
    for (const auto& piece : MysqlPartitions::Split(r, theirs))
      into += (into.empty() ? "" : ", ") + std::string("PARTITION ") + piece.name +
              " VALUES LESS THAN (" +
              (piece.hi == INT64_MAX ? "MAXVALUE" : std::to_string(piece.hi * 86400)) + ")";
  }
  ASSERT_FALSE(gap.empty());
  auto waiting = [&](const std::string& what) {
    return Value(
               "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE LIKE "
               "'Waiting for table metadata lock' AND INFO LIKE 'ALTER TABLE message%'") == what;
  };
  auto holder = HoldTheTables();  // both ALTERs queue behind it, the old agent's first
  std::thread older([&] {
    std::unique_ptr<sql::Statement> st(old_agent->createStatement());
    st->execute("SET SESSION lock_wait_timeout = 120");
    for (const char* table : {"message", "rcpt"})
      st->execute(std::string("ALTER TABLE ") + table + " REORGANIZE PARTITION " + gap + " INTO (" +
                  into + ")");
  });
  // Each look runs the mariadb client (some milliseconds): no sleep between.
  for (int i = 0; i < 3000 && !waiting("1"); ++i) {
  }
  Status st;
  std::thread newer([&] { st = s->WriteBatch({On("A3", "mx", far)}, nullptr); });
  // Released once this agent waits too (it waits kLockWaitSeconds at most;
  // if it gave up first, its retry finds the day made, and passes anyway).
  for (int i = 0; i < 300 && !waiting("2"); ++i) {
  }
  holder.reset();
  older.join();
  newer.join();
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(
      Value("SELECT COUNT(*) FROM message PARTITION (" + MysqlPartitions::DayName('d', far) + ")"),
      "1");
}

INSTANTIATE_TEST_SUITE_P(SameOrAnotherDay, MysqlPartitionRaceTest, ::testing::Values(0, 5));

}  // namespace
}  // namespace mailtrail
