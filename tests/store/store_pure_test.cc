// Pure parts of the stores: MySQL URLs, the spool's record encoding, the
// daily partition split.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "agent/store/mysql_partitions.h"
#include "agent/store/mysql_url.h"
#include "agent/store/record_codec.h"
#include "tests/support/every_field.h"
#include "tests/support/store_fixture.h"

namespace mailtrail {
namespace {

TEST(MysqlUrl, TcpSocketAndIpv6Forms) {
  auto t = ParseMysqlUrl("mt@127.0.0.1:3307/mailtrail");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->user, "mt");
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 3307);
  EXPECT_EQ(t->database, "mailtrail");
  t = ParseMysqlUrl("mt@localhost/mailtrail?socket=/run/mysqld/mysqld.sock");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->socket, "/run/mysqld/mysqld.sock");
  EXPECT_EQ(t->port, 3306);
  t = ParseMysqlUrl("mt@[::1]:3306/m");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "::1");
}

TEST(MysqlUrl, RefusesPasswordsAndBadParts) {
  auto pw = ParseMysqlUrl("mt:secret@localhost/m");
  ASSERT_FALSE(pw.ok());
  EXPECT_NE(pw.status().message().find("password_file"), std::string::npos);
  EXPECT_EQ(pw.status().message().find("secret"), std::string::npos) << "never echo it";
  for (const char* bad : {"localhost/m", "mt@localhost", "mt@localhost/m;DROP", "mt@h:99999/m",
                          "mt@h/m?socket=relative", "mt@h/m?ssl=1", "mt@h/", "m t@h/m", "mt@h:/m"})
    EXPECT_FALSE(ParseMysqlUrl(bad).ok()) << bad;
}

// The spool keeps a checkpoint update as one blob.
TEST(CheckpointUpdateBlob, RoundTripsAndReadsTheOlderForm) {
  CheckpointUpdate u;
  u.append = true;
  u.parts = {"{\"a\":1}", "", std::string("x:1\0y", 5), "MTCP1R3:abc"};
  EXPECT_EQ(DecodeCheckpointUpdate(EncodeCheckpointUpdate(u)), u);
  const auto r = CheckpointUpdate::Replace("{}");
  EXPECT_EQ(DecodeCheckpointUpdate(EncodeCheckpointUpdate(r)), r);
  // A spool written before parts existed holds a checkpoint written whole.
  EXPECT_EQ(DecodeCheckpointUpdate("{\"v\":1}"), CheckpointUpdate::Replace("{\"v\":1}"));
  // Damaged framing is not half read: the blob as it is, a replacement.
  for (std::string bad : {"MTCP1A5:ab", "MTCP1Ax:ab", "MTCP1Q1:a", "MTCP1A99999999999999:a"})
    EXPECT_EQ(DecodeCheckpointUpdate(bad), CheckpointUpdate::Replace(bad)) << bad;
}

TEST(CheckpointUpdateBlob, ThenAppliesUpdatesInTurn) {
  auto u = CheckpointUpdate::Replace("w1");
  u.Then(CheckpointUpdate::Append("c1"));
  u.Then(CheckpointUpdate::Append("c2"));
  EXPECT_EQ(u.parts, (std::vector<std::string>{"w1", "c1", "c2"}));
  EXPECT_FALSE(u.append);
  u.Then(CheckpointUpdate::Replace("w2"));
  EXPECT_EQ(u, CheckpointUpdate::Replace("w2"));
  auto a = CheckpointUpdate::Append("c3");
  a.Then(CheckpointUpdate::Append("c4"));
  EXPECT_TRUE(a.append);
  EXPECT_EQ(a.parts, (std::vector<std::string>{"c3", "c4"}));
}

class RecordCodec : public ::testing::Test, public StoreFixture {};

// The spool's codec gives back the whole record, every field of
// record_fields.h (tests/support/every_field.h), and one of defaults.
TEST_F(RecordCodec, TheWholeRecordRoundTrips) {
  const MessageRecord every = EveryFieldRecord();
  std::vector<MessageRecord> got;
  ASSERT_TRUE(DecodeRecords(EncodeRecords({every, MessageRecord{}}), &got));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], every);
  EXPECT_EQ(got[1], MessageRecord{});
}

TEST_F(RecordCodec, EveryFieldRoundTrips) {
  MessageRecord a = Sample("44C4B10A321");
  a.is_update = true;
  a.header_from = "From: x";
  a.notice_qids = {"N1", "N2"};
  a.ndr_of = "AAAA";
  MessageRecord b;  // all defaults: empty optionals, -1 sizes
  std::vector<MessageRecord> got;
  ASSERT_TRUE(DecodeRecords(EncodeRecords({a, b}), &got));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(EncodeRecords(got), EncodeRecords({a, b}));
  EXPECT_TRUE(got[0].is_update);
  EXPECT_EQ(got[0].recipients[1].status_text, a.recipients[1].status_text);
  EXPECT_EQ(got[0].scans[0].score, -1.5);
  EXPECT_FALSE(got[1].sender.has_value());
  EXPECT_EQ(got[1].size, -1);
}

TEST_F(RecordCodec, GarbageIsRefusedNotCrashed) {
  const std::string good = EncodeRecords({Sample("44C4B10A321")});
  std::vector<MessageRecord> out;
  for (size_t cut = 0; cut < good.size(); ++cut)
    EXPECT_FALSE(DecodeRecords(good.substr(0, cut), &out)) << cut;
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = good;
    for (int k = 0; k < 4; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    DecodeRecords(bytes, &out);  // any result, no UB (ASan/UBSan in the fuzz build)
  }
}

TEST(MysqlPartitions, SplittingAGapGivesTheDayItsOwnPartition) {
  using P = MysqlPartitions;
  const int64_t min = std::numeric_limits<int64_t>::min();
  const int64_t max = std::numeric_limits<int64_t>::max();
  auto parts = P::Split({"pmax", min, max}, 20784);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].name, "g20261127");
  EXPECT_EQ(parts[1].name, "d20261127");
  EXPECT_EQ(parts[1].lo, 20784);
  EXPECT_EQ(parts[1].hi, 20785);
  EXPECT_EQ(parts[2].name, "pmax");
  // The day right below a daily partition: no gap above.
  parts = P::Split({"g20261127", 20400, 20784}, 20783);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].name, "d20261126");
  EXPECT_EQ(parts[1].hi, 20784);
  // A purge left a daily partition two days wide.
  parts = P::Split({"d20261127", 20783, 20785}, 20783);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "d20261126");
  EXPECT_EQ(parts[1].name, "d20261127") << "one day wide: a day's name";
  EXPECT_EQ(parts[1].lo, 20784);
}

// After a purge the first partition's lower bound is not written: a day's
// partition reaches down to any older day. A late record of an older day
// splits it, and the day it held keeps its name.
TEST(MysqlPartitions, SplittingTheFirstDayBelowKeepsThatDaysName) {
  using P = MysqlPartitions;
  const int64_t min = std::numeric_limits<int64_t>::min();
  auto parts = P::Split({"d20251108", min, 20401}, 20398);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0].name, "g20251106");
  EXPECT_EQ(parts[0].hi, 20398);
  EXPECT_EQ(parts[1].name, "d20251106");
  EXPECT_EQ(parts[2].name, "g20251108");
  EXPECT_EQ(parts[2].lo, 20399);
  EXPECT_EQ(parts[2].hi, 20400);
  EXPECT_EQ(parts[3].name, "d20251108");
  EXPECT_EQ(parts[3].lo, 20400);
  EXPECT_EQ(parts[3].hi, 20401);
  // The day right below it: no gap between.
  parts = P::Split({"d20251108", min, 20401}, 20399);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1].name, "d20251107");
  EXPECT_EQ(parts[2].name, "d20251108");
  EXPECT_EQ(parts[2].lo, 20400);
  // A first partition named as a gap stays a gap above the new day.
  parts = P::Split({"g20251109", min, 20401}, 20398);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].name, "g20251109");
  EXPECT_EQ(parts[2].lo, 20399);
  EXPECT_EQ(parts[2].hi, 20401);
}

}  // namespace
}  // namespace mailtrail
