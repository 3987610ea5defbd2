// A tracker saved at any line and restored into a fresh one gives exactly the
// records of one uninterrupted run: restarts split no message.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/track/record_state.h"
#include "base/json_writer.h"
#include "tests/support/corpus.h"
#include "tests/support/every_field.h"
#include "tests/support/log_lines.h"
#include "tests/support/queue_operation_lines.h"
#include "tests/support/sorted_json.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

// A state with its messages and sessions in one order (the tracker keeps them
// in hash maps, whose order depends on their history).
std::string CanonicalState(const std::string& state) {
  nlohmann::json j = nlohmann::json::parse(state);
  for (const char* key : {"records", "sessions"}) {
    std::vector<std::string> items;
    for (const auto& x : j.at(key)) items.push_back(x.dump());
    std::sort(items.begin(), items.end());
    j[key] = items;
  }
  return j.dump();
}

TrackerOptions FullDetail() {
  TrackerOptions o;
  o.keep_events = true;
  return o;
}

// The records of one uninterrupted run over `lines`, as SortedJson.
auto Uninterrupted(const std::vector<std::string>& lines) {
  TrackerHarness whole(FullDetail());
  whole.Feed(lines);
  whole.Flush();
  return SortedJson(whole.records());
}

void CheckSplits(const std::string& corpus, int splits) {
  const auto lines = ReadCorpusLines(corpus);
  ASSERT_GT(lines.size(), 100u);
  const TrackerOptions opts = FullDetail();
  const auto want = Uninterrupted(lines);
  for (int k = 1; k <= splits; ++k) {
    const size_t cut = lines.size() * k / (splits + 1);
    TrackerHarness first(opts);
    first.Feed({lines.begin(), lines.begin() + static_cast<long>(cut)});
    const std::string state = first.tracker().SaveState();
    TrackerHarness second(opts);
    ASSERT_TRUE(second.tracker().LoadState(state).ok());
    second.Feed({lines.begin() + static_cast<long>(cut), lines.end()});
    second.Flush();
    std::vector<MessageRecord> all = std::move(first.records());
    for (auto& r : second.records()) all.push_back(std::move(r));
    EXPECT_EQ(SortedJson(all), want) << corpus << " cut at line " << cut;
  }
}

// The live agent checkpoints a whole state, then only changes. Restored from
// the parts so far (whole state, then each change set) at any of them, a
// tracker holds the same state and goes on to the same records.
void CheckChangeSetsOf(const std::vector<std::string>& lines, const std::string& corpus,
                       int chunks) {
  const TrackerOptions opts = FullDetail();
  const auto want = Uninterrupted(lines);
  TrackerHarness live(opts);
  std::vector<std::string> parts;
  size_t done = 0;
  for (int k = 1; k <= chunks; ++k) {
    const size_t cut = lines.size() * k / (chunks + 1);
    live.Feed({lines.begin() + static_cast<long>(done), lines.begin() + static_cast<long>(cut)});
    done = cut;
    parts.push_back(live.tracker().SaveChanges());
    TrackerHarness restored(opts);
    ASSERT_TRUE(restored.tracker().LoadState(parts[0]).ok());
    for (size_t i = 1; i < parts.size(); ++i)
      ASSERT_TRUE(restored.tracker().ApplyChanges(parts[i]).ok()) << i;
    EXPECT_EQ(CanonicalState(restored.tracker().SaveState()),
              CanonicalState(live.tracker().SaveState()))
        << corpus << " after " << parts.size() << " parts";
    restored.Feed({lines.begin() + static_cast<long>(cut), lines.end()});
    restored.Flush();
    std::vector<MessageRecord> all = live.records();
    for (auto& r : restored.records()) all.push_back(std::move(r));
    EXPECT_EQ(SortedJson(all), want) << corpus << " restored at line " << cut;
  }
  EXPECT_EQ(parts[0].find("\"changes\""), std::string::npos) << "the first part is whole";
  for (size_t i = 1; i < parts.size(); ++i)
    EXPECT_NE(parts[i].find("\"changes\":true"), std::string::npos) << i;
}

void CheckChangeSets(const std::string& corpus, int chunks) {
  const auto lines = ReadCorpusLines(corpus);
  ASSERT_GT(lines.size(), 100u);
  CheckChangeSetsOf(lines, corpus, chunks);
}

TEST(TrackerState, ChangeSetsRestoreTheSameStateOnEveryCorpus) {
  for (const char* c : {"02-smtp-rejects.log.gz", "03-outbound-relay-bounce.log.gz",
                        "04-content-filter-amavis.log.gz", "08-long-queue-ids.log.gz"})
    CheckChangeSets(c, 9);
  CheckChangeSets("06-volume.log.gz", 5);
}

// A message left alone (deferred, waiting for its retry) is not in a change set;
// one that changed, or closed, is.
TEST(TrackerState, AChangeSetCarriesOnlyWhatChanged) {
  auto qmgr = [](const char* qid) {
    return std::string("Nov 27 10:00:00 mx postfix/qmgr[102]: ") + qid +
           ": from=<a@b.example>, size=100, nrcpt=1 (queue active)";
  };
  TrackerHarness h;
  h.Feed({qmgr("4A1B2C3D4E"), qmgr("5A1B2C3D4E"), qmgr("6A1B2C3D4E")});
  const std::string first = h.tracker().SaveChanges();
  EXPECT_NE(first.find("4A1B2C3D4E"), std::string::npos);
  h.Feed(
      {"Nov 27 10:00:05 mx postfix/smtp[103]: 5A1B2C3D4E: to=<c@d.example>, relay=none, "
       "delay=5, delays=0.1/0/5/0, dsn=4.4.1, status=deferred (connect timed out)",
       "Nov 27 10:00:05 mx postfix/qmgr[102]: 6A1B2C3D4E: removed"});
  h.Feed(
      {"Nov 27 10:00:20 mx postfix/qmgr[102]: 7A1B2C3D4E: from=<a@b.example>, size=100, "
       "nrcpt=1 (queue active)"});  // the grace period of 6A1B2C3D4E is over: closed
  const std::string changes = h.tracker().SaveChanges();
  EXPECT_EQ(changes.find("4A1B2C3D4E"), std::string::npos) << changes;
  EXPECT_NE(changes.find("\"qid\":\"5A1B2C3D4E\""), std::string::npos) << changes;
  EXPECT_NE(changes.find("\"qid\":\"7A1B2C3D4E\""), std::string::npos) << changes;
  EXPECT_NE(changes.find("\"closed\":[[\"mx\",\"6A1B2C3D4E\"]]"), std::string::npos) << changes;
  const std::string nothing = h.tracker().SaveChanges();
  EXPECT_EQ(nothing.find("A1B2C3D4E"), std::string::npos) << nothing;
}

TEST(TrackerState, AChangeSetIsNotAStateAndAStateIsNotAChangeSet) {
  TrackerHarness a;
  a.Feed(
      {"Nov 27 10:00:00 mx postfix/qmgr[102]: 4A1B2C3D4E: from=<a@b.example>, size=100, "
       "nrcpt=1 (queue active)"});
  const std::string state = a.tracker().SaveChanges();
  const std::string changes = a.tracker().SaveChanges();
  TrackerHarness b;
  EXPECT_FALSE(b.tracker().LoadState(changes).ok());
  EXPECT_FALSE(b.tracker().ApplyChanges(state).ok());
  EXPECT_EQ(b.tracker().open_records(), 0u);
}

TEST(TrackerState, RestoredTrackerContinuesExactlyOnEveryCorpus) {
  for (const char* c : {"02-smtp-rejects.log.gz", "03-outbound-relay-bounce.log.gz",
                        "04-content-filter-amavis.log.gz", "08-long-queue-ids.log.gz"})
    CheckSplits(c, 7);
  CheckSplits("06-volume.log.gz", 3);
}

TEST(TrackerState, HostileTextAndExactDelaysSurviveASaveAndLoad) {
  // A deferred message stays open: its subject carries quotes, a backslash, a
  // control byte and bytes that are not UTF-8; its delay has nine decimals.
  const std::vector<std::string> lines = {
      "Nov 27 10:00:00 mx postfix/smtpd[100]: connect from a.example[192.0.2.1]",
      "Nov 27 10:00:00 mx postfix/smtpd[100]: 4A1B2C3D4E: client=a.example[192.0.2.1]",
      "Nov 27 10:00:01 mx postfix/cleanup[101]: 4A1B2C3D4E: message-id=<x@y>",
      "Nov 27 10:00:01 mx postfix/cleanup[101]: 4A1B2C3D4E: info: header Subject: Hi \"there\" "
      "\\ \x01 \xff\xfe end from a.example[192.0.2.1]; from=<a@b> to=<c@d> proto=ESMTP helo=<a>",
      "Nov 27 10:00:01 mx postfix/qmgr[102]: 4A1B2C3D4E: from=<a@b>, size=100, nrcpt=1 (queue "
      "active)",
      "Nov 27 10:00:02 mx postfix/smtp[103]: 4A1B2C3D4E: to=<c@d>, relay=none, "
      "delay=0.123456789, delays=0.1/0/0/0.02, dsn=4.4.1, status=deferred (connect timed out)",
  };
  TrackerOptions opts;
  opts.keep_events = true;
  TrackerHarness first(opts);
  first.Feed(lines);
  ASSERT_EQ(first.tracker().open_records(), 1u);
  const std::string state = first.tracker().SaveState();
  EXPECT_NE(state.find("\"delay\":0.123456789,"), std::string::npos) << state;  // a number
  EXPECT_NE(state.find("Hi \\\"there\\\" \\\\ \\u0001 \xEF\xBF\xBD\xEF\xBF\xBD end"),
            std::string::npos)
      << state;
  TrackerHarness second(opts);
  ASSERT_TRUE(second.tracker().LoadState(state).ok());
  EXPECT_EQ(second.tracker().SaveState(), state);
}

TEST(TrackerState, GarbageStateIsRefusedAndLeavesTheTrackerEmpty) {
  TrackerHarness h;
  EXPECT_FALSE(h.tracker().LoadState("not json").ok());
  EXPECT_FALSE(h.tracker().LoadState("{\"v\": 1, \"now\": 5}").ok());
  EXPECT_FALSE(h.tracker().LoadState("{\"v\": 99}").ok());
  EXPECT_EQ(h.tracker().open_records(), 0u);
}

// A damaged state can hold any number where an integer belongs: a float out
// of every integer's range (converting it would be undefined behaviour), or a
// time so far out that the tracker's sums with it would overflow. Refused.
TEST(TrackerState, NumbersOutOfRangeAreRefused) {
  TrackerHarness first;
  first.Feed(QueuedMessageLines(1, "Nov 27 10:00:01"));
  const std::string state = first.tracker().SaveState();
  const std::string key = "\"first_seen\":";
  const size_t t = state.find(key);
  ASSERT_NE(t, std::string::npos) << state;
  const size_t value = t + key.size(), end = state.find(',', value);
  {
    TrackerHarness intact;
    ASSERT_TRUE(intact.tracker().LoadState(state).ok());
  }
  for (const char* bad :
       {"1e98", "-1e98", "1.5", "9000000000000000000", "18446744073709551615", "\"1\"", "true"}) {
    std::string damaged = state;
    damaged.replace(value, end - value, bad);
    TrackerHarness h;
    EXPECT_FALSE(h.tracker().LoadState(damaged).ok()) << bad;
    EXPECT_EQ(h.tracker().open_records(), 0u);
  }
  std::string now = state;
  const size_t at = now.find("\"now\":");
  ASSERT_NE(at, std::string::npos);
  now.replace(at, 6, "\"now\":-9000000000000000000,\"x\":");
  TrackerHarness h;
  EXPECT_FALSE(h.tracker().LoadState(now).ok());
}

// The parser takes any RFC 3339 stamp, years 0000 to 9999 with any offset; a
// state saved after such a line loads back (the fuzzer found a year 6022 that
// the loader took for damage, and a restart would have lost every open message).
TEST(TrackerState, EveryTimeTheParserReadsSurvivesASaveAndLoad) {
  for (const std::string stamp :
       {"0000-01-01T00:00:00+99:59", "0000-03-01T00:00:00Z", "6022-11-27T11:21:14.573590+01:00",
        "9999-12-31T23:59:59.999999-99:59"}) {
    TrackerOptions opts;
    opts.keep_events = true;
    TrackerHarness first(opts);
    first.Feed({stamp + " mx postfix/smtpd[100]: connect from a.example[192.0.2.1]",
                stamp + " mx postfix/smtpd[100]: 4A1B2C3D4E: client=a.example[192.0.2.1]",
                stamp + " mx postfix/qmgr[102]: 4A1B2C3D4E: from=<a@b>, size=100, nrcpt=1 "
                        "(queue active)"});
    ASSERT_EQ(first.tracker().open_records(), 1u) << stamp;
    const std::string state = first.tracker().SaveState();
    TrackerHarness second(opts);
    ASSERT_TRUE(second.tracker().LoadState(state).ok()) << stamp;
    EXPECT_EQ(second.tracker().SaveState(), state) << stamp;
  }
}

// The checkpoint keeps every field of an open message (record_fields.h):
// the whole record comes back, not only the fields a test names.
TEST(RecordState, EveryFieldSurvivesTheCheckpoint) {
  const MessageRecord r = EveryFieldRecord();
  std::string out;
  JsonWriter w(&out);
  WriteRecordState(&w, r);
  EXPECT_EQ(RecordFromState(nlohmann::json::parse(out)), r) << out;
  const MessageRecord defaults;
  std::string empty;
  JsonWriter e(&empty);
  WriteRecordState(&e, defaults);
  EXPECT_EQ(empty.find("\"recipients\""), std::string::npos) << "empty lists are left out";
  EXPECT_EQ(RecordFromState(nlohmann::json::parse(empty)), defaults);
}

// A bounce still in the queue at a restart keeps the Message-IDs of the
// message it returns (nested_header_checks): outbound backscatter detection
// (agent/detect/outbound.h) matches them when the bounce ends. The v2 state
// lost them.
// Saved after each line of `lines` and restored into a fresh tracker, which
// reads the rest: the same records as one uninterrupted run.
void CheckEveryCut(const std::vector<std::string>& lines, const char* what) {
  const auto want = Uninterrupted(lines);
  for (size_t cut = 1; cut < lines.size(); ++cut) {
    TrackerHarness first(FullDetail());
    first.Feed({lines.begin(), lines.begin() + static_cast<long>(cut)});
    TrackerHarness second(FullDetail());
    ASSERT_TRUE(second.tracker().LoadState(first.tracker().SaveState()).ok());
    second.Feed({lines.begin() + static_cast<long>(cut), lines.end()});
    second.Flush();
    std::vector<MessageRecord> all = std::move(first.records());
    for (auto& r : second.records()) all.push_back(std::move(r));
    EXPECT_EQ(SortedJson(all), want) << what << ", restarted after line " << cut;
  }
  // And from a whole state and the change sets after it, one a line.
  CheckChangeSetsOf(lines, what, static_cast<int>(lines.size()) - 1);
}

// What the tracker knows of Postfix's queue operations comes through a
// restart at any line: the files `postsuper -r` made of a message (a filter's
// IDENT names its first id), a leg whose parent the next reply corrects, a
// deleted or requeued file whose running delivery has not ended yet
// (helper-101: restarted there, a second record of the first id, the leg
// under the wrong parent, a deferral after the delete left deferred).
TEST(TrackerState, QueueOperationsSurviveARestartAtEveryLine) {
  CheckEveryCut(queue_ops::RequeuedWithItsLeg(), "requeued with its leg");
  CheckEveryCut(queue_ops::DeleteDuringADelivery(), "deleted during a delivery");
  std::vector<std::string> deferred = queue_ops::DeleteDuringADelivery();
  for (std::string& l : deferred) {
    const size_t at = l.find("dsn=2.0.0, status=sent (250 2.0.0 from MTA");
    if (at != std::string::npos)
      l = l.substr(0, at) +
          "dsn=4.4.2, status=deferred (lost connection with 127.0.0.11[127.0.0.11] while "
          "sending end of data -- message may be sent more than once)";
  }
  CheckEveryCut(deferred, "deleted during a delivery that is deferred");
}

TEST(TrackerState, AnOpenBounceKeepsTheReturnedMessageIdsAcrossARestart) {
  TrackerOptions o;
  o.emit_at_removed = true;
  TrackerHarness first(o);
  first.Feed({
      R"(Dec 02 20:30:25 mx postfix/pickup[27293]: 03306A721DB: uid=0 from=<>)",
      R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 03306A721DB: info: header Subject: Undeliverable: Spring offers from local; from=<> to=<news@example.org>)",
      R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 03306A721DB: message-id=<dsn1@mx.remote.test>)",
      R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 03306A721DB: info: header Message-ID: <orig1.12345@example.org> from local; from=<> to=<news@example.org>)",
      R"(Dec 02 20:30:25 mx postfix/qmgr[27294]: 03306A721DB: from=<>, size=799, nrcpt=1 (queue active))",
  });
  TrackerHarness second(o);
  ASSERT_TRUE(second.tracker().LoadState(first.tracker().SaveState()).ok());
  second.Feed({
      R"(Dec 02 20:30:26 mx postfix/discard[27321]: 03306A721DB: to=<news@example.org>, relay=none, delay=0.02, delays=0.01/0.01/0/0, dsn=2.0.0, status=sent (example.org))",
      R"(Dec 02 20:30:26 mx postfix/qmgr[27294]: 03306A721DB: removed)",
  });
  const MessageRecord* r = second.One("03306A721DB");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->returned_message_ids, std::vector<std::string>{"orig1.12345@example.org"});
}

}  // namespace
}  // namespace mailtrail
