// What only the MySQL store does: several agents in one database, daily
// partitions and their purge, hash-derived dictionary ids that a squatter cannot
// take over, reconnecting after a lost connection without doubling a batch,
// schema version checks and the password file. Against a real MariaDB.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "agent/store/mysql_dictionary.h"
#include "agent/store/store.h"
#include "tests/support/capture_logger.h"
#include "tests/support/mysql_store_fixture.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

using MysqlStoreTest = MysqlStoreFixture;

TEST_F(MysqlStoreTest, TwoAgentsShareOneDatabaseWithTheirOwnCheckpoints) {
  auto a = Open("mx1");
  auto b = Open("mx2");
  ASSERT_TRUE(a && b);
  const auto cpa = CheckpointUpdate::Replace("a"), cpb = CheckpointUpdate::Replace("b");
  // The same queue id on two hosts: two messages.
  ASSERT_TRUE(a->WriteBatch({On("44C4B10A321", "mx1", 20419)}, &cpa).ok());
  ASSERT_TRUE(
      b->WriteBatch({On("44C4B10A321", "mx2", 20419), On("55C4B10A321", "mx2", 20419)}, &cpb).ok());
  EXPECT_EQ(*a->LoadCheckpoint(), std::vector<std::string>{"a"});
  EXPECT_EQ(*b->LoadCheckpoint(), std::vector<std::string>{"b"});
  // Appended parts are each agent's own.
  const auto more = CheckpointUpdate::Append("a2");
  ASSERT_TRUE(a->WriteBatch({}, &more).ok());
  EXPECT_EQ(*a->LoadCheckpoint(), (std::vector<std::string>{"a", "a2"}));
  EXPECT_EQ(*b->LoadCheckpoint(), std::vector<std::string>{"b"});
  auto r = Reader();
  EXPECT_EQ(All(r.get()).size(), 3u);
  SearchQuery q;
  q.host = "mx2";
  int n = 0;
  ASSERT_TRUE(r->Search(q, [&](MessageRecord&& m) { n += m.host == "mx2"; }).ok());
  EXPECT_EQ(n, 2);
  EXPECT_EQ(Value("SELECT COUNT(DISTINCT id) FROM message"), "3") << "message ids never collide";
}

// Every outcome a record can hold has its name in outcome_name, so that the
// views (which join it) show every record: an address verification's
// "deliverable" and "undeliverable" too (schema 10).
TEST_F(MysqlStoreTest, EveryOutcomeHasItsNameInTheViews) {
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  MessageRecord r = On("P1", "mx1", 20419);
  r.recipients[0].outcome = Outcome::kDeliverable;
  r.recipients[1].outcome = Outcome::kUndeliverable;
  r.outcome = ComputeOutcome(r);
  ASSERT_TRUE(a->Write({r}).ok());
  for (int o = 0; o < kOutcomeCount; ++o)
    EXPECT_EQ(Value("SELECT name FROM outcome_name WHERE code = " + std::to_string(o)),
              OutcomeName(static_cast<Outcome>(o)));
  EXPECT_EQ(Output("SELECT outcome FROM recipients ORDER BY outcome"),
            "deliverable\nundeliverable\n");
}

TEST_F(MysqlStoreTest, ASecondWriterWithTheSameNameIsRefused) {
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  StoreOptions o;
  o.agent_name = "mx1";
  auto b = OpenStore(url_, o);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("another mailtrail writes as agent"), std::string::npos);
}

TEST_F(MysqlStoreTest, AgentsOfTheSameNameInOtherDatabasesOfTheServerAreNotRefused) {
  // Two customers' databases on one MariaDB, each with its agent "mx1" (agent
  // id 1 in both): each writes to its own, at the same time.
  auto a = Open("mx1");
  ASSERT_TRUE(a);
  StoreOptions o;
  o.agent_name = "mx1";
  auto b = OpenStore(db_.NewDatabase(), o);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_TRUE((*b)->Write({Sample("B1")}).ok());
  EXPECT_TRUE(a->Write({Sample("A1")}).ok());
}

// A log may name any year from 0000 to 9999; MariaDB's times are INT UNSIGNED
// seconds. A record stamped before 1970 or after 2106 is stored with its times
// moved into that range, said once a minute: its batch once failed for ever.
TEST_F(MysqlStoreTest, TimesOutsideItsColumnsAreMovedIntoThemNotRefused) {
  CaptureLogger log;
  StoreOptions o;
  o.agent_name = "mx1";
  o.log = &log;
  auto s = OpenStore(url_, o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  MessageRecord early = Sample("E1"), late = Sample("L1");
  early.first_seen = -3600 * kUsPerSecond;  // 1970-01-01T00:00:00+01:00
  early.last_seen = -3599 * kUsPerSecond;
  for (RecipientRecord& rc : early.recipients) rc.time = early.last_seen;
  ASSERT_TRUE(ParseRfc3339("6022-11-27T11:21:14Z", &late.first_seen));
  late.last_seen = late.first_seen + kUsPerSecond;
  for (RecipientRecord& rc : late.recipients) rc.time = late.last_seen;
  const Status st = (*s)->Write({early, Sample("N1"), late});
  ASSERT_TRUE(st.ok()) << st.message();
  std::map<std::string, MessageRecord> got;
  for (MessageRecord& r : All(Reader().get())) got[r.qid] = std::move(r);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got["E1"].first_seen, 0);
  EXPECT_EQ(got["E1"].recipients.at(0).time, 0);
  EXPECT_EQ(got["L1"].first_seen, int64_t{4294967295} * kUsPerSecond);
  EXPECT_EQ(got["N1"].first_seen, Sample("N1").first_seen);
  EXPECT_EQ(log.Count("outside the years 1970-2106"), 1u) << "once a minute";
}

TEST_F(MysqlStoreTest, EachDayGetsItsPartitionAndPurgeDropsWholeDays) {
  auto s = Open("mx1");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->Write({On("A1", "mx", 20400), On("A2", "mx", 20401)}).ok());
  ASSERT_TRUE(s->Write({On("A3", "mx", 20419), On("A4", "mx", 20399)}).ok());  // an older day later
  EXPECT_EQ(Value("SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = "
                  "DATABASE() AND TABLE_NAME = 'rcpt' AND PARTITION_NAME LIKE 'd%'"),
            "4");
  EXPECT_EQ(Value("SELECT PARTITION_NAME FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA ="
                  " DATABASE() AND TABLE_NAME = 'message' AND TABLE_ROWS > 0 ORDER BY 1 LIMIT 1"),
            "d20251107");
  // Gaps stay empty: every row sits in its day.
  EXPECT_EQ(Value("SELECT COUNT(*) FROM message PARTITION (pmax)"), "0");
  auto removed = s->PurgeBefore(20401);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 2);
  auto all = All(Reader().get());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].qid, "A2");
  EXPECT_EQ(all[0].recipients.size(), 2u);
  EXPECT_EQ(Value("SELECT COUNT(*) FROM rcpt"), "4") << "the recipients went with their days";
  // A record for a purged day still finds a partition of its own.
  ASSERT_TRUE(s->Write({On("A5", "mx", 20399)}).ok());
  EXPECT_EQ(All(Reader().get()).size(), 3u);
}

// message_hour (schema 9), which the report cache's hour stamps are read
// from, counts each hour's records as the rows do through writes, rewrites
// (also of another agent's row), purges, a purge cut short, and the migration
// that fills it; each of these changes the stamp of the hours it touched.
TEST_F(MysqlStoreTest, EachHoursRecordsAreCountedAsTheRowsAre) {
  auto a = Open("mx1"), b = Open("mx2");
  ASSERT_TRUE(a && b);
  auto reader = Reader();
  const std::string rows =
      "SELECT first_seen DIV 3600, COUNT(*) FROM message GROUP BY 1 ORDER BY 1";
  const std::string kept =
      "SELECT hour, SUM(records) FROM message_hour GROUP BY 1 HAVING SUM(records) <> 0 ORDER BY 1";
  auto stamps = [&] {
    auto s = reader->SliceStamps(0, 20500LL * 86400 * kUsPerSecond, Store::kSliceHour);
    EXPECT_TRUE(s.ok()) << s.status().message();
    std::map<TimeUs, SliceStamp> out;
    for (const SliceStamp& x : s.ok() ? *s : std::vector<SliceStamp>()) out[x.start] = x;
    return out;
  };
  auto later = [](MessageRecord r, int64_t hours) {
    r.first_seen += hours * 3600 * kUsPerSecond;
    r.last_seen += hours * 3600 * kUsPerSecond;
    return r;
  };
  ASSERT_TRUE(a->Write({On("A1", "mx", 20400), later(On("A2", "mx", 20400), 1),
                        On("A3", "mx", 20401), later(On("A4", "mx", 20401), 5)})
                  .ok());
  ASSERT_TRUE(b->Write({On("B1", "mx2", 20400), On("B2", "mx2", 20401)}).ok());
  EXPECT_EQ(Output(kept), Output(rows));
  auto before = stamps();
  ASSERT_EQ(before.size(), 4u);
  const TimeUs hour = (20400LL * 24 + 1) * 3600 * kUsPerSecond;  // A1's and B1's
  EXPECT_EQ(before[hour].records, 2);

  // A rewrite by its own agent, then by another agent (the same message seen
  // on both): the count stands, the stamp changes, the other hours' do not.
  MessageRecord again = On("A1", "mx", 20400);
  again.is_update = true;
  again.outcome = Outcome::kBounced;
  ASSERT_TRUE(a->Write({again}).ok());
  EXPECT_EQ(Output(kept), Output(rows));
  auto rewritten = stamps();
  EXPECT_EQ(rewritten[hour].records, 2);
  EXPECT_NE(rewritten[hour], before[hour]);
  for (const auto& [start, stamp] : before) {
    if (start != hour) {
      EXPECT_EQ(rewritten[start], stamp) << start;
    }
  }
  again.outcome = Outcome::kDelivered;
  ASSERT_TRUE(b->Write({again}).ok());
  EXPECT_EQ(Output(kept), Output(rows));
  EXPECT_EQ(
      Value("SELECT COUNT(*) FROM message WHERE id >> 40 = (SELECT id FROM agent WHERE name = "
            "'mx2')"),
      "3");
  auto moved = stamps();
  EXPECT_EQ(moved[hour].records, 2);
  EXPECT_NE(moved[hour], rewritten[hour]);

  // A purge: the purged hours are left out, the others stand.
  auto purged = a->PurgeBefore(20401);
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(*purged, 3);
  EXPECT_EQ(Output(kept), Output(rows));
  auto after = stamps();
  EXPECT_EQ(after.size(), 2u);
  EXPECT_EQ(after.count(hour), 0u);
  for (const auto& [start, stamp] : after) {
    EXPECT_EQ(stamp, before[start]) << start;
  }
  // The same messages again: the same counts as before the purge, not the same stamps.
  ASSERT_TRUE(a->Write({On("A1", "mx", 20400), later(On("A2", "mx", 20400), 1)}).ok());
  ASSERT_TRUE(b->Write({On("B1", "mx2", 20400)}).ok());
  EXPECT_EQ(Output(kept), Output(rows));
  auto refilled = stamps();
  EXPECT_EQ(refilled[hour].records, 2);
  EXPECT_NE(refilled[hour], before[hour]);
  EXPECT_NE(refilled[hour], moved[hour]);

  // A purge cut short between its DROP and the counts: the next one mends them.
  ASSERT_TRUE(a->PurgeBefore(20401).ok());
  ASSERT_EQ(db_.Sql("UPDATE " + Database() +
                    ".message_hour SET records = 7 WHERE hour = " + std::to_string(20400 * 24 + 1)),
            0);
  ASSERT_NE(Output(kept), Output(rows));
  // The hours' stamps are read from these counts, not from the rows.
  EXPECT_EQ(stamps()[hour].records, 14);
  ASSERT_TRUE(a->PurgeBefore(20401).ok());
  EXPECT_EQ(Output(kept), Output(rows));

  // A database of schema 8 with records: `db migrate` fills the table.
  ASSERT_TRUE(a->Write({later(On("A5", "mx", 20402), 3), later(On("A6", "mx", 20402), 3)}).ok());
  a.reset();
  b.reset();
  reader.reset();
  ASSERT_EQ(db_.Sql("DROP TABLE " + Database() + ".message_hour"), 0);
  ASSERT_EQ(db_.Sql("UPDATE " + Database() + ".mailtrail_meta SET v = '8'"), 0);
  StoreOptions o;
  o.agent_name = "mx1";
  o.migrate = true;
  auto migrated = OpenStore(url_, o);
  ASSERT_TRUE(migrated.ok()) << migrated.status().message();
  reader = Reader();
  EXPECT_EQ(Output(kept), Output(rows));
  EXPECT_EQ(stamps().size(), 3u);
}

// A record older than the first day kept splits that day's partition, whose
// lower bound is not written (it reaches down to any older day). The day
// keeps a partition of its own, under its name; the late day gets its own.
TEST_F(MysqlStoreTest, ALateOlderDayLeavesTheFirstDayItsPartition) {
  auto s = Open("mx1");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->Write({On("X1", "mx", 20400), On("X2", "mx", 20401)}).ok());
  ASSERT_TRUE(s->PurgeBefore(20400).ok());
  ASSERT_TRUE(s->Write({On("X0", "mx", 20398)}).ok());  // an older day, late
  EXPECT_EQ(Value("SELECT qid FROM message PARTITION (d20251108)"), "X1");
  EXPECT_EQ(Value("SELECT qid FROM message PARTITION (d20251106)"), "X0");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM message PARTITION (g20251108)"), "0");
  const std::string day_rcpts = "SELECT COUNT(*) FROM rcpt WHERE first_seen DIV 86400 = 20400";
  ASSERT_NE(Value(day_rcpts), "0");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM rcpt PARTITION (d20251108)"), Value(day_rcpts));
  auto removed = s->PurgeBefore(20400);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 1) << "X0 alone";
  EXPECT_EQ(Output("SELECT qid FROM message ORDER BY qid"), "X1\nX2\n");
}

// An older mailtrail named the rest of that split a gap ("g…"), with the
// day's rows in it. A purge that does not drop it leaves their hours' counts
// alone (it zeroed them when it took every hour before the first "d"
// partition for empty), and counts only the messages it removed; the next
// record of that day gives it its partition back, rows and all.
TEST_F(MysqlStoreTest, APurgeLeavesTheCountsOfRowsInAGapPartition) {
  auto s = Open("mx1");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->Write({On("X1", "mx", 20400), On("X2", "mx", 20401)}).ok());
  ASSERT_TRUE(s->PurgeBefore(20400).ok());
  for (const char* table : {"message", "rcpt"}) {
    ASSERT_EQ(db_.Sql("ALTER TABLE " + Database() + "." + table +
                      " REORGANIZE PARTITION d20251108 INTO ("
                      "PARTITION g20251106 VALUES LESS THAN (" +
                      std::to_string(20398 * 86400) + "), PARTITION d20251106 VALUES LESS THAN (" +
                      std::to_string(20399 * 86400) + "), PARTITION g20251109 VALUES LESS THAN (" +
                      std::to_string(20401 * 86400) + "))"),
              0);
  }
  ASSERT_TRUE(s->Write({On("X0", "mx", 20398)}).ok());  // an older day, late
  ASSERT_EQ(Value("SELECT qid FROM message PARTITION (g20251109)"), "X1")
      << "day 20400's row sits in a partition named as a gap";
  auto removed = s->PurgeBefore(20400);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 1) << "X0 alone";
  EXPECT_EQ(Value("SELECT COUNT(*) FROM message"), "2");
  EXPECT_EQ(Output("SELECT hour, SUM(records) FROM message_hour GROUP BY 1 HAVING SUM(records) <> 0"
                   " ORDER BY 1"),
            Output("SELECT first_seen DIV 3600, COUNT(*) FROM message GROUP BY 1 ORDER BY 1"));
  MessageRecord x3 = On("X3", "mx", 20400);
  x3.first_seen += 3600 * kUsPerSecond;
  x3.last_seen += 3600 * kUsPerSecond;
  ASSERT_TRUE(s->Write({x3}).ok());
  EXPECT_EQ(Output("SELECT qid FROM message PARTITION (d20251108) ORDER BY qid"), "X1\nX3\n");
  EXPECT_EQ(Value("SELECT COUNT(*) FROM rcpt PARTITION (d20251108)"),
            Value("SELECT COUNT(*) FROM rcpt WHERE first_seen DIV 86400 = 20400"));
}

// A recipient's page (MysqlStore's RecipientPageSql): each half reads the
// recipient's rows in the page's order from its index and stops at the
// limit. Before schema 7 (rcpt_addr on addr alone), and with the index on
// (addr, first_seen) only, MariaDB sorted every row of the recipient.
TEST_F(MysqlStoreTest, ARecipientsRowsComeInPageOrderFromItsIndexes) {
  auto s = Open("mx1");
  std::vector<MessageRecord> batch;
  for (int i = 0; i < 40; ++i) {
    batch.push_back(On("C" + std::to_string(100 + i), "mx", 20419 + i % 3));
    batch.back().recipients[0].address = "x@example.test";
    batch.back().recipients[1].orig_address = "x@example.test";  // both halves hold rows
  }
  ASSERT_TRUE(s->Write(batch).ok());
  ASSERT_EQ(db_.Sql("ANALYZE TABLE " + Database() + ".rcpt"), 0);
  for (const std::string column : {"addr", "orig"}) {
    const std::string plan = Output(
        "EXPLAIN SELECT r.first_seen AS fs, r.message AS mid FROM rcpt r STRAIGHT_JOIN message m"
        " ON m.id = r.message AND m.first_seen = r.first_seen WHERE r." +
        column + " = 12345 AND r.first_seen >= 5 AND m.outcome = 2" +
        " GROUP BY fs, mid ORDER BY fs, mid LIMIT 50");
    EXPECT_NE(plan.find("rcpt_" + column), std::string::npos) << plan;
    EXPECT_EQ(plan.find("filesort"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("temporary"), std::string::npos) << plan;
  }
  SearchQuery q;
  q.recipient = "x@example.test";
  q.limit = 7;
  int n = 0;
  auto reader = Reader();
  ASSERT_TRUE(reader->Search(q, [&](MessageRecord&&) { ++n; }).ok());
  EXPECT_EQ(n, 7);
}

TEST_F(MysqlStoreTest, ASquattedDictionaryIdMovesTheTextToTheNextId) {
  // Someone stored another text under the id "victim@example.test" hashes to
  // (a hash collision, or a hostile insert): the store must notice, never
  // attribute the squatter's text to the victim.
  const std::string victim = "victim@example.test";
  const int64_t id0 = MysqlDictionary::ProbeId(MysqlDictionary::kAddress, victim, 0);
  ASSERT_EQ(db_.Sql("INSERT INTO " + Database() + ".dict_address (id, text) VALUES (" +
                    std::to_string(id0) + ", 'squatter@evil.test')"),
            0);
  auto s = Open("mx1");
  MessageRecord r = On("B1", "mx", 20419);
  r.sender = victim;
  ASSERT_TRUE(s->Write({r}).ok());
  EXPECT_EQ(Value("SELECT text FROM dict_address WHERE id = " +
                  std::to_string(MysqlDictionary::ProbeId(MysqlDictionary::kAddress, victim, 1))),
            victim);
  auto reader = Reader();
  auto all = All(reader.get());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].sender.value_or(""), victim);
  SearchQuery q;
  q.sender = victim;
  int n = 0;
  ASSERT_TRUE(reader->Search(q, [&](MessageRecord&&) { ++n; }).ok());
  EXPECT_EQ(n, 1);
  q.sender = "squatter@evil.test";
  n = 0;
  ASSERT_TRUE(reader->Search(q, [&](MessageRecord&&) { ++n; }).ok());
  EXPECT_EQ(n, 0);
}

TEST_F(MysqlStoreTest, ALostConnectionIsRedoneOnceNotTwice) {
  auto s = Open("mx1");
  ASSERT_TRUE(s->Write({On("C1", "mx", 20419)}).ok());
  // Kill every session of the agent (as a server restart or a proxy would).
  const std::string session = Value(
      "SELECT GROUP_CONCAT(id) FROM information_schema.PROCESSLIST"
      " WHERE db = DATABASE() AND id <> CONNECTION_ID()");
  ASSERT_FALSE(session.empty());
  ASSERT_EQ(session.find(','), std::string::npos) << "one writer session: " << session;
  ASSERT_EQ(db_.Sql("KILL " + session), 0);
  const auto cp = CheckpointUpdate::Replace("after");
  ASSERT_TRUE(s->WriteBatch({On("C2", "mx", 20419)}, &cp).ok());
  EXPECT_EQ(Value("SELECT COUNT(*) FROM message"), "2");
  EXPECT_EQ(*s->LoadCheckpoint(), std::vector<std::string>{"after"});
}

TEST_F(MysqlStoreTest, SchemaVersionsAreChecked) {
  ASSERT_EQ(db_.Sql("UPDATE " + Database() + ".mailtrail_meta SET v = '99'"), 0);
  StoreOptions o;
  o.as_writer = false;
  auto newer = OpenStore(url_, o);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("newer"), std::string::npos);
  ASSERT_EQ(db_.Sql("CREATE DATABASE empty_" + std::to_string(getpid())), 0);
  auto none = OpenStore(db_.Url("empty_" + std::to_string(getpid())), o);
  ASSERT_EQ(db_.Sql("DROP DATABASE empty_" + std::to_string(getpid())), 0);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("db migrate"), std::string::npos);
}

TEST_F(MysqlStoreTest, ThePasswordComesFromAPrivateFile) {
  const std::string user = "mt_" + std::to_string(getpid());
  ASSERT_EQ(db_.Sql("CREATE USER IF NOT EXISTS '" + user +
                    "'@'localhost' IDENTIFIED BY 's3cret pass;x'; GRANT ALL ON " + Database() +
                    ".* TO '" + user + "'@'localhost'"),
            0);
  const std::string file = dir_.File("pw");
  { std::ofstream(file) << "s3cret pass;x\n"; }
  ::chmod(file.c_str(), 0640);
  std::string url = url_;
  url.replace(url.find("root@"), 4, user);
  StoreOptions o;
  o.agent_name = "mx1";
  o.password_file = file;
  auto s = OpenStore(url, o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  ::chmod(file.c_str(), 0644);
  auto open_to_all = OpenStore(url, o);
  ASSERT_FALSE(open_to_all.ok());
  EXPECT_NE(open_to_all.status().message().find("readable by others"), std::string::npos);
  o.password_file.clear();
  EXPECT_FALSE(OpenStore(url, o).ok()) << "no password, no entry";
  std::string with_password = url;
  with_password.replace(with_password.find('@'), 1, ":pw@");
  auto refused = OpenStore(with_password, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("password_file"), std::string::npos);
  ASSERT_EQ(db_.Sql("DROP USER '" + user + "'@'localhost'"), 0);
}

}  // namespace
}  // namespace mailtrail
