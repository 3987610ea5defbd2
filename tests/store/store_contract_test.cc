// The Store contract: every backend passes the same tests. Backends are listed
// in kBackends; each gives a URL for a fresh, empty store: SQLite in a temporary
// directory, MySQL in a fresh database of a real MariaDB (tests/support/mariadb.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "agent/cli/block_ends.h"
#include "agent/store/store.h"
#include "tests/support/every_field.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/mariadb.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

struct Backend {
  const char* name;
  // A URL for the store named `db` (the same name gives the same store).
  std::function<std::string(const TempDir&, const std::string& db)> url;
};

const Backend kBackends[] = {
    {"sqlite", [](const TempDir& dir, const std::string& db) { return "sqlite:" + dir.File(db); }},
    {"mysql",
     [](const TempDir& dir, const std::string& db) {
       // One database per (test directory, name): the same name reopens it.
       static std::map<std::string, std::string> urls;
       std::string& url = urls[dir.File(db)];
       if (url.empty()) url = TestMariaDb::Get().NewDatabase();
       return url;
     }},
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

class StoreContract : public ::testing::TestWithParam<Backend>, public StoreFixture {
 protected:
  std::string Url(const std::string& name = "t.db") { return GetParam().url(dir_, name); }
  TempDir dir_{"mt_contract"};
};

// At full detail a store gives back the whole record: every field of
// record_fields.h but those only the agent keeps (tests/support/every_field.h).
TEST_P(StoreContract, FullDetailRoundTripsEveryField) {
  auto s = OpenStore(Url(), Detail::kFull, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const MessageRecord want = EveryFieldRecord(/*agent_fields=*/false);
  ASSERT_TRUE((*s)->Write({want}).ok());
  auto all = All(s->get());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], want);
}

TEST_P(StoreContract, MinimalDetailKeepsOnlyTheCore) {
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

// What an admin looks for first is kept at the default detail: why a message
// was rejected, why a recipient was not delivered, and the scan's verdict.
TEST_P(StoreContract, StandardDetailKeepsTheReasonsAndTheScans) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Write({Sample("44C4B10A321")}).ok());
  auto all = All(s->get());
  ASSERT_EQ(all.size(), 1u);
  const MessageRecord& r = all[0];
  ASSERT_TRUE(r.reject.has_value());
  EXPECT_EQ(r.reject->text, "User unknown");
  ASSERT_EQ(r.recipients.size(), 2u);
  EXPECT_TRUE(r.recipients[0].status_text.empty()) << "delivered: kept at full only";
  EXPECT_EQ(r.recipients[1].status_text, "host said: 550\tno\nsuch user");
  ASSERT_EQ(r.scans.size(), 1u);
  EXPECT_EQ(r.scans[0].verdict, "CLEAN");
  EXPECT_EQ(r.scans[0].score, -1.5);
  EXPECT_TRUE(r.events.empty());
}

// An address verification's answer: "undeliverable" says why, as a bounce's
// reason does; "deliverable" is kept at full only, as "delivered" is.
TEST_P(StoreContract, StandardDetailKeepsWhyAProbeWasUndeliverable) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  MessageRecord probe = Sample("44C4B10A321");
  probe.recipients[0].outcome = Outcome::kDeliverable;
  probe.recipients[0].status_text = "250 2.1.5 Ok";
  probe.recipients[1].outcome = Outcome::kUndeliverable;
  probe.recipients[1].status_text = "host said: 550 5.1.1 no such user";
  probe.outcome = ComputeOutcome(probe);
  ASSERT_TRUE((*s)->Write({probe}).ok());
  auto all = All(s->get());
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].recipients.size(), 2u);
  EXPECT_EQ(all[0].recipients[0].outcome, Outcome::kDeliverable);
  EXPECT_TRUE(all[0].recipients[0].status_text.empty());
  EXPECT_EQ(all[0].recipients[1].outcome, Outcome::kUndeliverable);
  EXPECT_EQ(all[0].recipients[1].status_text, "host said: 550 5.1.1 no such user");
}

// A recipient handed to its message's next leg keeps the words that say so at
// the default detail: the filter's "queued as" naming the leg, a requeue's
// "requeued as" with why it waited. The report counts it on that leg
// (HandedToNextLeg), which it can only tell from them.
TEST_P(StoreContract, StandardDetailKeepsWhereARecipientWentOn) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  MessageRecord r = Sample("44C4B10A321");
  r.child_qids = {"5D5E6F7A8B9"};
  r.recipients[0].outcome = Outcome::kDelivered;
  r.recipients[0].relay = "127.0.0.1[127.0.0.1]:10024";
  r.recipients[0].status_text =
      "250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 5D5E6F7A8B9";
  r.recipients[1].outcome = Outcome::kDelivered;
  r.recipients[1].relay = std::string(kRequeueRelay);
  r.recipients[1].status_text = "requeued as 5D5E6F7A8B9 (postsuper -r) while deferred: 451 later";
  r.outcome = ComputeOutcome(r);
  ASSERT_TRUE(HandedToNextLeg(r, r.recipients[0]) && HandedToNextLeg(r, r.recipients[1]));
  ASSERT_TRUE((*s)->Write({r}).ok());
  auto all = All(s->get());
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].recipients.size(), 2u);
  EXPECT_EQ(all[0].recipients[0].status_text, r.recipients[0].status_text);
  EXPECT_EQ(all[0].recipients[1].status_text, r.recipients[1].status_text);
  for (const RecipientRecord& rc : all[0].recipients) EXPECT_TRUE(HandedToNextLeg(all[0], rc));
}

TEST_P(StoreContract, SearchFiltersUseBoundValues) {
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

TEST_P(StoreContract, SubjectMatchesInAnyCase) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  MessageRecord greek = Sample("55C4B10A321");
  greek.subject =
      "\xce\x91\xce\xa0\xce\x9f\xce\xa3\xce\xa4\xce\x9f\xce\x9b\xce\x97 "
      "\xc3\x89"
      "CHEC";  // "ΑΠΟΣΤΟΛΗ ÉCHEC"
  ASSERT_TRUE((*s)->Write({Sample("44C4B10A321"), greek}).ok());
  auto qids = [&](const std::string& subject) {
    SearchQuery q;
    q.subject = subject;
    std::string got;
    EXPECT_TRUE((*s)->Search(q, [&](MessageRecord&& r) { got += r.qid + " "; }).ok());
    return got;
  };
  EXPECT_EQ(qids("undelivered mail"), "44C4B10A321 ");
  EXPECT_EQ(qids("UNDELIVERED"), "44C4B10A321 ");
  EXPECT_EQ(qids("mail \xd0\xb6"), "44C4B10A321 ") << "Cyrillic: \"ж\" finds \"Ж\"";
  EXPECT_EQ(qids("\xce\xb1\xcf\x80\xce\xbf\xcf\x83\xcf\x84\xce\xbf\xce\xbb\xce\xb7"),
            "55C4B10A321 ")
      << "Greek: \"αποστολη\" finds \"ΑΠΟΣΤΟΛΗ\"";
  EXPECT_EQ(qids("\xc3\xa9"
                 "chec"),
            "55C4B10A321 ")
      << "\"échec\" finds \"ÉCHEC\"";
  EXPECT_EQ(qids("echec"), "") << "no accent folding";
}

// --since and --until select on arrival: a message that arrived before a
// window and ended in it is not one of the window's.
TEST_P(StoreContract, TimeWindowSelectsOnFirstSeen) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  MessageRecord early = Sample("44C4B10A321");  // arrived at T, last line at T+5 s
  MessageRecord late = Sample("55C4B10A321");
  late.first_seen += 10 * kUsPerSecond;
  late.last_seen += 10 * kUsPerSecond;
  ASSERT_TRUE((*s)->Write({early, late}).ok());
  auto qids = [&](std::optional<TimeUs> since, std::optional<TimeUs> until) {
    SearchQuery q;
    q.since = since;
    q.until = until;
    std::string got;
    EXPECT_TRUE((*s)->Search(q, [&](MessageRecord&& r) { got += r.qid + " "; }).ok());
    return got;
  };
  const TimeUs t = early.first_seen;
  EXPECT_EQ(qids(t + kUsPerSecond, std::nullopt), "55C4B10A321 ");
  EXPECT_EQ(qids(t, std::nullopt), "44C4B10A321 55C4B10A321 ");
  EXPECT_EQ(qids(std::nullopt, t + 10 * kUsPerSecond), "44C4B10A321 ");
  EXPECT_EQ(qids(t + kUsPerSecond, t + 10 * kUsPerSecond), "");
}

TEST_P(StoreContract, CountMatchesIgnoresTheLimit) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  std::vector<MessageRecord> batch;
  for (int i = 0; i < 7; ++i) batch.push_back(Sample("44C4B10A32" + std::to_string(i)));
  batch.back().subject = "Other";
  ASSERT_TRUE((*s)->Write(batch).ok());
  auto count = [&](const SearchQuery& q) {
    auto n = (*s)->CountMatches(q);
    EXPECT_TRUE(n.ok()) << n.status().message();
    return n.ok() ? *n : -1;
  };
  SearchQuery q;
  q.limit = 2;
  EXPECT_EQ(count(q), 7);
  q.subject = "undelivered";
  q.client_ip = "2001:db8::5";
  q.host = "mx";
  EXPECT_EQ(count(q), 6);
  q.host = "mx2";
  EXPECT_EQ(count(q), 0);
}

TEST_P(StoreContract, ReopenKeepsRecordsAndDictionaryIds) {
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

TEST_P(StoreContract, CheckpointIsWrittenWithItsRecordsAndSurvivesReopening) {
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    auto none = (*s)->LoadCheckpoint();
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    const auto cp1 = CheckpointUpdate::Replace(std::string("position 1\0binary", 17));
    ASSERT_TRUE((*s)->WriteBatch({Sample("44C4B10A321")}, &cp1).ok());
    ASSERT_TRUE((*s)->Write({Sample("55C4B10A321")}).ok());  // leaves it alone
    EXPECT_EQ(*(*s)->LoadCheckpoint(), cp1.parts);
    const auto cp2 = CheckpointUpdate::Replace("position 2");
    ASSERT_TRUE((*s)->WriteBatch({}, &cp2).ok());
  }
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*(*s)->LoadCheckpoint(), std::vector<std::string>{"position 2"});
  EXPECT_EQ(All(s->get()).size(), 2u);
}

// The live agent appends its changes between whole states (agent/run/checkpoint.h).
TEST_P(StoreContract, CheckpointPartsAreAppendedAndReplacedInOrder) {
  using Parts = std::vector<std::string>;
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    CheckpointUpdate whole;
    whole.parts = {"whole 1", "change a"};  // as joined by the writer
    ASSERT_TRUE((*s)->WriteBatch({Sample("44C4B10A321")}, &whole).ok());
    // Parts are bytes: a compressed state holds NULs and anything else.
    const std::string binary("change\0\xff\x28\xb5 b", 12);
    for (const std::string& c : {binary, std::string("change c")}) {
      const auto u = CheckpointUpdate::Append(c);
      ASSERT_TRUE((*s)->WriteBatch({}, &u).ok());
    }
    EXPECT_EQ(*(*s)->LoadCheckpoint(), (Parts{"whole 1", "change a", binary, "change c"}));
  }
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*(*s)->LoadCheckpoint(),
            (Parts{"whole 1", "change a", std::string("change\0\xff\x28\xb5 b", 12), "change c"}));
  // Eleven parts: they stay in order past one digit.
  for (int i = 0; i < 8; ++i) {
    const auto u = CheckpointUpdate::Append("change " + std::to_string(i));
    ASSERT_TRUE((*s)->WriteBatch({}, &u).ok());
  }
  auto parts = (*s)->LoadCheckpoint();
  ASSERT_EQ(parts->size(), 12u);
  EXPECT_EQ(parts->back(), "change 7");
  const auto again = CheckpointUpdate::Replace("whole 2");
  ASSERT_TRUE((*s)->WriteBatch({}, &again).ok());
  EXPECT_EQ(*(*s)->LoadCheckpoint(), Parts{"whole 2"});
  const auto later = CheckpointUpdate::Append("change d");
  ASSERT_TRUE((*s)->WriteBatch({}, &later).ok());
  EXPECT_EQ(*(*s)->LoadCheckpoint(), (Parts{"whole 2", "change d"}));
  const CheckpointUpdate nothing;  // `mailtrail db forget-checkpoint`
  ASSERT_TRUE((*s)->WriteBatch({}, &nothing).ok());
  EXPECT_TRUE((*s)->LoadCheckpoint()->empty());
  ASSERT_TRUE((*s)->WriteBatch({}, &later).ok());
  EXPECT_EQ(*(*s)->LoadCheckpoint(), Parts{"change d"});
}

TEST_P(StoreContract, AnUpdateReplacesTheRecordOfTheSameMessage) {
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

// A replay of lines the store already holds (the same log twice, overlapping
// rotated files) gives the store of one replay.
TEST_P(StoreContract, ReplayingHeldRecordsAddsNothing) {
  MessageRecord closed = Sample("44C4B10A321");
  MessageRecord open = Sample("55C4B10A321");  // its log ended before the message did
  open.end = RecordEnd::kOpen;
  open.outcome = Outcome::kDeferred;
  MessageRecord unqueued = open;  // its smtpd session was cut by the end of the log
  unqueued.qid = "88C4B10A321";
  unqueued.end = RecordEnd::kSession;
  unqueued.outcome = Outcome::kExpired;
  MessageRecord cut = open;  // the same, but a later log starts within it
  cut.qid = "77C4B10A321";
  MessageRecord noqueue = Sample("");  // two alike rejects in one second
  noqueue.qid.clear();
  noqueue.outcome = Outcome::kRejected;
  noqueue.end = RecordEnd::kSession;
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->SkipHeldRecords().ok());  // nothing held yet
    ASSERT_TRUE((*s)->Write({closed, open, unqueued, cut, noqueue, noqueue}).ok());
    EXPECT_EQ((*s)->held_counts().kept, 0);
  }
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->SkipHeldRecords().ok());
  ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
  MessageRecord completed = open;  // the same message, its later lines read too
  completed.end = RecordEnd::kRemoved;
  completed.outcome = Outcome::kDelivered;
  completed.last_seen += 3600 * kUsPerSecond;
  MessageRecord other_host = closed;
  other_host.host = "mx2";
  MessageRecord queued = unqueued;  // read on: it was queued and delivered
  queued.end = RecordEnd::kRemoved;
  queued.outcome = Outcome::kDelivered;
  MessageRecord fragment = cut;  // its lines after qmgr's from=: no sender
  fragment.sender.reset();
  fragment.end = RecordEnd::kRemoved;
  fragment.outcome = Outcome::kDelivered;
  fragment.last_seen += 3600 * kUsPerSecond;
  MessageRecord newer = Sample("66C4B10A321");
  newer.first_seen += 60 * kUsPerSecond;
  // A third alike reject is new; the first two were held.
  ASSERT_TRUE((*s)->Write({noqueue, closed, completed, queued}).ok());
  ASSERT_TRUE((*s)->Write({noqueue, other_host, noqueue, newer, closed, fragment}).ok());
  ASSERT_TRUE((*s)->EndBulkLoad().ok());
  EXPECT_EQ((*s)->held_counts().kept, 5)
      << "closed (twice), the two held rejects, and the held record of the message whose"
         " fragment came later";
  EXPECT_EQ((*s)->held_counts().replaced, 2) << "the open and the unqueued records";
  std::map<std::string, int> n;
  for (const MessageRecord& r : All(s->get())) {
    ++n[r.host + " " + (r.qid.empty() ? "NOQUEUE" : r.qid) + " " + OutcomeName(r.outcome)];
  }
  const std::map<std::string, int> want = {
      {"mx 44C4B10A321 mixed", 1},    {"mx 55C4B10A321 delivered", 1},
      {"mx 77C4B10A321 deferred", 1}, {"mx 88C4B10A321 delivered", 1},
      {"mx NOQUEUE rejected", 3},     {"mx2 44C4B10A321 mixed", 1},
      {"mx 66C4B10A321 mixed", 1},
  };
  EXPECT_EQ(n, want);
}

// A live agent that began in the middle of a message stored a piece of it;
// the replay of the whole log replaces the piece (helper-95 F7), and only a
// piece: a queue id reused in the second a replayed message ended, or in the
// same second by a message with another sender, message-id or client, is
// another message, kept (helper-103 found both deleted).
TEST_P(StoreContract, AReplayReplacesALiveAgentsPieceNotAnotherMessage) {
  const TimeUs second = kUsPerSecond;
  MessageRecord whole = Sample("3A1B2C3D4E");  // the replay's, from its first line
  MessageRecord piece = whole;                 // the agent's, from its third second
  piece.first_seen += 3 * second;
  piece.has_client = false;
  piece.client_ip.clear();
  piece.client_host.clear();
  piece.helo.clear();
  piece.message_id.reset();
  MessageRecord reused = Sample("4B2C3D4E5F");  // began in the second `ended` ended
  reused.first_seen += 5 * second;
  reused.last_seen = reused.first_seen;
  reused.sender = "root@mx.test";
  reused.message_id = "m2@mx.test";
  reused.has_client = false;
  reused.client_ip.clear();
  MessageRecord ended = Sample("4B2C3D4E5F");
  ended.sender = "alice@a.example";
  MessageRecord local = Sample("5C3D4E5F6A");  // a pickup message, whole in one second
  local.has_client = false;
  local.client_ip.clear();
  local.sender = "root@mx.test";
  local.message_id = "m1@mx.test";
  MessageRecord same_second = Sample("5C3D4E5F6A");  // an smtpd one with its queue id
  same_second.sender = "alice@a.example";
  {
    auto s = OpenStore(Url(), Detail::kStandard, true);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Write({piece, reused, local}).ok());
  }
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->SkipHeldRecords().ok());
  ASSERT_TRUE((*s)->Write({whole, ended, same_second}).ok());
  EXPECT_EQ((*s)->held_counts().replaced, 1) << "the piece only";
  std::map<std::string, int> n;
  for (const MessageRecord& r : All(s->get()))
    ++n[r.qid + " " + (r.sender ? *r.sender : "-") + " " + (r.message_id ? "mid" : "no-mid")];
  const std::map<std::string, int> want = {
      {"3A1B2C3D4E  mid", 1},
      {"4B2C3D4E5F alice@a.example mid", 1},
      {"4B2C3D4E5F root@mx.test mid", 1},
      {"5C3D4E5F6A alice@a.example mid", 1},
      {"5C3D4E5F6A root@mx.test mid", 1},
  };
  EXPECT_EQ(n, want);
}

TEST_P(StoreContract, LineStatsAccumulateAcrossWrites) {
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

TEST_P(StoreContract, AgentStatusRowsAreReplacedPerAgentAndKeepEveryField) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  AgentStatus a;
  a.agent = "mx2.example.org";
  a.updated = 1795780030123456;
  a.started = 1795770000000001;
  a.last_line = 1795780029000000;
  a.lag_seconds = 1.25;
  a.lines = 123456789012;
  a.lines_per_second = 2345.5;
  a.unknown_lines = 3;
  a.records = 45678;
  a.open_messages = 12;
  a.backlog_bytes = 1 << 20;
  a.queue_files_read = 340;
  a.queue_files_vanished = 2;
  a.queue_read_errors = 1;
  AgentStatus b = a;
  b.agent = "mx1.example.org";
  b.queue_files_vanished = 0;
  ASSERT_TRUE((*s)->SaveAgentStatus(a).ok());
  ASSERT_TRUE((*s)->SaveAgentStatus(b).ok());
  a.lines += 10, a.updated += 10 * kUsPerSecond, a.queue_files_vanished = 5;
  ASSERT_TRUE((*s)->SaveAgentStatus(a).ok());  // replaces its row
  auto got = (*s)->ListAgentStatus();
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0], b);  // by name
  EXPECT_EQ((*got)[1], a);
}

// Agent names are bytes: "mx" and "MX" are two agents, each with its own
// window counts and status row (MySQL's case-blind collation made each
// delete the other's counts and overwrite its status).
TEST_P(StoreContract, NamesThatDifferInCaseAreTwoAgents) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  constexpr TimeUs t = 1795780000LL * kUsPerSecond, since = t - 600 * kUsPerSecond;
  ASSERT_TRUE((*s)->ExchangeCounts("mx", {{"", "i\t192.0.2.1", t, 3}}, since).ok());
  auto upper = (*s)->ExchangeCounts("MX", {{"", "i\t192.0.2.2", t, 4}}, since);
  ASSERT_TRUE(upper.ok()) << upper.status().message();
  ASSERT_EQ(upper->size(), 1u);
  EXPECT_EQ((*upper)[0].agent, "mx");
  EXPECT_EQ((*upper)[0].count, 3);
  auto lower = (*s)->ExchangeCounts("mx", {{"", "i\t192.0.2.1", t, 3}}, since);
  ASSERT_TRUE(lower.ok()) << lower.status().message();
  ASSERT_EQ(lower->size(), 1u);
  EXPECT_EQ((*lower)[0].agent, "MX");
  EXPECT_EQ((*lower)[0].count, 4);
  AgentStatus a;
  a.agent = "mx";
  a.records = 1;
  AgentStatus b = a;
  b.agent = "MX";
  b.records = 2;
  ASSERT_TRUE((*s)->SaveAgentStatus(a).ok());
  ASSERT_TRUE((*s)->SaveAgentStatus(b).ok());
  auto got = (*s)->ListAgentStatus();
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 2u);
}

TEST_P(StoreContract, BlocksAreKeptWithTheirHistory) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  Block ip;
  ip.kind = BlockKind::kIp;
  ip.key = "198.51.100.7";
  ip.reason = "backscatter: 20 bounces";
  ip.rule = "backscatter-ip";
  ip.origin_host = "mx1";
  ip.created = 1000 * kUsPerSecond;
  ip.expires = 4600 * kUsPerSecond;
  ip.evidence = {"44C4B10A321", "55C4B10A321"};
  ip.live = false;
  Block subject = ip;
  subject.kind = BlockKind::kSubject;
  subject.key = "undeliverable mail";
  subject.raw_subjects = {"Undeliverable Mail", "=?UTF-8?Q?Undeliverable_Mail?= '; DROP"};
  subject.expires = 2000 * kUsPerSecond;
  subject.live = true;
  ASSERT_TRUE((*s)->SaveBlocks({ip, subject}).ok());
  auto active = (*s)->LoadBlocks(3000 * kUsPerSecond);
  ASSERT_TRUE(active.ok()) << active.status().message();
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].key, "198.51.100.7");
  EXPECT_EQ((*active)[0].evidence, ip.evidence);
  EXPECT_FALSE((*active)[0].live);
  auto all = (*s)->LoadBlocks(-1);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].raw_subjects, subject.raw_subjects);
  EXPECT_TRUE((*all)[1].live);
  ip.strikes = 2;  // saved again: replaced, not added
  ASSERT_TRUE((*s)->SaveBlocks({ip}).ok());
  EXPECT_EQ((*s)->LoadBlocks(-1)->size(), 2u);
  auto ended = (*s)->EndBlocks("198.51.100.7", 3000 * kUsPerSecond);
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(*ended, 1);
  EXPECT_TRUE((*s)->LoadBlocks(3000 * kUsPerSecond)->empty());
  EXPECT_EQ((*s)->LoadBlocks(-1)->front().strikes, 2);
  // Saved again after the removal (an agent retrying a failed save): the
  // removal stands.
  ip.strikes = 3;
  ASSERT_TRUE((*s)->SaveBlocks({ip}).ok());
  EXPECT_TRUE((*s)->LoadBlocks(3000 * kUsPerSecond)->empty()) << "a removed block came back";
  EXPECT_EQ((*s)->LoadBlocks(-1)->front().strikes, 3);
}

// Extending and ending by key (`blocks extend|remove`, the console): the end of
// the active blocks only, found by a subject's variant too.
TEST_P(StoreContract, ExtendAndRemoveMoveTheEndOfActiveBlocksOnly) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  const TimeUs now = 5000 * kUsPerSecond, hour = 3600 * kUsPerSecond;
  Block subject;
  subject.kind = BlockKind::kSubject;
  subject.key = "undeliverable mail #";
  subject.created = now - hour;
  subject.expires = now + 60 * kUsPerSecond;
  Block old = subject;  // an earlier block of the same key, long ended
  old.created = now - 5 * hour;
  old.expires = now - 4 * hour;
  ASSERT_TRUE((*s)->SaveBlocks({subject, old}).ok());
  auto n = cli::SetBlockEndsByKey(**s, "RE: Undeliverable Mail 4711", now, now + 2 * hour);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 1);
  auto all = (*s)->LoadBlocks(-1);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].expires, old.expires) << "an ended block stays ended";
  EXPECT_EQ((*all)[1].expires, now + 2 * hour);
  n = cli::SetBlockEndsByKey(**s, "undeliverable mail #", now + hour, now + hour);  // remove
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE((*s)->LoadBlocks(now + hour)->empty());
  // Read back marked removed (no strike for the agents), the extended and
  // ended earlier one not.
  all = (*s)->LoadBlocks(-1);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_FALSE((*all)[0].removed);
  EXPECT_TRUE((*all)[1].removed);
  n = cli::SetBlockEndsByKey(**s, "undeliverable mail #", now + hour, now + 3 * hour);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0) << "nothing active to extend";
  EXPECT_TRUE((*s)->LoadBlocks(now + hour)->empty());
}

// A block decided on replayed lines (not live) was never enforced: extending
// it said "1 block(s) extended" and still enforced nothing (helper-94 K).
// Only live blocks are extended; removing one that is not live still ends it.
TEST_P(StoreContract, OnlyLiveBlocksAreExtended) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  const TimeUs now = 5000 * kUsPerSecond, hour = 3600 * kUsPerSecond;
  Block replayed;
  replayed.kind = BlockKind::kIp;
  replayed.key = "198.51.100.31";
  replayed.created = now - 60 * kUsPerSecond;
  replayed.expires = now + 540 * kUsPerSecond;
  replayed.live = false;
  ASSERT_TRUE((*s)->SaveBlocks({replayed}).ok());
  auto n = cli::SetBlockEndsByKey(**s, "198.51.100.31", now, now + hour);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 0) << "a block that is not live is not extended";
  auto all = (*s)->LoadBlocks(-1);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().expires, replayed.expires);
  auto why = cli::WhyNotExtended(**s, "198.51.100.31", now);
  ASSERT_TRUE(why.ok());
  EXPECT_NE(why->find("not live"), std::string::npos) << *why;
  EXPECT_NE(why->find("blocks add"), std::string::npos) << *why;
  why = cli::WhyNotExtended(**s, "198.51.100.99", now);
  ASSERT_TRUE(why.ok());
  EXPECT_NE(why->find("no active block"), std::string::npos) << *why;
  n = cli::SetBlockEndsByKey(**s, "198.51.100.31", now, now);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1) << "removed all the same";
  EXPECT_TRUE((*s)->LoadBlocks(now)->empty());
}

// `detect --save` over the live log makes the agent's blocks again, with the
// same kind, key and creation time, not live: it demoted the live rows, and
// the reconcile and a restarted agent then dropped them (helper-134 F3). A
// save that is not live never changes a live row; a live one takes over.
TEST_P(StoreContract, ASaveThatIsNotLiveNeverChangesALiveBlock) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  const TimeUs now = 5000 * kUsPerSecond, hour = 3600 * kUsPerSecond;
  Block live;
  live.kind = BlockKind::kIp;
  live.key = "198.51.100.41";
  live.created = now - 60 * kUsPerSecond;
  live.expires = now + 2 * hour;
  live.reason = "the agent's";
  live.strikes = 2;
  live.live = true;
  ASSERT_TRUE((*s)->SaveBlocks({live}).ok());
  Block replayed = live;
  replayed.expires = now + hour;
  replayed.reason = "detect's";
  replayed.strikes = 1;
  replayed.live = false;
  ASSERT_TRUE((*s)->SaveBlocks({replayed}).ok());
  auto active = (*s)->LoadBlocks(now);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_TRUE(active->front().live);
  EXPECT_EQ(active->front().expires, live.expires);
  EXPECT_EQ(active->front().reason, "the agent's");
  EXPECT_EQ(active->front().strikes, 2);
  // The other way: detect's row first, then the agent's live one.
  replayed.key = live.key = "198.51.100.42";
  ASSERT_TRUE((*s)->SaveBlocks({replayed}).ok());
  ASSERT_TRUE((*s)->SaveBlocks({live}).ok());
  active = (*s)->LoadBlocks(now);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 2u);
  for (const Block& b : *active) {
    EXPECT_TRUE(b.live) << b.key;
    EXPECT_EQ(b.reason, "the agent's") << b.key;
  }
}

// A store where someone else acts just before or just after the first block
// call: a write that lands between the caller's clock read and its own
// statement, or between a read and the write that follows it.
class ActsMeanwhile : public ForwardingStore {
 public:
  ActsMeanwhile(Store* real, bool before, std::function<void()> meanwhile)
      : ForwardingStore(real), before_(before), meanwhile_(std::move(meanwhile)) {}
  StatusOr<std::vector<Block>> LoadBlocks(TimeUs at) override {
    if (before_) Once();
    auto r = ForwardingStore::LoadBlocks(at);
    Once();
    return r;
  }
  StatusOr<int> SetBlockEnds(const std::string& key, TimeUs now, TimeUs end) override {
    if (before_) Once();
    auto r = ForwardingStore::SetBlockEnds(key, now, end);
    Once();
    return r;
  }

 private:
  bool before_;
  void Once() {
    if (!meanwhile_) return;
    auto fn = std::move(meanwhile_);
    meanwhile_ = nullptr;
    fn();
  }
  std::function<void()> meanwhile_;
};

// The console extends a block while an admin's `blocks remove` runs on
// another connection, its clock read a second later (the extend waited for
// the write lock): whichever lands first, the removed block is not revived.
// A read then a write would write the old row back over the removal; an
// UPDATE of blocks still active at the extend's own clock would take the
// removed block's end, a second ahead of that clock, for active.
TEST_P(StoreContract, AnExtendNeverRevivesABlockRemovedMeanwhile) {
  const std::string url = Url();
  auto console = OpenStore(url, Detail::kStandard, true);
  ASSERT_TRUE(console.ok()) << console.status().message();
  StoreOptions reader;  // `mailtrail blocks remove` opens the store so
  reader.as_writer = false;
  auto admin = OpenStore(url, reader);
  ASSERT_TRUE(admin.ok()) << admin.status().message();
  const TimeUs now = 5000 * kUsPerSecond, hour = 3600 * kUsPerSecond;
  Block ip;
  ip.kind = BlockKind::kIp;
  ip.key = "198.51.100.7";
  ip.created = now - hour;
  ip.expires = now + hour;
  for (const bool remove_first : {true, false}) {
    ip.created += kUsPerSecond;  // a block of its own each time
    ASSERT_TRUE((*console)->SaveBlocks({ip}).ok());
    ActsMeanwhile racing(console->get(), remove_first, [&] {
      auto ended = (*admin)->EndBlocks("198.51.100.7", now + kUsPerSecond);
      ASSERT_TRUE(ended.ok()) << ended.status().message();
    });
    auto n = cli::SetBlockEndsByKey(racing, "198.51.100.7", now, now + 5 * hour);
    ASSERT_TRUE(n.ok()) << n.status().message();
    auto active = (*admin)->LoadBlocks(now + 2 * kUsPerSecond);
    ASSERT_TRUE(active.ok());
    EXPECT_TRUE(active->empty()) << (remove_first ? "removed first" : "extended first")
                                 << ": revived until " << FormatRfc3339(active->front().expires);
  }
}

// Keyset paging (the web console): pages of a search, each starting after the
// last record of the one before, give every record once, in order, even when
// many share a first_seen second and records arrive between the pages.
TEST_P(StoreContract, CursorPagesGiveEveryRecordOnceInOrder) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  std::vector<MessageRecord> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(Sample("4C" + std::to_string(100 + i)));
    batch.back().first_seen += (i / 4) * kUsPerSecond;  // four records per second
  }
  ASSERT_TRUE((*s)->Write(batch).ok());
  std::string got;
  SearchQuery q;
  q.limit = 3;
  q.host = "mx";
  for (int page = 0; page < 10; ++page) {
    int n = 0;
    std::optional<SearchCursor> last;
    Status st = (*s)->SearchWithCursor(q, [&](MessageRecord&& r, const SearchCursor& at) {
      got += r.qid + " ";
      EXPECT_EQ(at.first_seen, r.first_seen);
      last = at;
      ++n;
    });
    ASSERT_TRUE(st.ok()) << st.message();
    if (page == 0) {  // a record written between pages, later than all: on a later page
      MessageRecord late = Sample("4C999");
      late.first_seen += 60 * kUsPerSecond;
      ASSERT_TRUE((*s)->Write({late}).ok());
    }
    if (n < q.limit) break;
    q.after = last;
  }
  EXPECT_EQ(got, "4C100 4C101 4C102 4C103 4C104 4C105 4C106 4C107 4C108 4C109 4C999 ");
}

// A recipient's pages (the console's most common search): in (first_seen,
// row) order whatever order the records were written in, each message once
// whether the recipient is its address, its original address or both (or
// twice), other keys applied within, a cursor carried across pages and a
// window honoured, compared with a filter over all the records.
TEST_P(StoreContract, ARecipientsPagesComeInTimeOrderAsAddressAndAsOriginal) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  const std::string x = "x@example.test";
  const TimeUs base = 1795780000LL * kUsPerSecond;
  // Written in this order; first_seen seconds out of order, 7 twice, and 9
  // twice for two messages of x (the 8th and 9th of its 12: pages of 2 cut
  // between them).
  const int seconds[] = {9, 3, 14, 7, 9, 12, 7, 5, 11, 2, 13, 8, 6, 10, 4, 0};
  struct Expect {
    TimeUs first_seen;
    int written;
    std::string qid;
    bool has_x, bounced;
  };
  std::vector<Expect> all;
  for (int i = 0; i < 16; ++i) {
    MessageRecord r = Sample("4E" + std::to_string(100 + i));
    r.first_seen = base + seconds[i] * kUsPerSecond;
    r.last_seen = r.first_seen + kUsPerSecond;
    r.outcome = i % 2 ? Outcome::kBounced : Outcome::kDelivered;
    RecipientRecord to;
    to.address = "y@example.test";
    to.outcome = r.outcome;
    switch (i % 4) {
      case 0:
        to.address = x;
        break;  // as address
      case 1:
        to.orig_address = x;
        break;  // as original address
      case 2:
        break;  // not at all
      case 3:   // as both, on two rows
        to.address = x;
        r.recipients = {to};
        to.address = "z@example.test";
        to.orig_address = x;
        break;
    }
    if (i == 4) r.recipients = {to};  // the same address twice
    r.recipients.push_back(to);
    all.push_back({r.first_seen, i, r.qid, i % 4 != 2, r.outcome == Outcome::kBounced});
    ASSERT_TRUE((*s)->Write({r}).ok());  // one by one: rows in written order
  }
  std::sort(all.begin(), all.end(), [](const Expect& a, const Expect& b) {
    return std::tie(a.first_seen, a.written) < std::tie(b.first_seen, b.written);
  });
  auto pages = [&](SearchQuery q) {
    std::string got;
    for (int page = 0; page < 20; ++page) {
      int n = 0;
      std::optional<SearchCursor> last;
      Status st = (*s)->SearchWithCursor(q, [&](MessageRecord&& r, const SearchCursor& at) {
        got += r.qid + " ";
        last = at;
        ++n;
      });
      EXPECT_TRUE(st.ok()) << st.message();
      if (n < q.limit) break;
      q.after = last;
    }
    return got;
  };
  auto expect = [&](bool bounced_only, int from_second) {
    std::string want;
    for (const Expect& e : all)
      if (e.has_x && (!bounced_only || e.bounced) &&
          e.first_seen >= base + from_second * kUsPerSecond)
        want += e.qid + " ";
    return want;
  };
  SearchQuery q;
  q.recipient = x;
  q.limit = 2;
  EXPECT_EQ(pages(q), expect(false, 0));
  q.limit = 3;
  q.outcome = Outcome::kBounced;
  EXPECT_EQ(pages(q), expect(true, 0));
  q.outcome.reset();
  q.since = base + 7 * kUsPerSecond;
  const std::string from7 = expect(false, 7);
  EXPECT_EQ(pages(q), from7);
  auto total = (*s)->CountMatchesUpTo(q, 1000);  // counted on rcpt alone
  ASSERT_TRUE(total.ok()) << total.status().message();
  EXPECT_EQ(total->n, std::count(from7.begin(), from7.end(), ' '));
}

// The web console's extra keys: HELO, SASL user, size range.
TEST_P(StoreContract, HeloSaslAndSizeRangeSelect) {
  auto s = OpenStore(Url(), Detail::kStandard, true);
  ASSERT_TRUE(s.ok());
  MessageRecord a = Sample("4D100"), b = Sample("4D101"), c = Sample("4D102");
  b.helo = "other.example.test";
  b.sasl_username = "carol";
  b.size = 50000;
  c.size = -1;  // unknown
  ASSERT_TRUE((*s)->Write({a, b, c}).ok());
  auto qids = [&](const SearchQuery& q) {
    std::string got;
    Status st = (*s)->Search(q, [&](MessageRecord&& r) { got += r.qid + " "; });
    EXPECT_TRUE(st.ok()) << st.message();
    return got;
  };
  SearchQuery q;
  q.helo = "other.example.test";
  EXPECT_EQ(qids(q), "4D101 ");
  q = {};
  q.sasl_username = "carol";
  EXPECT_EQ(qids(q), "4D101 ");
  q.sasl_username = "dave";
  EXPECT_EQ(qids(q), "");
  q = {};
  q.min_size = 2000;
  EXPECT_EQ(qids(q), "4D101 ");
  q = {};
  q.max_size = 1234;
  EXPECT_EQ(qids(q), "4D100 ") << "inclusive; unknown sizes match no range";
  q.min_size = 1235;
  EXPECT_EQ(qids(q), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
