// A block the store holds that was made after this clock's now: the clock was
// set back while the agent was stopped (a machine that booted with its clock
// behind: a dead RTC, a restored virtual machine), or the agent that decided
// it runs ahead of this one. By this clock it would last its period plus the
// gap: years for a clock reset to an old date. One made more than its period
// ahead is not enforced; the rule reads the row alone, so the agent's
// refreshes and `enforce --reconcile` agree.
#include <gtest/gtest.h>

#include "agent/blocks/block_manager.h"
#include "tests/support/capture_logger.h"

namespace mailtrail {
namespace {

constexpr TimeUs kNow = 1'800'000'000LL * kUsPerSecond;
constexpr TimeUs kMinute = 60 * kUsPerSecond;
constexpr TimeUs kHour = 3600 * kUsPerSecond;

Block Saved(const std::string& key, TimeUs created, TimeUs expires) {
  Block b;
  b.kind = BlockKind::kIp;
  b.key = key;
  b.rule = "manual";
  b.origin_host = "mx1";
  b.created = created;
  b.expires = expires;
  return b;
}

// A clock a day behind: a block of an hour made "tomorrow" is not enforced,
// at the start or at any refresh, and a new flood from its key is blocked on
// this clock (the row is no "blocked already").
TEST(MadeAhead, AClockSetFarBackEnforcesNoBlockMadeAheadOfIt) {
  BlockManager m(BlockPolicy{});
  CaptureLogger log;
  m.log = &log;
  const Block ahead = Saved("198.51.100.7", kNow + 24 * kHour, kNow + 25 * kHour);
  EXPECT_TRUE(m.Restore({ahead}, kNow).empty());
  EXPECT_TRUE(m.Active().empty());
  EXPECT_EQ(m.not_enforced(), 1);
  for (TimeUs t = kNow; t <= kNow + 6 * kHour; t += 5 * kMinute) {
    m.Restore({ahead}, t);
    EXPECT_FALSE(m.IsBlocked(BlockKind::kIp, "198.51.100.7", t)) << "+" << (t - kNow) / kMinute;
  }
  EXPECT_EQ(log.Count("198.51.100.7"), 1u) << "said once";
  EXPECT_EQ(m.not_enforced(), 1);
  Decision d;
  d.kind = Decision::Kind::kIp;
  d.key = "198.51.100.7";
  d.at = kNow + 6 * kHour;
  std::string why;
  const Block* made = m.Apply(d, &why);
  ASSERT_NE(made, nullptr) << why;
  EXPECT_EQ(made->created, d.at) << "made on this clock";
}

// Whatever the clock, a block is enforced only within what its row says, and
// never more than twice its period from any moment: before, one made an hour
// ahead ran from the restart to its end, its period and the hour.
TEST(MadeAhead, ABlockIsEnforcedOnlyWithinTwiceItsPeriod) {
  for (TimeUs gap : {kMinute, 5 * kMinute, 9 * kMinute, kHour}) {
    BlockManager m(BlockPolicy{});
    CaptureLogger log;
    m.log = &log;
    const TimeUs period = 10 * kMinute;
    const Block ahead = Saved("198.51.100.8", kNow + gap, kNow + gap + period);
    TimeUs first = -1, last = -1;
    for (TimeUs t = kNow; t <= kNow + 2 * kHour; t += kMinute) {
      m.Restore({ahead}, t);
      m.Expire(t);
      if (!m.IsBlocked(BlockKind::kIp, "198.51.100.8", t)) continue;
      if (first < 0) first = t;
      last = t;
    }
    ASSERT_GE(first, 0) << "gap " << gap / kMinute << " min: never enforced";
    EXPECT_GE(first, ahead.created - period) << "gap " << gap / kMinute << " min";
    EXPECT_LT(last, ahead.expires) << "gap " << gap / kMinute << " min";
    EXPECT_EQ(first, gap <= period ? kNow : ahead.created - period)
        << "gap " << gap / kMinute << " min";
  }
}

// What is not made ahead is as the store says, and so is a block active here
// whose row is ahead only because this agent moved its end back (a clock
// stepped back while it ran).
TEST(MadeAhead, OnlyRowsMadeAheadAreLeftOut) {
  BlockManager m(BlockPolicy{});
  CaptureLogger log;
  m.log = &log;
  const Block before = Saved("198.51.100.9", kNow - kMinute, kNow + 10 * kMinute);
  m.Restore({before}, kNow);
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].expires, kNow + 10 * kMinute);
  std::string why;
  ASSERT_NE(m.Add(Saved("198.51.100.10", kNow, kNow + 10 * kMinute), &why), nullptr) << why;
  const auto moved = m.ClockSteppedBack(kHour);
  ASSERT_EQ(moved.size(), 1u);
  m.Restore({before, moved[0]}, kNow - kHour + kMinute);
  EXPECT_TRUE(m.IsBlocked(BlockKind::kIp, "198.51.100.10", kNow - kHour + kMinute));
  EXPECT_EQ(log.Count("not enforcing"), 0u);
}

}  // namespace
}  // namespace mailtrail
