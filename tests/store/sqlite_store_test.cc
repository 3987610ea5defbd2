// SqliteStore against real SQLite files in a temporary directory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "agent/store/sqlite_codec.h"
#include "agent/store/sqlite_store.h"
#include "agent/store/store.h"
#include "base/text.h"
#include "schema/schema.h"
#include "tests/support/sqlite_int_of.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test, public StoreFixture {
 protected:
  std::string Url(const std::string& name = "t.db") { return "sqlite:" + dir_.File(name); }

  TempDir dir_{"mt_store"};
};

// A store at schema `version` (its first migrations), then `sql` run in it:
// what an older mailtrail left behind.
void MakeOlderStore(const std::string& path, int version, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string all;
  for (int i = 0; i < version; ++i) all += std::string(kSqliteMigrations[i]) + "\n";
  all += "PRAGMA user_version = " + std::to_string(version) + ";" + sql;
  EXPECT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// How many messages the trigram index (not a scan) names for `needle`.
int64_t SubjectFound(Store* s, const std::string& needle) {
  auto* sqlite = dynamic_cast<SqliteStore*>(s);
  if (sqlite == nullptr) {
    ADD_FAILURE() << "not a SqliteStore";
    return -1;
  }
  auto ids = sqlite->RareSubjectIds(needle);
  EXPECT_TRUE(ids.ok()) << ids.status().message();
  return ids.ok() && *ids ? static_cast<int64_t>((*ids)->size()) : -1;
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

// What SQLite plans for `sql` (EXPLAIN QUERY PLAN), one step a line.
std::string PlanOf(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW)
    plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 3))) + "\n";
  sqlite3_finalize(st);
  sqlite3_close(db);
  return plan;
}

// Every outcome a record can hold has its name in outcome_name, so that the
// views (which join it) show every record: an address verification's
// "deliverable" and "undeliverable" too (schema 14).
TEST_F(SqliteStoreTest, EveryOutcomeHasItsNameInTheViews) {
  auto store = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(store.ok()) << store.status().message();
  MessageRecord r = Sample("P1");
  r.recipients[0].outcome = Outcome::kDeliverable;
  r.recipients[1].outcome = Outcome::kUndeliverable;
  r.outcome = ComputeOutcome(r);
  ASSERT_TRUE((*store)->Write({r}).ok());
  store->reset();
  const std::string path = dir_.File("t.db");
  for (int o = 0; o < kOutcomeCount; ++o)
    EXPECT_EQ(IntOf(path, "SELECT count(*) FROM outcome_name WHERE code = " + std::to_string(o) +
                              " AND name = '" + OutcomeName(static_cast<Outcome>(o)) + "'"),
              1)
        << OutcomeName(static_cast<Outcome>(o));
  EXPECT_EQ(IntOf(path, "SELECT count(*) FROM recipients WHERE outcome = 'deliverable'"), 1);
  EXPECT_EQ(IntOf(path, "SELECT count(*) FROM recipients WHERE outcome = 'undeliverable'"), 1);
  EXPECT_EQ(IntOf(path, "SELECT count(*) FROM messages WHERE outcome = 'mixed'"), 1);
}

TEST_F(SqliteStoreTest, ARecipientIsFoundByIndexAsAddressAndAsOriginalAddress) {
  {
    auto store = OpenStore(Url(), StoreOptions{});
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_TRUE((*store)->Write({Sample("A1")}).ok());
  }
  // The count's sub-select (SqliteStore::CountMatchesUpTo): with no index on
  // orig, SQLite scans every recipient row for each search.
  std::string plan = PlanOf(
      dir_.File("t.db"), "SELECT message FROM rcpt WHERE addr = (SELECT 1) OR orig = (SELECT 1)");
  EXPECT_NE(plan.find("rcpt_addr"), std::string::npos) << plan;
  EXPECT_NE(plan.find("rcpt_orig"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN rcpt"), std::string::npos) << plan;
  // A page's two halves (SqliteStore::RecipientPage): the recipient's rows
  // come in time order from the index, so no sort reads all of them first.
  for (const std::string column : {"addr", "orig"}) {
    plan = PlanOf(dir_.File("t.db"),
                  "SELECT DISTINCT r.first_seen, r.message FROM rcpt r CROSS JOIN message m"
                  " ON m.id = r.message WHERE r." +
                      column + " = (SELECT 1) AND r.first_seen >= 5 ORDER BY 1, 2 LIMIT 50");
    EXPECT_NE(plan.find("INDEX rcpt_" + column + " (" + column + "=? AND first_seen>?)"),
              std::string::npos)
        << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  }
}

// Schema 13 remade the index of addresses by domain. A store of schema 12
// left by a crashed bulk load (the index dropped, its DDL waiting in meta)
// still opens, and gets the new index, not the old one back.
TEST_F(SqliteStoreTest, AStoreLeftMidBulkLoadMigratesToSchema13) {
  const std::string path = dir_.File("t.db");
  MakeOlderStore(path, 12,
                 "INSERT INTO meta (key, value) SELECT 'deferred_index:' || name, sql"
                 " FROM sqlite_master WHERE name = 'dict_address_domain';"
                 "DROP INDEX dict_address_domain;");
  auto store = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(IntOf(path,
                  "SELECT count(*) FROM sqlite_master WHERE name = 'dict_address_domain'"
                  " AND sql LIKE '%rtrim%'"),
            1);
  EXPECT_EQ(IntOf(path, "SELECT count(*) FROM meta WHERE key LIKE 'deferred_index:%'"), 0);
}

// Schema 10 gave rcpt its message's first_seen: a store made before gets it
// for every recipient row it holds, and its recipients' pages are right.
TEST_F(SqliteStoreTest, AStoreFromBeforeSchema10GetsItsRecipientsTimes) {
  const std::string path = dir_.File("t.db");
  {  // a store of schema 9, and two messages of one recipient
    const int64_t t = Sample("A1").first_seen / kUsPerSecond;
    const std::string addr = std::to_string(DictHash(1, "a@example.test"));
    const std::string orig = std::to_string(DictHash(1, "list@example.test"));
    MakeOlderStore(
        path, 9,
        "INSERT INTO dict (id, kind, hash, text) VALUES (1, 1, " + orig +
            ", 'list@example.test'), (2, 2, " + std::to_string(DictHash(2, "mx")) +
            ", 'mx'), (3, 1, " + addr +
            ", 'a@example.test');"
            "INSERT INTO message (id, host, qid, first_seen, last_seen, outcome,"
            " end_reason) VALUES (1, 2, 'A1', " +
            std::to_string(t) + ", " + std::to_string(t) + ", 1, 0), (2, 2, 'B2', " +
            std::to_string(t - 60) + ", " + std::to_string(t - 60) +
            ", 1, 0);"
            // B2: written later, seen earlier
            "INSERT INTO rcpt (message, seq, addr, outcome, orig) VALUES"
            " (1, 0, 3, 1, 1), (1, 1, 1, 1, NULL), (2, 0, 3, 1, 1), (2, 1, 1, 1, NULL);");
  }
  auto store = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(IntOf(path,
                  "SELECT count(*) FROM rcpt r JOIN message m ON m.id = r.message"
                  " WHERE r.first_seen = m.first_seen"),
            4)
      << "each recipient row has its message's first_seen";
  SearchQuery q;
  q.recipient = "list@example.test";  // an original address
  q.since = Sample("A1").first_seen - 60 * kUsPerSecond;
  std::string got;
  ASSERT_TRUE((*store)->Search(q, [&](MessageRecord&& r) { got += r.qid + " "; }).ok());
  EXPECT_EQ(got, "B2 A1 ");
  // A writer from before schema 10 still running names no first_seen: the
  // store fills it in, or the row would sort first and escape every window.
  EXPECT_EQ(IntOf(path,
                  "SELECT count(*) FROM rcpt r JOIN message m ON m.id = r.message"
                  " WHERE r.seq = 9 AND r.first_seen = m.first_seen",
                  "INSERT INTO rcpt (message, seq, addr, outcome)"
                  " SELECT message, 9, addr, outcome FROM rcpt LIMIT 1"),
            1);
}

// Subjects by substring through the trigram index (schema 11): the same
// messages as reading every subject with instr(mt_lower(...)), for texts in
// several scripts, quotes, FTS5 syntax and encoded words; the index follows
// a record written again with another subject, and a purge.
TEST_F(SqliteStoreTest, SubjectSubstringsThroughTheTrigramIndexFindWhatAScanFinds) {
  auto store = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(store.ok()) << store.status().message();
  const std::vector<std::string> subjects = {
      "Undelivered Mail Returned to Sender",
      "RE: Rechnung f\xc3\xbcr M\xc3\x84RZ",  // für MÄRZ
      "\xd0\x96\xd0\xa3\xd0\xa0\xd0\x9d\xd0\x90\xd0\x9b "
      "\xd0\xb7\xd0\xb0\xd0\xba\xd0\xb0\xd0\xb7\xd0\xbe\xd0\xb2",  // ЖУРНАЛ заказов
      "\xce\xa3\xce\x97\xce\x9c\xce\x95\xce\xa1\xce\x91 "
      "\xcf\x83\xce\xae\xce\xbc\xce\xb5\xcf\x81\xce\xb1",  // ΣΗΜΕΡΑ σήμερα
      "say \"hello\" AND NOT world*",
      "=?UTF-8?Q?Undelivered_Mail?= (1)",
      "ticket 4711 \xf0\x9f\x93\xa6 shipped",  // a 4-byte emoji
      "ma\xc3\x9f und MASS",                   // maß
  };
  std::vector<MessageRecord> batch;
  for (size_t i = 0; i < subjects.size(); ++i) {
    batch.push_back(Sample("F" + std::to_string(100 + i)));
    batch.back().subject = subjects[i];
    batch.back().first_seen += static_cast<TimeUs>(i) * kUsPerSecond;
  }
  ASSERT_TRUE((*store)->Write(batch).ok());
  auto found = [&](const std::string& needle) {
    SearchQuery q;
    q.subject = needle;
    q.limit = 100;
    std::string got;
    Status st = (*store)->Search(q, [&](MessageRecord&& r) { got += r.qid + " "; });
    EXPECT_TRUE(st.ok()) << st.message();
    auto n = (*store)->CountMatchesUpTo(q, 1000);
    EXPECT_TRUE(n.ok());
    EXPECT_EQ(n->n, std::count(got.begin(), got.end(), ' ')) << needle;
    return got;
  };
  const std::vector<std::string> needles = {
      // A NUL and invalid UTF-8 (the scan answers those), then valid ones.
      std::string("ma\0x", 4),
      "\xc3\x28 bad",
      "f\xc3",
      "mail returned",
      "MAIL RET",
      "f\xc3\xbcr m\xc3\xa4rz",
      "F\xc3\x9cR M\xc3\x84",
      "\xd0\xb6\xd1\x83\xd1\x80",
      "\xcf\x83\xce\xb7\xce\xbc",
      "\"hello\"",
      "AND NOT",
      "world*",
      "?q?undel",
      "\xf0\x9f\x93\xa6 sh",
      "4711",
      "ma\xc3\x9f",
      "mass",
      "sender",
      "absent text",
      "ed",
      "x"};
  for (const std::string& needle : needles) {
    std::string want;
    for (size_t i = 0; i < subjects.size(); ++i)
      if (LowerUtf8(subjects[i]).find(LowerUtf8(needle)) != std::string::npos)
        want += "F" + std::to_string(100 + i) + " ";
    EXPECT_EQ(found(needle), want) << "subject containing '" << needle << "'";
  }
  // Written again with another subject (a late line): the old one is gone.
  MessageRecord again = batch[0];
  again.subject = "Delivery Status Notification";
  again.is_update = true;
  ASSERT_TRUE((*store)->Write({again}).ok());
  EXPECT_EQ(found("mail returned"), "");
  EXPECT_EQ(found("status notif"), "F100 ");
  // The same substring again after this connection wrote a match (its own
  // writes do not change PRAGMA data_version): not the answer kept before.
  EXPECT_EQ(found("brand new"), "");
  MessageRecord fresh = Sample("F200");
  fresh.subject = "A brand new subject";
  ASSERT_TRUE((*store)->Write({fresh}).ok());
  EXPECT_EQ(found("brand new"), "F200 ");
  ASSERT_TRUE((*store)->PurgeBefore(again.first_seen / kUsPerSecond / 86400 + 1).ok());
  EXPECT_EQ(found("status notif"), "");
  // FTS5's own check that the index holds exactly the subjects' trigrams.
  EXPECT_EQ(IntOf(dir_.File("t.db"), "SELECT 1",
                  "INSERT INTO subject_fts (subject_fts) VALUES ('integrity-check')"),
            1);
}

// A common substring (more than SqliteStore::kRareSubjects subjects) is found
// by reading messages in time order, as before the index: the same first page.
TEST_F(SqliteStoreTest, ACommonSubjectSubstringGivesTheSamePageWithoutTheIndex) {
  auto store = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<MessageRecord> batch;
  const int n = static_cast<int>(SqliteStore::kRareSubjects) + 50;
  for (int i = 0; i < n; ++i) {
    batch.push_back(Sample("G" + std::to_string(100000 + i)));
    batch.back().subject = "Weekly report " + std::to_string(n - i);
    batch.back().first_seen += static_cast<TimeUs>(n - i) * kUsPerSecond;  // newest first
  }
  ASSERT_TRUE((*store)->Write(batch).ok());
  SearchQuery q;
  q.subject = "WEEKLY REPORT";
  q.limit = 3;
  std::string got;
  ASSERT_TRUE((*store)->Search(q, [&](MessageRecord&& r) { got += *r.subject + ","; }).ok());
  EXPECT_EQ(got, "Weekly report 1,Weekly report 2,Weekly report 3,");
  auto count = (*store)->CountMatchesUpTo(q, 10000);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->n, n);
  // Counted from the index (a window over most of the store's time, or none)
  // or in time order (a short window): the same numbers as the records.
  const TimeUs first = batch.back().first_seen, last = batch.front().first_seen;
  struct Case {
    std::optional<TimeUs> since, until;
    int64_t cap;
  } const kCases[] = {
      {std::nullopt, std::nullopt, 100},
      {first, std::nullopt, 100000},
      {first + (last - first) / 4, std::nullopt, 100000},                 // most of it
      {first + (last - first) / 4, last - (last - first) / 8, 100000},    // most of it
      {first + (last - first) / 2 + kUsPerSecond, std::nullopt, 100000},  // less than half
      {first + 10 * kUsPerSecond, first + 30 * kUsPerSecond, 100000},     // 20 seconds
  };
  for (const char* needle : {"WEEKLY REPORT", "report 1", "eKlY"}) {
    for (const Case& c : kCases) {
      SearchQuery w;
      w.subject = needle;
      w.since = c.since;
      w.until = c.until;
      int64_t want = 0;
      for (const MessageRecord& r : batch)
        want += LowerUtf8(*r.subject).find(LowerUtf8(needle)) != std::string::npos &&
                (!c.since || r.first_seen / kUsPerSecond >= *c.since / kUsPerSecond) &&
                (!c.until || r.first_seen / kUsPerSecond < *c.until / kUsPerSecond);
      auto got = (*store)->CountMatchesUpTo(w, c.cap);
      ASSERT_TRUE(got.ok()) << got.status().message();
      EXPECT_EQ(got->n, std::min(want, c.cap))
          << needle << " " << c.since.value_or(-1) << " " << c.until.value_or(-1) << " " << c.cap;
    }
  }
  q.subject = "report 20";  // 20, 200..209, 2000..2050: rare
  got.clear();
  q.limit = 100;
  ASSERT_TRUE((*store)->Search(q, [&](MessageRecord&& r) { got += *r.subject + ","; }).ok());
  EXPECT_EQ(std::count(got.begin(), got.end(), ','), 1 + 10 + 51) << got;
}

// A recipient domain of SqliteStore::kCommonDomainRows recipient rows or more
// is checked message by message in time order, a rarer one read from rcpt
// first: both give the records' own pages and totals, alone and with an
// outcome set.
TEST_F(SqliteStoreTest, CommonAndRareRecipientDomainsGiveTheRecordsPagesAndTotals) {
  auto store = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<MessageRecord> batch;
  const int n = static_cast<int>(SqliteStore::kCommonDomainRows) + 400;
  for (int i = 0; i < n; ++i) {
    MessageRecord r = Sample("H" + std::to_string(100000 + i));
    r.first_seen += static_cast<TimeUs>((i * 7919) % n) * kUsPerSecond;  // not in id order
    r.recipients.resize(1);
    r.recipients[0].orig_address.clear();
    r.recipients[0].address =
        i % 97 == 0 ? "\"u" + std::to_string(i % 500) + "@x\"@Small.TEST"  // a quoted "@"
                    : "u" + std::to_string(i % 500) + "@big.test";
    r.outcome = r.recipients[0].outcome = i % 13 == 0 ? Outcome::kBounced : Outcome::kDelivered;
    batch.push_back(std::move(r));
  }
  ASSERT_TRUE((*store)->Write(batch).ok());
  for (const char* domain : {"big.test", "BIG.test", "small.test"}) {
    for (const bool bounced : {false, true}) {
      SearchQuery q;
      q.recipient_domain = domain;
      if (bounced) q.outcomes = {Outcome::kBounced};
      q.limit = 50;
      std::vector<std::pair<TimeUs, std::string>> want;
      for (const MessageRecord& r : batch) {
        const std::string& a = r.recipients[0].address;
        if (AsciiLower(a.substr(a.rfind('@') + 1)) == AsciiLower(domain) &&
            (!bounced || r.outcome == Outcome::kBounced))
          want.emplace_back(r.first_seen, r.qid);
      }
      std::sort(want.begin(), want.end());
      std::string want_page, got_page;
      for (size_t i = 0; i < want.size() && i < 50; ++i) want_page += want[i].second + " ";
      ASSERT_TRUE((*store)->Search(q, [&](MessageRecord&& r) { got_page += r.qid + " "; }).ok());
      EXPECT_EQ(got_page, want_page) << domain << " " << bounced;
      auto total = (*store)->CountMatchesUpTo(q, 100000);
      ASSERT_TRUE(total.ok()) << total.status().message();
      EXPECT_EQ(total->n, static_cast<int64_t>(want.size())) << domain << " " << bounced;
    }
  }
  auto big = static_cast<SqliteStore&>(**store).CommonRecipientDomain("big.test");
  auto small = static_cast<SqliteStore&>(**store).CommonRecipientDomain("small.test");
  ASSERT_TRUE(big.ok() && small.ok());
  EXPECT_TRUE(*big);
  EXPECT_FALSE(*small);
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
    ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
    ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
    EXPECT_EQ(CountIndexes(path), 0);
    EXPECT_EQ(SubjectFound(s->get(), "drop table"), -1) << "the index, empty now, is not asked";
    SearchQuery q;
    q.subject = "DROP TABLE";
    int n = 0;
    ASSERT_TRUE((*s)->Search(q, [&](MessageRecord&&) { ++n; }).ok());
    EXPECT_EQ(n, 1) << "a subject is found meanwhile, by the scan";
    // No EndBulkLoad: the process "dies" here.
  }
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(CountIndexes(path), indexes);
  EXPECT_EQ(All(s->get()).size(), 1u);
  EXPECT_EQ(SubjectFound(s->get(), "drop table"), 1) << "built at the repair";
  MessageRecord later = Sample("55C4B10A321");
  later.subject = "Another subject";
  ASSERT_TRUE((*s)->Write({later}).ok());
  EXPECT_EQ(SubjectFound(s->get(), "other subj"), 1) << "its triggers are back";
  // A store that already holds records is not bulk-loaded: indexes stay.
  ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
  EXPECT_EQ(CountIndexes(path), indexes);
  ASSERT_TRUE((*s)->EndBulkLoad().ok());
}

// A recipient's total, as the console counts it (up to a cap), by address and
// by original address, alone (counted on rcpt's indexes without reading the
// message rows) and with another key: each message once, however many of its
// recipients match.
TEST_F(SqliteStoreTest, ARecipientsTotalCountsEachMessageOnceUpToTheCap) {
  auto s = SqliteStore::Open(dir_.File("t.db"), Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::vector<MessageRecord> batch;
  for (int i = 0; i < 30; ++i) {
    char qid[16];
    std::snprintf(qid, sizeof qid, "%08X", 0x200000 + i);
    MessageRecord r = Sample(qid);
    r.first_seen += i * kUsPerSecond;
    // Sample's recipients are a@ (originally list@) and b@; every third
    // message has a@ twice (an alias delivered twice), every fifth none.
    if (i % 3 == 0) r.recipients.push_back(r.recipients[0]);
    if (i % 5 == 0) r.recipients.erase(r.recipients.begin());
    batch.push_back(std::move(r));
  }
  ASSERT_TRUE((*s)->Write(batch).ok());
  auto count = [&](SearchQuery q, int64_t cap) {
    auto n = (*s)->CountMatchesUpTo(q, cap);
    EXPECT_TRUE(n.ok()) << n.status().message();
    return n.ok() ? n->n : -1;
  };
  SearchQuery by_addr, by_orig, with_since;
  by_addr.recipient = "a@example.test";
  by_orig.recipient = "list@example.test";
  with_since = by_addr;
  with_since.since = batch[10].first_seen;
  // The oracle: the messages written that have the address among their
  // recipients' addresses or original addresses, first seen from `since` on.
  auto expected = [&](const std::string& who, TimeUs since) {
    int64_t n = 0;
    for (const MessageRecord& r : batch) {
      bool has = false;
      for (const RecipientRecord& x : r.recipients)
        has |= x.address == who || x.orig_address == who;
      n += has && r.first_seen >= since;
    }
    return n;
  };
  ASSERT_EQ(expected("a@example.test", 0), 26);  // 30 but i = 5, 10, 20, 25
  EXPECT_EQ(count(by_addr, 1000), expected("a@example.test", 0));
  EXPECT_EQ(count(by_orig, 1000), expected("list@example.test", 0));
  EXPECT_EQ(count(by_addr, 7), 7);
  EXPECT_EQ(count(with_since, 1000), expected("a@example.test", batch[10].first_seen));
  SearchQuery nobody;
  nobody.recipient = "nobody@example.test";
  EXPECT_EQ(count(nobody, 1000), 0);
}

// A bulk load checkpoints when the WAL reaches its bound, so the WAL file does
// not grow with the load (it had: 19.4 GB for 2.35M records, and a month's
// replay would fill the disk). Here the bound is 64 pages (1 MiB) and 60
// batches are written: without it the WAL held every batch's pages.
TEST_F(SqliteStoreTest, ABulkLoadKeepsTheWalBounded) {
  const std::string path = dir_.File("t.db");
  auto s = SqliteStore::Open(path, Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  static_cast<SqliteStore*>(s->get())->set_bulk_wal_pages(64);
  ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
  struct stat wal;
  off_t largest = 0;
  for (int b = 0; b < 60; ++b) {
    std::vector<MessageRecord> batch;
    for (int i = 0; i < 100; ++i) {
      char qid[16];
      std::snprintf(qid, sizeof qid, "%08X", 0x100000 + b * 100 + i);
      MessageRecord r = Sample(qid);
      r.sender = "sender" + std::to_string(b * 100 + i) + "@example.test";
      r.subject = "a subject of some length, number " + std::to_string(b * 100 + i);
      batch.push_back(std::move(r));
    }
    ASSERT_TRUE((*s)->Write(batch).ok());
    ASSERT_EQ(::stat((path + "-wal").c_str(), &wal), 0);
    largest = std::max(largest, wal.st_size);
  }
  ASSERT_TRUE((*s)->EndBulkLoad().ok());
  auto n = (*s)->CountMatches(SearchQuery{});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6000);
  // The bound and one batch's pages (each batch writes a few dozen).
  EXPECT_LT(largest, 4 << 20) << "the WAL grew with the load";
}

// A trigger on rcpt makes SQLite keep a statement journal for every recipient
// row inserted: each row copied its page (16 KiB) into a temporary file, 2.5 GB
// for the 155k recipients of a 1M-line replay. A bulk load drops the trigger
// with the indexes, and puts it back at the end, or at the next open after a
// load cut short; then a writer that names no first_seen has it filled again.
TEST_F(SqliteStoreTest, ABulkLoadWritesRecipientsWithoutTheirTrigger) {
  const std::string path = dir_.File("t.db");
  const std::string kTriggers =
      "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'rcpt'";
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(IntOf(path, kTriggers), 1);
    ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
    ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
    EXPECT_EQ(IntOf(path, kTriggers), 0) << "no trigger on rcpt during the load";
    ASSERT_TRUE((*s)->EndBulkLoad().ok());
    EXPECT_EQ(IntOf(path, kTriggers), 1) << "back at the end of the load";
  }
  const std::string cut = dir_.File("cut.db");
  {
    auto s = SqliteStore::Open(cut, Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
    ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
    // A writer of an older mailtrail names no first_seen, and the trigger
    // is not there to fill it in.
    EXPECT_EQ(IntOf(cut, "SELECT count(*) FROM rcpt WHERE first_seen IS NULL",
                    "INSERT INTO rcpt (message, seq, addr, outcome)"
                    " SELECT message, 8, addr, outcome FROM rcpt LIMIT 1"),
              1);
  }  // cut short: no EndBulkLoad
  auto s = SqliteStore::Open(cut, Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(IntOf(cut, kTriggers), 1) << "back at the open after a load cut short";
  EXPECT_EQ(IntOf(cut, "SELECT count(*) FROM rcpt WHERE first_seen IS NULL"), 0)
      << "what was written without first_seen meanwhile has it";
  EXPECT_EQ(IntOf(cut,
                  "SELECT count(*) FROM rcpt r JOIN message m ON m.id = r.message"
                  " WHERE r.seq = 9 AND r.first_seen = m.first_seen",
                  "INSERT INTO rcpt (message, seq, addr, outcome)"
                  " SELECT message, 9, addr, outcome FROM rcpt LIMIT 1"),
            1)
      << "a writer that names no first_seen has it filled in";
}

// Bytes this process has handed to write(2) and pwrite(2) so far.
int64_t BytesWritten() {
  std::ifstream io("/proc/self/io");
  std::string key;
  int64_t value = -1;
  while (io >> key >> value)
    if (key == "wchar:") return value;
  ADD_FAILURE() << "no wchar in /proc/self/io";
  return -1;
}

// Records written one batch at a time into a store that has its indexes and
// triggers (not a bulk load: as `mailtrail run` writes). Each insert keeps a
// statement journal (the tables have triggers); in a temporary file it was
// about 150 KB per record, 40 times what the store itself grows by (the WAL
// and the file). The connection's temporary store is the default again after
// the batch, for the transactions whose journals must go to a file.
TEST_F(SqliteStoreTest, RecordsWrittenOneBatchAtATimeWriteLittleBesideTheStore) {
  const std::string path = dir_.File("t.db");
  auto s = SqliteStore::Open(path, Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->Write({Sample("10000000")}).ok());
  const int64_t before = BytesWritten();
  std::vector<MessageRecord> batch;
  for (int i = 0; i < 300; ++i) {
    char qid[16];
    std::snprintf(qid, sizeof qid, "%08X", 0x200000 + i);
    MessageRecord r = Sample(qid);
    r.sender = "sender" + std::to_string(i) + "@example.test";
    r.subject = "a subject of some length, number " + std::to_string(i);
    r.recipients[0].address = "rcpt" + std::to_string(i) + "@example.test";
    batch.push_back(std::move(r));
  }
  ASSERT_TRUE((*s)->Write(batch).ok());
  const int64_t written = BytesWritten() - before;
  struct stat db, wal;
  ASSERT_EQ(::stat(path.c_str(), &db), 0);
  ASSERT_EQ(::stat((path + "-wal").c_str(), &wal), 0);
  EXPECT_LT(written, 2 * (db.st_size + wal.st_size))
      << "written: " << written << ", the store's files: " << db.st_size + wal.st_size;
  auto temp_store = static_cast<SqliteStore*>(s->get())->IntPragma("temp_store");
  ASSERT_TRUE(temp_store.ok());
  EXPECT_EQ(*temp_store, 0) << "the default again after the batch";
}

// A purge deletes many rows in one statement of a transaction: its statement
// journal outgrows memory and goes to a file. SQLite's unix files take
// writes of less than 128 KiB, and the journal's first write is as large as
// its in-memory bound: a bound of 4 MiB failed every real purge with
// "database or disk is full" (a review found it; the tests' stores had been
// too small to show it).
TEST_F(SqliteStoreTest, APurgeOfManyMessagesWithSubjectsSucceeds) {
  auto s = SqliteStore::Open(dir_.File("t.db"), Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  // 20,000 messages, about 10 MB: the DELETE changes more pages than any
  // in-memory bound of a few MiB holds.
  constexpr int kBatches = 10, kPerBatch = 2000;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<MessageRecord> batch;
    for (int i = 0; i < kPerBatch; ++i) {
      const int n = b * kPerBatch + i;
      char qid[16];
      std::snprintf(qid, sizeof qid, "%08X", 0x300000 + n);
      MessageRecord r = Sample(qid);
      r.sender = "sender" + std::to_string(n) + "@example.test";
      r.subject = "a subject of some length, number " + std::to_string(n);
      batch.push_back(std::move(r));
    }
    ASSERT_TRUE((*s)->Write(batch).ok());
  }
  auto removed = (*s)->PurgeBefore(Sample("x").first_seen / kUsPerSecond / 86400 + 1);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, kBatches * kPerBatch);
  auto left = (*s)->CountMatches(SearchQuery{});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0);
}

// The indexes of a bulk load are built with a small page cache (the sorter's
// runs are as large as the cache, and small runs sort faster): the cache is
// the configured one again afterwards, at the end of the load as at the
// repair of a load cut short.
TEST_F(SqliteStoreTest, TheIndexBuildGivesTheConfiguredPageCacheBack) {
  const std::string path = dir_.File("t.db");
  constexpr int64_t kMb = 24;
  auto cache_kib = [](Store* s) {
    auto kib = static_cast<SqliteStore*>(s)->IntPragma("cache_size");  // negative: KiB
    EXPECT_TRUE(kib.ok());
    return kib.ok() ? -*kib : -1;
  };
  {
    auto s = SqliteStore::Open(path, Detail::kStandard, true, kDefaultDictionaryCache, kMb);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_EQ(cache_kib(s->get()), kMb * 1024);
    ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
    ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
    ASSERT_TRUE((*s)->EndBulkLoad().ok());
    EXPECT_EQ(cache_kib(s->get()), kMb * 1024) << "after the end of a bulk load";
  }
  const int indexes = CountIndexes(path);
  {
    auto s = SqliteStore::Open(dir_.File("cut.db"), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
    ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
    EXPECT_EQ(CountIndexes(dir_.File("cut.db")), 0);
  }  // cut short: no EndBulkLoad
  auto s =
      SqliteStore::Open(dir_.File("cut.db"), Detail::kStandard, true, kDefaultDictionaryCache, kMb);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(CountIndexes(dir_.File("cut.db")), indexes) << "repaired at the open";
  EXPECT_EQ(cache_kib(s->get()), kMb * 1024) << "after the repair";
}

TEST_F(SqliteStoreTest, DictionaryCacheOverflowDuringABulkLoadKeepsEveryRecordRight) {
  const std::string path = dir_.File("t.db");
  auto s = SqliteStore::Open(path, Detail::kStandard, true, /*dict_cache_entries=*/16);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
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

// The live agent's connection appends checkpoint parts; `mailtrail blocks add`
// writes through another. The agent must still see what the other wrote (a
// statement left open would pin it to an old snapshot).
TEST_F(SqliteStoreTest, AppendingCheckpointPartsKeepsOtherWritersVisible) {
  auto agent = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(agent.ok());
  const auto whole = CheckpointUpdate::Replace("whole");
  ASSERT_TRUE((*agent)->WriteBatch({Sample("44C4B10A321")}, &whole).ok());
  const auto change = CheckpointUpdate::Append("change");
  ASSERT_TRUE((*agent)->WriteBatch({}, &change).ok());
  auto other = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(other.ok());
  Block b;
  b.kind = BlockKind::kSubject;
  b.key = "blocked by hand";
  b.created = 1000 * kUsPerSecond;
  b.expires = 5000 * kUsPerSecond;
  ASSERT_TRUE((*other)->SaveBlocks({b}).ok());
  auto seen = (*agent)->LoadBlocks(2000 * kUsPerSecond);
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].key, "blocked by hand");
}

// A block row whose kind the agent does not know (written by hand, or by a
// newer version) is refused where it is read, with the word, not carried on.
TEST_F(SqliteStoreTest, ABlockOfAnUnknownKindIsRefusedWhereItIsRead) {
  const std::string path = dir_.File("t.db");
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok()) << s.status().message();
    Block b;
    b.kind = BlockKind::kCidr;
    b.key = "203.0.113.0/24";
    b.created = 1000 * kUsPerSecond;
    b.expires = 5000 * kUsPerSecond;
    ASSERT_TRUE((*s)->SaveBlocks({b}).ok());
    auto back = (*s)->LoadBlocks(2000 * kUsPerSecond);
    ASSERT_TRUE(back.ok()) << back.status().message();
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].kind, BlockKind::kCidr);  // stored as "cidr", read back as the kind
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT kind FROM block", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "cidr");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE block SET kind = 'network'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto loaded = (*s)->LoadBlocks(2000 * kUsPerSecond);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(loaded.status().message(),
            "load blocks: block kind must be ip, cidr or subject, not \"network\"");
}

// `db purge` deletes dictionary rows no record uses; a live writer (another
// connection) that cached their ids must not write records that point at
// them: it notices the purge before its next batch and asks the table again.
TEST_F(SqliteStoreTest, APurgeByAnotherConnectionDoesNotLeaveTheWriterWithStaleDictionaryIds) {
  auto writer = OpenStore(Url(), Detail::kFull, true);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write({Sample("44C4B10A321")}).ok());  // its ids now cached
  {
    auto purger = OpenStore(Url(), Detail::kFull, false);
    ASSERT_TRUE(purger.ok());
    auto removed = (*purger)->PurgeBefore(Sample("x").first_seen / kUsPerSecond / 86400 + 1);
    ASSERT_TRUE(removed.ok()) << removed.status().message();
    EXPECT_EQ(*removed, 1);
  }
  ASSERT_TRUE((*writer)->Write({Sample("55C4B10A321")}).ok());  // the same texts again
  auto reader = OpenStore(Url(), Detail::kFull, false);
  ASSERT_TRUE(reader.ok());
  const auto got = All(reader->get());
  ASSERT_EQ(got.size(), 1u);
  const MessageRecord want = Sample("55C4B10A321");
  EXPECT_EQ(got[0].host, want.host);
  EXPECT_EQ(got[0].client_host, want.client_host);
  ASSERT_EQ(got[0].recipients.size(), 2u);
  EXPECT_EQ(got[0].recipients[0].address, want.recipients[0].address);
  EXPECT_EQ(got[0].recipients[0].orig_address, want.recipients[0].orig_address);
  EXPECT_EQ(got[0].recipients[1].address, want.recipients[1].address);
}

// `db purge` promises a smaller file. A reader in the middle of a read (the
// console, a search) holds the write-ahead log: the pages cannot leave the
// file until it lets go, and the purge says so instead of saying nothing.
// Run again once the reader is done, it gives the space back.
TEST_F(SqliteStoreTest, APurgeThatAReaderHoldsBackSaysTheFileShrinksLater) {
  auto writer = OpenStore(Url(), Detail::kFull, true);
  ASSERT_TRUE(writer.ok());
  std::vector<MessageRecord> old;
  for (int i = 0; i < 400; ++i) {
    MessageRecord r = Sample("4" + std::to_string(100000 + i) + "AB");
    r.subject = std::string(300, static_cast<char>('a' + i % 26)) + std::to_string(i);
    old.push_back(std::move(r));
  }
  ASSERT_TRUE((*writer)->Write(old).ok());
  writer->reset();
  auto purger = OpenStore(Url(), Detail::kFull, false);
  ASSERT_TRUE(purger.ok());
  EXPECT_EQ((*purger)->PurgePending(), "") << "nothing purged yet";
  const int64_t day = Sample("x").first_seen / kUsPerSecond / 86400 + 1;
  const auto size_before = fs::file_size(dir_.File("t.db"));
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("t.db").c_str(), &reader), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM message;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto removed = (*purger)->PurgeBefore(day);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 400);
  const std::string pending = (*purger)->PurgePending();
  EXPECT_NE(pending.find("reader"), std::string::npos) << pending;
  EXPECT_GE(fs::file_size(dir_.File("t.db")), size_before) << "the reader holds the pages";
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT;", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(reader);
  // Again, with nothing left to remove: the space goes back now.
  removed = (*purger)->PurgeBefore(day);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 0);
  EXPECT_EQ((*purger)->PurgePending(), "");
  EXPECT_LT(fs::file_size(dir_.File("t.db")), size_before);
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

TEST(SqliteCodec, EventsRoundTripThroughZstd) {
  std::vector<RecordEvent> events = {
      {1700000000000001, "postfix/smtpd", "A1B2C3: client=x[1.2.3.4]"},
      {1700000000000002, "postfix/qmgr", "tab\there\nnewline \\ back"}};
  const std::string blob = EncodeEvents(events);
  ASSERT_GT(blob.size(), 8u);
  EXPECT_EQ(static_cast<uint8_t>(blob[4]), 0x28);  // the zstd magic after the size
  const auto back = DecodeEvents(blob);
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back[i].time, events[i].time);
    EXPECT_EQ(back[i].program, events[i].program);
    EXPECT_EQ(back[i].text, events[i].text);
  }
  // A size that does not match the frame, and a damaged frame, decode to nothing.
  std::string small = blob;
  small[0] = 3;
  small[1] = small[2] = small[3] = 0;
  EXPECT_TRUE(DecodeEvents(small).empty());
  std::string damaged = blob;
  damaged[blob.size() / 2] ^= 0x5a;
  damaged[blob.size() - 1] ^= 0x5a;
  EXPECT_TRUE(DecodeEvents(damaged).empty());
}

TEST(SqliteCodec, EventsWrittenWithZlibStillDecode) {
  // What versions before the zstd change stored: the size, then compress2() output.
  const std::string plain = "1700000000000001\tpostfix/qmgr\tA1B2C3: removed\n";
  uLongf n = compressBound(plain.size());
  std::string z(n, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(z.data()), &n,
                      reinterpret_cast<const Bytef*>(plain.data()), plain.size(), 6),
            Z_OK);
  z.resize(n);
  std::string blob(4, '\0');
  blob[0] = static_cast<char>(plain.size());
  blob += z;
  const auto back = DecodeEvents(blob);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].time, 1700000000000001);
  EXPECT_EQ(back[0].program, "postfix/qmgr");
  EXPECT_EQ(back[0].text, "A1B2C3: removed");
}

TEST(SqliteCodec, DecodersSurviveGarbage) {
  EXPECT_TRUE(DecodeEvents("\xff\xff\xff\x7fgarbage").empty());
  EXPECT_TRUE(DecodeEvents("ab").empty());
  EXPECT_TRUE(DecodeScans("no tabs here\n\t\t\n").empty());
  EXPECT_EQ(SplitList("  A  B "), (std::vector<std::string>{"A", "B"}));
}

}  // namespace
}  // namespace mailtrail
