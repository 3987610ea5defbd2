// SqliteStore against real SQLite files in a temporary directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <filesystem>

#include "agent/store/sqlite_codec.h"
#include "agent/store/sqlite_store.h"
#include "agent/store/store.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string Url(const std::string& name = "t.db") { return "sqlite:" + dir_.File(name); }

  static MessageRecord Sample(const std::string& qid) {
    MessageRecord r;
    r.host = "mx";
    r.qid = qid;
    r.message_id = "m-" + qid + "@example.test";
    r.first_seen = 1795780000LL * kUsPerSecond;
    r.last_seen = r.first_seen + 5 * kUsPerSecond;
    r.has_client = true;
    r.client_ip = "2001:db8::5";
    r.client_host = "mail.example.test";
    r.helo = "mail.example.test";
    r.sender = "";  // the null sender
    r.subject = "Undelivered Mail \xd0\x96 '; DROP TABLE message; --";
    r.size = 1234;
    r.outcome = Outcome::kMixed;
    r.end = RecordEnd::kRemoved;
    RecipientRecord a;
    a.address = "a@example.test";
    a.orig_address = "list@example.test";
    a.outcome = Outcome::kDelivered;
    a.dsn = "2.0.0";
    a.relay = "local";
    a.status_text = "delivered to mailbox";
    a.delay = 0.25;
    a.attempts = 1;
    a.time = r.last_seen;
    RecipientRecord b = a;
    b.address = "b@remote.test";
    b.orig_address.clear();
    b.outcome = Outcome::kBounced;
    b.status_text = "host said: 550\tno\nsuch user";
    r.recipients = {a, b};
    r.reject = RejectInfo{"reject", "RCPT", 550, "5.1.1", "User unknown"};
    r.scans = {ScanResult{"amavis", "CLEAN", "Passed", -1.5, true}};
    r.parent_qid = "AAAAAA10A300";
    r.child_qids = {"BBBBBB10A300", "CCCCCC10A300"};
    r.ndr_qid = "DDDDDD10A300";
    r.events = {{r.first_seen, "postfix/smtpd", "client=a[1.2.3.4]\twith\\tab"}};
    return r;
  }

  std::vector<MessageRecord> All(Store* s) {
    std::vector<MessageRecord> out;
    SearchQuery q;
    q.limit = 1000;
    EXPECT_TRUE(s->Search(q, [&](MessageRecord&& r) { out.push_back(std::move(r)); }).ok());
    return out;
  }

  TempDir dir_{"mt_store"};
};

TEST_F(SqliteStoreTest, FullDetailRoundTripsEveryField) {
  auto s = OpenStore(Url(), Detail::kFull, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
  auto all = All(s->get());
  ASSERT_EQ(all.size(), 1u);
  const MessageRecord& r = all[0];
  const MessageRecord want = Sample("44C4B10A321");
  EXPECT_EQ(r.qid, want.qid);
  EXPECT_EQ(r.message_id, want.message_id);
  EXPECT_EQ(r.client_ip, want.client_ip);
  EXPECT_EQ(r.sender, want.sender);
  EXPECT_EQ(r.subject, want.subject);
  EXPECT_EQ(r.outcome, Outcome::kMixed);
  ASSERT_EQ(r.recipients.size(), 2u);
  EXPECT_EQ(r.recipients[0].orig_address, "list@example.test");
  EXPECT_EQ(r.recipients[1].status_text, want.recipients[1].status_text);
  EXPECT_EQ(r.recipients[0].delay, 0.25);
  EXPECT_EQ(r.reject->code, 550);
  EXPECT_EQ(r.scans.size(), 1u);
  EXPECT_EQ(r.scans[0].score, -1.5);
  EXPECT_EQ(r.child_qids, want.child_qids);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].text, want.events[0].text);
}

TEST_F(SqliteStoreTest, MinimalDetailKeepsOnlyTheCore) {
  auto s = OpenStore(Url(), Detail::kMinimal, true);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
  auto all = All(s->get());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].client_ip, "2001:db8::5");
  EXPECT_EQ(all[0].sender.value_or("?"), "");
  EXPECT_EQ(all[0].recipients.size(), 2u);
  EXPECT_FALSE(all[0].subject.has_value());
  EXPECT_FALSE(all[0].message_id.has_value());
  EXPECT_TRUE(all[0].recipients[0].status_text.empty());
  EXPECT_TRUE(all[0].events.empty());
}

TEST_F(SqliteStoreTest, SearchFiltersUseBoundValues) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  MessageRecord other = Sample("55C4B10A321");
  other.client_ip = "127.0.5.120";
  other.sender = "x@y.test";
  other.subject = "Invoice 7";
  other.recipients.resize(1);
  other.recipients[0].address = "c@example.test";
  other.recipients[0].orig_address.clear();
  other.outcome = Outcome::kDelivered;
  ASSERT_TRUE((*s)->Write({Sample("44C4B10A321"), other}).ok());
  auto count = [&](SearchQuery q) {
    int n = 0;
    EXPECT_TRUE((*s)->Search(q, [&](MessageRecord&&) { ++n; }).ok());
    return n;
  };
  SearchQuery q;
  q.client_ip = "127.0.5.120";
  EXPECT_EQ(count(q), 1);
  q = {};
  q.sender = "";
  EXPECT_EQ(count(q), 1);
  q = {};
  q.recipient = "list@example.test";  // matches the original recipient too
  EXPECT_EQ(count(q), 1);
  q = {};
  q.subject = "'; DROP TABLE";
  EXPECT_EQ(count(q), 1);
  q = {};
  q.outcome = Outcome::kDelivered;
  EXPECT_EQ(count(q), 1);
  q = {};
  q.since = Sample("x").first_seen + 3600 * kUsPerSecond;
  EXPECT_EQ(count(q), 0);
  q = {};
  q.limit = 1;
  EXPECT_EQ(count(q), 1);
}

TEST_F(SqliteStoreTest, ReopenKeepsRecordsAndDictionaryIds) {
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
  }
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Write({Sample("55C4B10A321")}).ok());
  SearchQuery q;
  q.recipient = "a@example.test";
  int n = 0;
  ASSERT_TRUE((*s)->Search(q, [&](MessageRecord&&) { ++n; }).ok());
  EXPECT_EQ(n, 2);
}

int CountIndexes(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                     " AND tbl_name IN ('message', 'rcpt')",
                     -1, &st, nullptr);
  sqlite3_step(st);
  const int n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

TEST_F(SqliteStoreTest, BulkLoadDefersIndexesAndACrashMidLoadIsRepaired) {
  const std::string path = dir_.File("t.db");
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
  }
  const int indexes = CountIndexes(path);
  ASSERT_GT(indexes, 3);
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->BeginBulkLoad().ok());
    ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
    EXPECT_EQ(CountIndexes(path), 0);
    // No EndBulkLoad: the process "dies" here.
  }
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(CountIndexes(path), indexes);
  EXPECT_EQ(All(s->get()).size(), 1u);
  // A store that already holds records is not bulk-loaded: indexes stay.
  ASSERT_TRUE((*s)->BeginBulkLoad().ok());
  EXPECT_EQ(CountIndexes(path), indexes);
  ASSERT_TRUE((*s)->EndBulkLoad().ok());
}

TEST_F(SqliteStoreTest, DictionaryCacheOverflowDuringABulkLoadKeepsEveryRecordRight) {
  const std::string path = dir_.File("t.db");
  auto s = SqliteStore::Open(path, Detail::kStandard, true, /*dict_cache_entries=*/16);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->BeginBulkLoad().ok());
  std::vector<MessageRecord> batch;
  for (int i = 0; i < 200; ++i) {
    char qid[16];
    std::snprintf(qid, sizeof qid, "%08X", 0x100000 + i);
    MessageRecord r = Sample(qid);
    r.sender = "sender" + std::to_string(i % 50) + "@example.test";  // repeats after overflow
    r.subject = "subject " + std::to_string(i);
    batch.push_back(std::move(r));
    if (batch.size() == 40) {
      ASSERT_TRUE((*s)->Write(batch).ok());
      batch.clear();
    }
  }
  ASSERT_TRUE((*s)->EndBulkLoad().ok());
  SearchQuery q;
  q.sender = "sender7@example.test";
  int n = 0;
  ASSERT_TRUE((*s)->Search(q,
                           [&](MessageRecord&& r) {
                             ++n;
                             EXPECT_EQ(r.sender.value_or(""), "sender7@example.test");
                           })
                  .ok());
  EXPECT_EQ(n, 4);
  auto all = All(s->get());
  ASSERT_EQ(all.size(), 200u);
  for (size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(all[i].subject.value_or(""), "subject " + std::to_string(i));
  s->reset();
  // One dictionary row per distinct text, despite the evictions.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) - count(DISTINCT kind || ':' || text) FROM dict", -1, &st,
                     nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, CheckpointIsWrittenWithItsRecordsAndSurvivesReopening) {
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    auto none = (*s)->LoadCheckpoint();
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(*none, "");
    const std::string cp1 = std::string("position 1\0binary", 17);
    ASSERT_TRUE((*s)->WriteBatch({Sample("44C4B10A321")}, &cp1).ok());
    ASSERT_TRUE((*s)->Write({Sample("55C4B10A321")}).ok());  // leaves it alone
    EXPECT_EQ(*(*s)->LoadCheckpoint(), cp1);
    const std::string cp2 = "position 2";
    ASSERT_TRUE((*s)->WriteBatch({}, &cp2).ok());
  }
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*(*s)->LoadCheckpoint(), "position 2");
  EXPECT_EQ(All(s->get()).size(), 2u);
}

TEST_F(SqliteStoreTest, AnUpdateReplacesTheRecordOfTheSameMessage) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  MessageRecord first = Sample("44C4B10A321");
  first.recipients.resize(1);
  MessageRecord other = Sample("44C4B10A321");  // the same qid, later: reused
  other.first_seen += 3600 * kUsPerSecond;
  ASSERT_TRUE((*s)->Write({first, other}).ok());
  MessageRecord update = Sample("44C4B10A321");
  update.is_update = true;
  update.outcome = Outcome::kDelivered;
  ASSERT_TRUE((*s)->Write({update}).ok());
  auto all = All(s->get());
  ASSERT_EQ(all.size(), 2u) << "replaced, not added; the reused qid untouched";
  EXPECT_EQ(all[0].outcome, Outcome::kDelivered);
  EXPECT_EQ(all[0].recipients.size(), 2u);
  EXPECT_EQ(all[1].first_seen, other.first_seen);
}

TEST_F(SqliteStoreTest, ReadOnlyOpenOfAMissingDatabaseFails) {
  auto s = OpenStore(Url("missing.db"), Detail::kStandard, false);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(dir_.File("missing.db")));
}

TEST_F(SqliteStoreTest, UnsupportedUrlIsAnError) {
  auto s = OpenStore("postgres://x/y", Detail::kStandard, true);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("unsupported"), std::string::npos);
}

TEST_F(SqliteStoreTest, LineStatsAccumulateAcrossWrites) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  LineStats a;
  a.kinds["client"] = 3;
  a.unknown_samples = {{"postfix/smtpd", "odd line"}};
  ASSERT_TRUE((*s)->AddLineStats(a).ok());
  ASSERT_TRUE((*s)->AddLineStats(a).ok());
  auto got = (*s)->GetLineStats();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->kinds["client"], 6);
  EXPECT_EQ(got->unknown_samples.size(), 2u);
}

TEST(SqliteCodec, DecodersSurviveGarbage) {
  EXPECT_TRUE(DecodeEvents("\xff\xff\xff\x7fgarbage").empty());
  EXPECT_TRUE(DecodeEvents("ab").empty());
  EXPECT_TRUE(DecodeScans("no tabs here\n\t\t\n").empty());
  EXPECT_EQ(SplitList("  A  B "), (std::vector<std::string>{"A", "B"}));
}

}  // namespace
}  // namespace mailtrail
