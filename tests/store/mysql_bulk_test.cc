// MysqlStore's bulk load (agent/store/mysql_bulk.cc): into an empty store the
// secondary indexes of message and rcpt are left out and added at the end; a
// load cut short is repaired by the next writer; a load running keeps other
// writers' hands off. Against a real MariaDB.
#include <gtest/gtest.h>

#include <string>

#include "agent/store/store.h"
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
  std::string SecondaryIndexCount() {
    return Value(
        "SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('message', 'rcpt')"
        " AND INDEX_NAME <> 'PRIMARY'");
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
  std::string schema_;  // the migrated schema's indexes
};

TEST_F(MysqlBulkLoad, AnEmptyStoreIsLoadedWithoutItsIndexesAndGetsThemBack) {
  ASSERT_NE(SecondaryIndexCount(), "0");
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  EXPECT_EQ(SecondaryIndexCount(), "0");
  EXPECT_EQ(Deferred(), "8") << "6 of message, 2 of rcpt";
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
  EXPECT_EQ(SecondaryIndexCount(), "0");
  ASSERT_TRUE(a->EndBulkLoad().ok());
  EXPECT_EQ(Indexes(), schema_);
}

TEST_F(MysqlBulkLoad, ALoadCutShortIsRepairedByTheNextWriterToOpenTheStore) {
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->BeginBulkLoad(Store::kInputUnknown).ok());
  ASSERT_TRUE(a->Write({On("44C4B10A321", "mx1", 20419)}).ok());
  a.reset();  // no EndBulkLoad: the process died
  EXPECT_EQ(SecondaryIndexCount(), "0");
  auto reader = Reader();  // readers change no schema
  ASSERT_TRUE(reader);
  EXPECT_EQ(SecondaryIndexCount(), "0");
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
  EXPECT_EQ(SecondaryIndexCount(), "0") << "a running load is not repaired";
  // A second load into the same store writes its rows as they come.
  ASSERT_TRUE(b->BeginBulkLoad(Store::kInputUnknown).ok());
  ASSERT_TRUE(b->Write({On("55C4B10A321", "mx2", 20419)}).ok());
  ASSERT_TRUE(a->Write({On("44C4B10A321", "mx1", 20419)}).ok());
  ASSERT_TRUE(b->EndBulkLoad().ok());
  EXPECT_EQ(SecondaryIndexCount(), "0");
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

TEST_F(MysqlBulkLoad, OnlyTheIndexClausesItWroteAreRunFromTheMetaTable) {
  // Whoever can write mailtrail_meta can run DDL anyway; still, the repair
  // runs nothing but an ADD INDEX clause of names and columns.
  Output(
      "INSERT INTO mailtrail_meta (k, v) VALUES"
      " ('deferred_index:message.x', 'ADD INDEX \\`x\\` (qid); DROP TABLE rcpt'),"
      " ('deferred_index:agent.y', 'ADD INDEX \\`y\\` (name)'),"
      " ('deferred_index:message.z', 'DROP TABLE rcpt')");
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  EXPECT_EQ(Indexes(), schema_);
  EXPECT_EQ(Value("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA ="
                  " DATABASE() AND TABLE_NAME = 'agent' AND INDEX_NAME = 'y'"),
            "0");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM rcpt"), "0") << "rcpt is still there";
  EXPECT_EQ(Deferred(), "0") << "what is not run is forgotten";
}

}  // namespace
}  // namespace mailtrail
