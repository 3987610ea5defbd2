// Fleet-wide answers (docs/detection.md): an outbound relay and an MX that
// share a store share the mail the relay sent, so that the MX recognises the
// notices answering it. Here the two detectors hand each other what the
// store would carry (tests/store/store_answers_test.cc has the store's part,
// tests/run/fleet_answers_test.py real agents).
#include <gtest/gtest.h>

#include "agent/detect/flood_detector.h"
#include "agent/detect/outbound.h"
#include "agent/store/answer_plan.h"

namespace mailtrail {
namespace {

constexpr TimeUs kT0 = 1795780000LL * kUsPerSecond;
constexpr char kMsRelay[] = "contoso-com.mail.protection.outlook.com[52.101.8.9]:25";
constexpr char kMsOut[] = "mail-db8eur05on2101.outbound.protection.outlook.com";

// A newsletter's recipient at a Microsoft-hosted domain, delivered at `s`.
MessageRecord Newsletter(int i, int s) {
  MessageRecord r;
  r.qid = "N" + std::to_string(i);
  r.sender = "news@example.org";
  r.message_id = "spring" + std::to_string(i) + "@example.org";
  r.first_seen = r.last_seen = kT0 + s * kUsPerSecond;
  r.recipients.push_back({});
  r.recipients[0].address = "u" + std::to_string(i) + "@contoso.com";
  r.recipients[0].relay = kMsRelay;
  r.recipients[0].outcome = Outcome::kDelivered;
  r.recipients[0].time = r.last_seen;
  return r;
}

// A notice from one of Microsoft's outbound servers to the newsletter's
// sender, at `s`: no Subject logged, no Message-ID returned.
MessageRecord Notice(int i, int s) {
  MessageRecord r;
  r.qid = "B" + std::to_string(i);
  r.client_ip = "40.107.1." + std::to_string(10 + i % 3);
  r.client_host = kMsOut;
  r.has_client = true;
  r.sender = "";
  r.first_seen = kT0 + s * kUsPerSecond;
  r.last_seen = r.first_seen + 1000;
  r.recipients.push_back({});
  r.recipients[0].address = "news@example.org";
  return r;
}

DetectorOptions Sharing() {
  DetectorOptions o;
  o.answers.share = true;
  return o;
}

AnswerExchange From(std::vector<SharedAnswer> rows) {
  AnswerExchange x;
  int64_t seq = 0;
  for (SharedAnswer& a : rows) {
    a.agent = "relay";
    a.seq = ++seq;
  }
  x.theirs = std::move(rows);
  x.cursor.read["relay"] = seq;
  return x;
}

// 150 notices in two minutes from three of Microsoft's outbound IPs answer a
// newsletter the relay sent: alone the MX blocks them (the IP rule), given
// the relay's mail it blocks nobody.
TEST(FleetAnswers, AnMxRecognisesNoticesToMailTheRelaySent) {
  for (bool shared : {false, true}) {
    FloodDetector relay(Sharing()), mx(Sharing());
    for (int i = 0; i < 200; ++i) {
      const MessageRecord r = Newsletter(i, i / 10);
      relay.OnDelivery(r, r.recipients[0]);
    }
    if (shared) mx.AddFleetAnswers(From(relay.TakeLearnedAnswers()), kT0 + 30 * kUsPerSecond);
    std::vector<Decision> out;
    for (int i = 0; i < 150; ++i) mx.OnRecord(Notice(i, 30 + i * 120 / 150), &out);
    if (shared) {
      EXPECT_TRUE(out.empty()) << "blocked " << out[0].key;
      EXPECT_EQ(mx.answers(), 150);
      EXPECT_EQ(mx.answer_cursor().read.at("relay"), 2 + 200);  // two organisations, 200 ids
    } else {
      EXPECT_FALSE(out.empty()) << "the flood rules are not met: the test proves nothing";
      EXPECT_EQ(mx.answers(), 0);
    }
  }
}

// Each key learned goes out once, with the credits of every delivery that
// learned it meanwhile; the next call gives only what was learned since.
TEST(FleetAnswers, EachKeyIsSharedOnceWithItsCreditsSummed) {
  AnswerOptions ao;
  ao.share = true;
  OutboundMemory m(ao);
  MessageRecord r = Newsletter(1, 0);
  r.message_id.reset();
  for (int i = 0; i < 4; ++i) {
    r.recipients[0].address = "u" + std::to_string(i) + "@contoso.com";
    r.recipients[0].time = kT0 + i * kUsPerSecond;
    ASSERT_TRUE(m.Learn(r, r.recipients[0]));
  }
  std::vector<SharedAnswer> got = m.TakeShared();
  ASSERT_EQ(got.size(), 2u);  // the recipients' organisation, and the relay's
  EXPECT_EQ(got[0].key, "d\tnews@example.org\tcontoso.com");
  EXPECT_EQ(got[0].credits, 4 * kNoticesPerRecipient);
  EXPECT_EQ(got[0].learned, kT0 + 3 * kUsPerSecond);
  EXPECT_EQ(got[1].key, "d\tnews@example.org\toutlook.com");
  EXPECT_TRUE(m.TakeShared().empty());
  ASSERT_TRUE(m.Learn(r, r.recipients[0]));
  EXPECT_EQ(m.TakeShared().size(), 2u);
}

TEST(FleetAnswers, NothingIsKeptForOthersUnlessAsked) {
  OutboundMemory m;
  const MessageRecord r = Newsletter(1, 0);
  ASSERT_TRUE(m.Learn(r, r.recipients[0]));
  EXPECT_TRUE(m.TakeShared().empty());
  EXPECT_EQ(m.unshared(), 0u);
}

// What could not be published is given back and goes with the next, summed
// with what was learned meanwhile.
TEST(FleetAnswers, AnswersNotPublishedGoWithTheNext) {
  AnswerOptions ao;
  ao.share = true;
  OutboundMemory m(ao);
  const MessageRecord r = Newsletter(1, 0);
  ASSERT_TRUE(m.Learn(r, r.recipients[0]));
  const std::vector<SharedAnswer> first = m.TakeShared();
  ASSERT_EQ(first.size(), 3u);
  ASSERT_TRUE(m.Learn(r, r.recipients[0]));
  m.KeepUnshared(first);
  const std::vector<SharedAnswer> next = m.TakeShared();
  ASSERT_EQ(next.size(), 3u);
  for (const SharedAnswer& a : next) EXPECT_EQ(a.credits, 2 * kNoticesPerRecipient) << a.key;
}

TEST(FleetAnswers, WhatWaitsToBeSharedIsBounded) {
  AnswerOptions ao;
  ao.share = true;
  ao.max_unshared = 10;
  OutboundMemory m(ao);
  for (int i = 0; i < 20; ++i) {
    MessageRecord r = Newsletter(i, i);
    r.recipients[0].relay = "mx.d" + std::to_string(i) + ".test[192.0.2.9]:25";
    r.recipients[0].address = "x@d" + std::to_string(i) + ".test";
    ASSERT_TRUE(m.Learn(r, r.recipients[0]));
  }
  EXPECT_EQ(m.unshared(), 10u);
  EXPECT_EQ(m.not_shared(), 2 * 20 - 10);  // a Message-ID and an organisation each
  EXPECT_EQ(m.TakeShared().size(), 10u);
  EXPECT_EQ(m.keys(), 40u) << "this agent remembers them all";
}

// Rows another agent wrote are untrusted: what is not a key of the memory,
// has no credit, or is older than the window is skipped; credits are capped;
// a time ahead of this agent's is taken as now (it would never expire).
TEST(FleetAnswers, RowsThatAreNotKeysAreSkipped) {
  AnswerOptions ao;
  ao.window = 3600 * kUsPerSecond;
  ao.max_credits = 5;
  OutboundMemory m(ao);
  const TimeUs now = kT0;
  const std::string big(700, 'x');
  std::vector<SharedAnswer> rows = {
      {"a", 1, "m\tgood@example.org", now, 3},
      {"a", 2, "x\tbad@example.org", now, 3},
      {"a", 3, "m", now, 3},
      {"a", 4, "m\t" + big, now, 3},
      {"a", 5, "m\tnone@example.org", now, 0},
      {"a", 6, "m\told@example.org", now - 2 * ao.window, 3},
      {"a", 7, "m\tmany@example.org", now, 1000000},
      {"a", 8, "m\tfuture@example.org", now + 1000 * ao.window, 3},
  };
  EXPECT_EQ(m.AddShared(rows, now), 3u);
  EXPECT_EQ(m.keys(), 3u);
  MessageRecord b;
  b.sender = "";
  b.last_seen = now;
  b.returned_message_ids = {"many@example.org"};
  int taken = 0;
  while (m.Recognize(b) == AnswerKind::kMessageId) ++taken;
  EXPECT_EQ(taken, 5) << "capped at max_credits";
  b.returned_message_ids = {"future@example.org"};
  b.last_seen = now + ao.window + kUsPerSecond;
  EXPECT_EQ(m.Recognize(b), AnswerKind::kNone) << "a row from the future expires as one of now";
}

// At most `max` go at once, the first learned first; the rest wait. Given
// back, keys learned before `not_before` are dropped (an agent alone keeps
// only its last minutes).
TEST(FleetAnswers, KeysGoAFewThousandAtATimeAndAgeWhileAlone) {
  AnswerOptions ao;
  ao.share = true;
  OutboundMemory m(ao);
  for (int i = 0; i < 5; ++i) {
    const MessageRecord r = Newsletter(i, i);
    ASSERT_TRUE(m.Learn(r, r.recipients[0]));
  }
  ASSERT_EQ(m.unshared(), 5u + 2u);  // five Message-IDs, two organisations
  std::vector<SharedAnswer> first = m.TakeShared(3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].key, "m\tspring0@example.org");
  EXPECT_EQ(m.unshared(), 4u);
  m.KeepUnshared(first, kT0 + kUsPerSecond);  // spring0 was learned at kT0
  EXPECT_EQ(m.unshared(), 6u);
  const std::vector<SharedAnswer> rest = m.TakeShared();
  EXPECT_EQ(rest.size(), 6u);
  for (const SharedAnswer& a : rest) EXPECT_NE(a.key, "m\tspring0@example.org");
}

// The detector's state keeps what waits to be shared and the cursor in the
// others' rows: a restart neither loses the one nor reads the others again.
TEST(FleetAnswers, TheStateKeepsWhatWaitsAndWhereItStands) {
  FloodDetector d(Sharing());
  const MessageRecord r = Newsletter(1, 0);
  d.OnDelivery(r, r.recipients[0]);
  AnswerExchange x = From({{"", 0, "m\tother@example.org", kT0, 3}});
  x.cursor.written = 41;
  x.cursor.heard["relay"] = {1795780000LL * kUsPerSecond, 7, 420 * kUsPerSecond, 1234};
  x.cursor.heard_at = x.cursor.said_at = 5 * kUsPerSecond;
  d.AddFleetAnswers(x, kT0);
  FloodDetector back(Sharing());
  ASSERT_TRUE(back.LoadState(d.SaveState()).ok());
  EXPECT_EQ(back.answer_cursor().read, x.cursor.read);
  EXPECT_EQ(back.answer_cursor().written, 41);
  // How long the relay's presence stood still goes on after a restart (one
  // gone is forgotten however often this agent restarts); this process's
  // clock does not.
  ASSERT_EQ(back.answer_cursor().heard.count("relay"), 1u);
  const HeardAgent& h = back.answer_cursor().heard.at("relay");
  EXPECT_EQ(h.seen, 1795780000LL * kUsPerSecond);
  EXPECT_EQ(h.seq, 7);
  EXPECT_EQ(h.stood, 420 * kUsPerSecond);
  EXPECT_EQ(h.born, 1234) << "else every agent's rows were read again after a restart";
  EXPECT_EQ(back.answer_cursor().heard_at, 0);
  EXPECT_EQ(back.answer_cursor().said_at, 0);
  EXPECT_EQ(back.TakeLearnedAnswers().size(), 3u);
  EXPECT_EQ(d.TakeLearnedAnswers().size(), 3u);
}

// A state saved before incarnations knows none: the agent's row, made since
// with one, is read on from where the reader stood, not again from its first
// (its credits counted twice: helper-81).
TEST(FleetAnswers, AStateSavedBeforeIncarnationsReadsOn) {
  FloodDetector d(Sharing());
  AnswerExchange x = From({});
  x.cursor.read["relay"] = 7;
  x.cursor.heard["relay"] = {1795780000LL * kUsPerSecond, 7, 0, 1234};
  d.AddFleetAnswers(x, kT0);
  std::string state = d.SaveState();
  const std::string with_born = ",1234]";
  const size_t at = state.find(with_born);
  ASSERT_NE(at, std::string::npos) << state;
  state.replace(at, with_born.size(), "]");  // as the state before
  FloodDetector back(Sharing());
  ASSERT_TRUE(back.LoadState(state).ok());
  EXPECT_EQ(back.answer_cursor().heard.at("relay").born, HeardAgent::kBornUnknown);
  AnswerRequest r;
  r.agent = "mx";
  r.cursor = back.answer_cursor();
  r.mono_now = kT0;
  r.window = 600 * kUsPerSecond;
  const AnswerPlan p = PlanAnswerExchange(r, {{"relay", 9, 1795780060LL * kUsPerSecond, 555}});
  ASSERT_EQ(p.read.size(), 1u);
  EXPECT_EQ(p.read[0].after, 7);
  EXPECT_EQ(p.cursor.heard.at("relay").born, 555);
}

}  // namespace
}  // namespace mailtrail
