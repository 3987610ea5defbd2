// MysqlStore's daily partitions against a reader that holds the table: a
// nightly `mysqldump --single-transaction` or a long report at midnight.
// Against a real MariaDB.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "agent/store/mysql_partitions.h"
#include "agent/store/store.h"
#include "tests/support/capture_logger.h"
#include "tests/support/fake_clock.h"
#include "tests/support/mysql_store_fixture.h"

namespace mailtrail {
namespace {

using MysqlPartitionTest = MysqlStoreFixture;

constexpr int64_t kDay = 20400;  // 2025-11-08

// The first batch of a day added the day's partition (ALTER TABLE ...
// REORGANIZE PARTITION), which waits for every open transaction that has read
// `message`, and holds every later statement on it: at midnight such a
// reader made every agent "unavailable" with a lost connection (helper-95
// F5). Tomorrow's partition is made ahead, while the table is free; a day
// that must be made while the table is held waits a few seconds, then says
// so, and is tried again.
TEST_F(MysqlPartitionTest, TomorrowsPartitionIsMadeAheadAndAHeldTableIsSaid) {
  FakeClock clock((kDay * 86400 + 12 * 3600) * kUsPerSecond);  // noon of kDay
  StoreOptions o;
  o.agent_name = "mx1";
  o.clock = &clock;
  auto s = OpenStore(url_, o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->WriteBatch({On("A1", "mx", kDay)}, nullptr).ok());
  const std::string tomorrow = MysqlPartitions::DayName('d', kDay + 1);
  EXPECT_EQ(Value("SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA ="
                  " DATABASE() AND TABLE_NAME IN ('message', 'rcpt') AND PARTITION_NAME = '" +
                  tomorrow + "'"),
            "2")
      << "tomorrow's partition is there before its first record";

  auto backup = HoldTheTables();
  clock.Advance(12 * 3600 * kUsPerSecond + 10 * kUsPerSecond);  // 00:00:10 the next day
  Status st = (*s)->WriteBatch({On("A2", "mx", kDay + 1)}, nullptr);
  EXPECT_TRUE(st.ok()) << "midnight needs no DDL: " << st.message();
  // A day whose partition is not there (a log far ahead of the clock).
  st = (*s)->WriteBatch({On("A3", "mx", kDay + 30)}, nullptr);
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.message();
  EXPECT_NE(st.message().find("held by another transaction"), std::string::npos) << st.message();
  backup.reset();
  st = (*s)->WriteBatch({On("A3", "mx", kDay + 30)}, nullptr);
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
  FakeClock clock((kDay * 86400 + 12 * 3600) * kUsPerSecond);
  StoreOptions o;
  o.agent_name = "mx1";
  o.clock = &clock;
  auto s = OpenStore(url_, o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->WriteBatch({On("A1", "mx", kDay)}, nullptr).ok());
  EXPECT_EQ(Value("SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA ="
                  " DATABASE() AND TABLE_NAME IN ('message', 'rcpt') AND PARTITION_NAME = '" +
                  MysqlPartitions::DayName('d', kDay + 1) + "'"),
            "2")
      << "tomorrow's partition is made while another database's agent makes its own";
}

}  // namespace
}  // namespace mailtrail
