// MysqlStore's bulk load (agent/store/mysql_bulk.cc): into an empty store the
// secondary indexes of message and rcpt are left out and added at the end; a
// load cut short is repaired by the next writer; a load running keeps other
// writers' hands off. Against a real MariaDB.
#include <cppconn/driver.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "agent/store/store.h"
#include "schema/schema.h"
#include "tests/support/capture_logger.h"
#include "tests/support/fake_clock.h"
#include "tests/support/mysql_store_fixture.h"

namespace mailtrail {
namespace {

class MysqlBulkLoad : public MysqlStoreFixture {
 protected:
  void SetUp() override {
    MysqlStoreFixture::SetUp();
    schema_ = Indexes();
  }
  // Every index of message and rcpt, a line per column.
  std::string Indexes() {
    return Output(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART"
        " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
        " AND TABLE_NAME IN ('message', 'rcpt') ORDER BY 1, 2, 4");
  }
  // The indexes of message and rcpt, "TABLE INDEX" a line (in the server's
  // collation's order: case aside).
  std::string IndexNames() {
    return Output(
        "SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('message', 'rcpt') ORDER BY 1, 2");
  }
  // What a load leaves: the keys and the time index the searches name.
  static constexpr const char* kDuringALoad =
      "message\tmessage_first_seen\nmessage\tPRIMARY\nrcpt\tPRIMARY\n";
  // A writer with its clock and log.
  std::unique_ptr<Store> Writer(const std::string& agent, const Clock* clock, Logger* log) {
    StoreOptions o;
    o.agent_name = agent;
    o.clock = clock;
    o.log = log;
    auto s = OpenStore(url_, o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string Deferred() {
    return Value("SELECT COUNT(*) FROM mailtrail_meta WHERE k LIKE 'deferred%'");
  }
  // The session that holds the bulk load's lock.
  std::string LockHolder() {
    return Value(
        "SELECT IFNULL(IS_USED_LOCK(CONCAT('mailtrail_bulk_',"
        " LEFT(SHA2(LOWER(DATABASE()), 256), 40))), 'none')");
  }
  // Once the server has seen a dead load's session go, and its lock with it
  // (the server waits up to 60 s for the lock to be free).
  void WaitForTheLockToBeFree() {
    auto c = Session();
    std::unique_ptr<sql::Statement> st(c->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
        "SELECT GET_LOCK(CONCAT('mailtrail_bulk_', LEFT(SHA2(LOWER(DATABASE()), 256), 40)), 60)"));
    ASSERT_TRUE(rs->next());
    ASSERT_EQ(rs->getInt(1), 1);
  }  // closing the session frees the lock again
  // A session whose open transaction holds message, as a long report's
  // would, until it is closed.
  std::string schema_;  // the migrated schema's indexes
};

TEST_F(MysqlBulkLoad, AnEmptyStoreIsLoadedWithoutItsIndexesAndGetsThemBack) {
  ASSERT_NE(IndexNames(), kDuringALoad);
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  EXPECT_EQ(IndexNames(), kDuringALoad);
  EXPECT_EQ(Deferred(), "7") << "5 of message, 2 of rcpt";
  MessageRecord r = On("44C4B10A321", "mx1", 20419);
  r.sender = "bulk@example.org";
  ASSERT_TRUE(a->Write({r, On("55C4B10A321", "mx1", 20420)}).ok());
  ASSERT_TRUE(a->EndBulkLoad().ok());
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Deferred(), "0");
  EXPECT_EQ(LockHolder(), "none");
  SearchQuery q;
  q.sender = "bulk@example.org";
  int n = 0;
  ASSERT_TRUE(a->Search(q, [&](MessageRecord&& m) { n += m.qid == "44C4B10A321"; }).ok());
  EXPECT_EQ(n, 1);
  EXPECT_EQ(All(a.get()).size(), 2u);
}

TEST_F(MysqlBulkLoad, AStoreThatHoldsRecordsKeepsItsIndexes) {
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Write({On("44C4B10A321", "mx1", 20419)}).ok());
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Deferred(), "0");
  EXPECT_EQ(LockHolder(), "none") << "a load that defers nothing holds no lock";
  ASSERT_TRUE(a->EndBulkLoad().ok());
}

TEST_F(MysqlBulkLoad, ASmallLoadIsWrittenWithItsIndexes) {
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(100 << 10).ok());  // a log of 100 KiB
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(LockHolder(), "none");
  ASSERT_TRUE(a->BeginBulkLoad(64 << 20).ok());
  EXPECT_EQ(IndexNames(), kDuringALoad);
  ASSERT_TRUE(a->EndBulkLoad().ok());
  EXPECT_EQ(Indexes(), schema_);
}

TEST_F(MysqlBulkLoad, ALoadKeepsItsIndexesWhenAnotherTransactionHoldsTheTables) {
  // A report's open transaction on message: dropping an index waits for it,
  // and every statement on the table after the DROP would wait behind.
  auto report = HoldTheTables();
  CaptureLogger log;
  auto a = Writer("mx1", nullptr, &log);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Deferred(), "0");
  EXPECT_EQ(LockHolder(), "none");
  EXPECT_EQ(log.Count("the indexes are kept while it writes"), 1u);
  report.reset();
  ASSERT_TRUE(a->Write({On("44C4B10A321", "mx1", 20419)}).ok());
  ASSERT_TRUE(a->EndBulkLoad().ok());
}

TEST_F(MysqlBulkLoad, ALoadCutShortIsRepairedByTheNextWriterToOpenTheStore) {
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  ASSERT_TRUE(a->Write({On("44C4B10A321", "mx1", 20419)}).ok());
  a.reset();  // no EndBulkLoad: the process died
  WaitForTheLockToBeFree();
  EXPECT_EQ(IndexNames(), kDuringALoad);
  auto reader = Reader();  // readers change no schema
  ASSERT_TRUE(reader);
  EXPECT_EQ(IndexNames(), kDuringALoad);
  auto b = Open("mx2");
  ASSERT_TRUE(b);
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Deferred(), "0");
}

TEST_F(MysqlBulkLoad, WritersOpeningDuringALoadLeaveItsIndexesOut) {
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  ASSERT_NE(LockHolder(), "none");
  auto b = Open("mx2");
  ASSERT_TRUE(b);
  EXPECT_EQ(IndexNames(), kDuringALoad) << "a running load is not repaired";
  // A second load into the same store writes its rows as they come.
  ASSERT_TRUE(b->BeginBulkLoad(Store::kInputUnknown).ok());
  ASSERT_TRUE(b->Write({On("55C4B10A321", "mx2", 20419)}).ok());
  ASSERT_TRUE(a->Write({On("44C4B10A321", "mx1", 20419)}).ok());
  ASSERT_TRUE(b->EndBulkLoad().ok());
  EXPECT_EQ(IndexNames(), kDuringALoad);
  ASSERT_TRUE(a->EndBulkLoad().ok());
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(All(b.get()).size(), 2u);
}

TEST_F(MysqlBulkLoad, ALoadWhoseSessionDiedStillGetsItsIndexesBack) {
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  ASSERT_TRUE(a->Write({On("44C4B10A321", "mx1", 20419)}).ok());
  const std::string holder = LockHolder();
  ASSERT_NE(holder, "none");
  ASSERT_EQ(db_.Sql("KILL CONNECTION " + holder), 0);
  ASSERT_TRUE(a->EndBulkLoad().ok());
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Deferred(), "0");
}

TEST_F(MysqlBulkLoad, TheMetaTableNamesIndexesNeverTheirSql) {
  // Whoever can write mailtrail_meta could change the tables through the
  // repair if it ran what it read there: it adds the schema's own indexes
  // as the code knows them, whatever a note says, and nothing else.
  Output(
      "ALTER TABLE message DROP INDEX message_qid, DROP INDEX message_sender,"
      " DROP INDEX message_first_seen");
  Output(
      "INSERT INTO mailtrail_meta (k, v) VALUES"
      " ('deferred_index:message.message_qid', 'qid), DROP COLUMN events, ADD INDEX y (qid'),"
      " ('deferred_index:message.message_sender', 'sender\\`), DROP COLUMN size, ADD INDEX z "
      "(\\`size'),"
      " ('deferred_index:message.message_first_seen', 'ADD INDEX \\`message_first_seen\\` "
      "(first_seen)'),"
      " ('deferred_index:message.x', 'qid'),"
      " ('deferred_index:agent.agent_name', 'name')");
  CaptureLogger log;
  auto a = Writer("mx1", nullptr, &log);
  ASSERT_TRUE(a);
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Value("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
                  " DATABASE() AND TABLE_NAME = 'message' AND COLUMN_NAME IN ('events', 'size')"),
            "2");
  EXPECT_EQ(Deferred(), "0");
  EXPECT_EQ(log.Count("names no index of mailtrail's"), 2u) << "x and agent.agent_name";
  EXPECT_TRUE(a->Write({On("44C4B10A321", "mx1", 20419)}).ok());
}

TEST_F(MysqlBulkLoad, ARepairThatCannotHaveTheTablesIsSaidAndNeverStopsTheWriter) {
  // A load cut short, and a report holding the tables when the next writer
  // starts: its repair waits 5 s, not until the report ends (every other
  // statement on the tables would wait behind it), and tries again later.
  {
    // The day's partition made beforehand: making it is DDL too, and waits
    // for the report like any other (mysql_partitions.cc).
    auto earlier = Open("mx0");
    ASSERT_TRUE(earlier && earlier->Write({On("43C4B10A321", "mx0", 20419)}).ok());
  }
  Output("ALTER TABLE message DROP INDEX message_qid");
  Output("INSERT INTO mailtrail_meta (k, v) VALUES ('deferred_index:message.message_qid', 'qid')");
  auto report = HoldTheTables();
  FakeClock clock;
  CaptureLogger log;
  auto a = Writer("mx1", &clock, &log);
  ASSERT_TRUE(a);
  EXPECT_EQ(log.Count("tried again in a minute"), 1u);
  EXPECT_TRUE(a->Write({On("44C4B10A321", "mx1", 20419)}).ok());
  EXPECT_EQ(Deferred(), "1") << "kept for the next try";
  report.reset();
  EXPECT_TRUE(a->Write({On("45C4B10A321", "mx1", 20419)}).ok());
  EXPECT_EQ(Deferred(), "1") << "not before a minute";
  clock.Advance(61 * kUsPerSecond);
  EXPECT_TRUE(a->Write({On("46C4B10A321", "mx1", 20419)}).ok());
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Deferred(), "0");
}

TEST_F(MysqlBulkLoad, AWriterRunningWhenALoadDiesPutsItsIndexesBackWithinAMinute) {
  // Started before the load (the store was empty): it found nothing to
  // repair then.
  FakeClock clock;
  CaptureLogger log;
  auto live = Writer("live", &clock, &log);
  ASSERT_TRUE(live);
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  EXPECT_TRUE(live->Write({On("43C4B10A321", "live", 20419)}).ok());
  clock.Advance(61 * kUsPerSecond);
  EXPECT_TRUE(live->Write({On("44C4B10A322", "live", 20419)}).ok());
  EXPECT_EQ(IndexNames(), kDuringALoad) << "a running load is not repaired";
  a.reset();  // killed mid-load
  WaitForTheLockToBeFree();
  EXPECT_TRUE(live->Write({On("44C4B10A321", "live", 20419)}).ok());
  EXPECT_EQ(IndexNames(), kDuringALoad);
  clock.Advance(61 * kUsPerSecond);
  EXPECT_TRUE(live->Write({On("45C4B10A321", "live", 20419)}).ok());
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Deferred(), "0");
}

TEST_F(MysqlBulkLoad, AMigrationPutsTheIndexesBackFirstAndWaitsForALoad) {
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  Output("UPDATE mailtrail_meta SET v = '8' WHERE k = 'schema_version'");
  StoreOptions o;
  o.as_writer = false;
  o.migrate = true;
  auto during = OpenStore(url_, o);
  ASSERT_FALSE(during.ok());
  EXPECT_NE(during.status().message().find("migrate when it has ended"), std::string::npos)
      << during.status().message();
  a.reset();  // the load cut short
  WaitForTheLockToBeFree();
  auto after = OpenStore(url_, o);  // `db migrate` is no writer
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Value("SELECT v FROM mailtrail_meta WHERE k = 'schema_version'"),
            std::to_string(kMysqlMigrationCount));
}

}  // namespace
}  // namespace mailtrail
