// Bounces counted at their first deferral (FloodDetector::OnDeferral,
// agent/detect/counted_open.h): a flood deferred at our mailboxes closes
// hours later, outside every window; the live agent never blocked it while
// `detect`, closing every record at the end of its input, did (helper-134 F4).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/detect/counted_open.h"
#include "agent/detect/flood_detector.h"
#include "base/cidr.h"
#include "tests/support/bounce_record.h"

namespace mailtrail {
namespace {

constexpr TimeUs kHour = 3600 * kUsPerSecond;

// Bounce `i` from `ip` at i seconds, open, its one delivery deferred (a full
// mailbox).
MessageRecord Deferred(const std::string& ip, int i) {
  MessageRecord r = Bounce(ip, "Undelivered Mail Returned to Sender", i);
  RecipientRecord rc;
  rc.address = "u" + std::to_string(i) + "@example.test";
  rc.outcome = Outcome::kDeferred;
  rc.relay = "mail.example.test[private/dovecot-lmtp]";
  rc.time = r.last_seen;
  r.recipients.push_back(rc);
  return r;
}

// The same message closed an hour later (expired, or delivered at last).
MessageRecord Closed(MessageRecord r) {
  r.last_seen += kHour;
  r.recipients[0].outcome = Outcome::kDelivered;
  r.recipients[0].time = r.last_seen;
  return r;
}

TEST(DeferredBounces, AFloodDeferredAtOurMailboxesIsCountedAtItsFirstDeferral) {
  FloodDetector d;
  std::vector<Decision> out;
  std::vector<MessageRecord> open;
  for (int i = 0; i < 25; ++i) {
    open.push_back(Deferred("203.0.113.88", i));
    d.OnDeferral(open.back(), &out);
    d.OnDeferral(open.back(), &out);  // its next deferral: counted once
  }
  ASSERT_EQ(out.size(), 1u) << "20 bounces within 60 s, at their first deferral";
  EXPECT_EQ(out[0].key, "203.0.113.88");
  EXPECT_EQ(out[0].at, open[19].last_seen);
  EXPECT_EQ(d.bounces(), 25);
  EXPECT_EQ(d.counted_open(), 25u);
  // Their close, an hour later, counts them no more.
  out.clear();
  for (const auto& r : open) d.OnRecord(Closed(r), &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.bounces(), 25);
  EXPECT_EQ(d.counted_open(), 0u);
  // Without the deferrals, they count at their close (as before).
  FloodDetector late;
  for (const auto& r : open) late.OnRecord(Closed(r), &out);
  EXPECT_EQ(late.bounces(), 25);
}

TEST(DeferredBounces, OnlyABounceFromOutsideCountsWhileOpen) {
  DetectorOptions o;
  o.never_counted = {*Cidr::Parse("192.0.2.0/24")};
  FloodDetector d(o);
  std::vector<Decision> out;
  MessageRecord known = Deferred("203.0.113.88", 1);
  known.sender = "ann@example.org";  // a known sender is no bounce
  d.OnDeferral(known, &out);
  // From our own networks: its close decides (OnItsWayOut reads every
  // recipient: a notice of ours on its way out counts for nothing).
  MessageRecord ours = Deferred("192.0.2.10", 2);
  d.OnDeferral(ours, &out);
  MessageRecord sasl = Deferred("203.0.113.89", 3);
  sasl.sasl_username = "ann";
  d.OnDeferral(sasl, &out);
  EXPECT_EQ(d.bounces(), 0);
  EXPECT_EQ(d.counted_open(), 0u);
  d.OnRecord(Closed(ours), &out);
  EXPECT_EQ(d.bounces(), 1) << "delivered to a mailbox here: counted at its close";
}

TEST(DeferredBounces, AQueueIdUsedAgainIsAnotherMessage) {
  FloodDetector d;
  std::vector<Decision> out;
  MessageRecord first = Deferred("203.0.113.88", 1);
  d.OnDeferral(first, &out);
  MessageRecord again = first;  // the same queue id, days later
  again.first_seen += 48 * kHour;
  again.last_seen += 48 * kHour;
  d.OnDeferral(again, &out);
  EXPECT_EQ(d.bounces(), 2);
  d.OnRecord(Closed(again), &out);
  EXPECT_EQ(d.bounces(), 2);
}

// A restart between the deferral and the close: the close still counts it
// no more (the state carries what was counted open).
TEST(DeferredBounces, TheStateKeepsWhatWasCountedOpen) {
  FloodDetector d;
  std::vector<Decision> out;
  const MessageRecord r = Deferred("203.0.113.88", 1);
  d.OnDeferral(r, &out);
  FloodDetector restarted;
  ASSERT_TRUE(restarted.LoadState(d.SaveState()).ok());
  EXPECT_EQ(restarted.counted_open(), 1u);
  EXPECT_TRUE(restarted.WasCountedOpen(r));
  restarted.OnRecord(Closed(r), &out);
  EXPECT_EQ(restarted.bounces(), 1);
  EXPECT_EQ(restarted.counted_open(), 0u);
}

TEST(CountedOpen, ForgetsAfterItsKeepAndBeyondItsBound) {
  CountedOpen c;
  const CountedOpen::Key a{"mx", "A1", 1};
  EXPECT_TRUE(c.Note(a, 0));
  EXPECT_FALSE(c.Note(a, 10));
  EXPECT_TRUE(c.Has(a));
  // A note past kKeep forgets it: its close then counts it again.
  EXPECT_TRUE(c.Note({"mx", "B1", 2}, CountedOpen::kKeep + 1));
  EXPECT_FALSE(c.Has(a));
  EXPECT_EQ(c.size(), 1u);
  for (size_t i = 0; i < CountedOpen::kMax + 10; ++i)
    c.Note({"mx", "C" + std::to_string(i), 3}, CountedOpen::kKeep + 2);
  EXPECT_LE(c.size(), CountedOpen::kMax);
  EXPECT_TRUE(c.Has({"mx", "C" + std::to_string(CountedOpen::kMax + 9), 3}));
  EXPECT_FALSE(c.Has({"mx", "C0", 3})) << "the oldest went first";
  EXPECT_FALSE(c.Take({"mx", "C" + std::to_string(CountedOpen::kMax + 9), 4}))
      << "another message with that queue id";
  EXPECT_TRUE(c.Take({"mx", "C" + std::to_string(CountedOpen::kMax + 9), 3}));
}

// The bound is on messages still open: the closed ones' entries do not take
// their room (they did: 200,000 closed within 8 days pushed out open ones,
// whose close then counted them again).
TEST(CountedOpen, TheClosedDoNotTakeTheRoomOfTheOpen) {
  CountedOpen c;
  const CountedOpen::Key open{"mx", "OPEN1", 1};
  EXPECT_TRUE(c.Note(open, 0));
  for (size_t i = 0; i < CountedOpen::kMax + 10; ++i) {
    const CountedOpen::Key k{"mx", "C" + std::to_string(i), 2};
    c.Note(k, 1);
    EXPECT_TRUE(c.Take(k));
  }
  EXPECT_TRUE(c.Has(open));
  EXPECT_EQ(c.size(), 1u);
}

}  // namespace
}  // namespace mailtrail
