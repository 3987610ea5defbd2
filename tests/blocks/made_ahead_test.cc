// A block the store holds that was made after this clock's now: the clock was
// set back while the agent was stopped (a machine that booted with its clock
// behind: a dead RTC, a restored virtual machine), or the agent that decided
// it runs ahead of this one. By this clock it would last its period plus the
// gap: years for a clock reset to an old date. One made further ahead than
// [blocks] max_period (the longest period a decision gives) is not enforced;
// the rule reads the row alone, so the agent's refreshes and `enforce
// --reconcile` agree.
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

// A clock a year behind: a block of an hour made "next year" is not
// enforced, at the start or at any refresh, and a new flood from its key is
// blocked on this clock (the row is no "blocked already").
TEST(MadeAhead, AClockSetFarBackEnforcesNoBlockMadeAheadOfIt) {
  BlockManager m(BlockPolicy{});
  CaptureLogger log;
  m.log = &log;
  const TimeUs year = 365 * 24 * kHour;
  const Block ahead = Saved("198.51.100.7", kNow + year, kNow + year + kHour);
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

// The bound is [blocks] max_period: a row made just past it is left out, one
// made within it is enforced as it says.
TEST(MadeAhead, TheBoundIsTheLongestPeriodADecisionGives) {
  BlockPolicy p;
  p.max_period = 2 * kHour;
  for (TimeUs gap : {kMinute, 2 * kHour, 2 * kHour + kMinute, 48 * kHour}) {
    BlockManager m(p);
    CaptureLogger log;
    m.log = &log;
    const Block ahead = Saved("198.51.100.8", kNow + gap, kNow + gap + 10 * kMinute);
    m.Restore({ahead}, kNow);
    if (gap <= p.max_period) {
      ASSERT_EQ(m.Active().size(), 1u) << "gap " << gap / kMinute << " min";
      EXPECT_EQ(m.Active()[0].expires, ahead.expires);
    } else {
      EXPECT_TRUE(m.Active().empty()) << "gap " << gap / kMinute << " min";
    }
  }
}

// A block this agent made and moved back when its clock stepped back while it
// ran keeps its moved end: here, after a restart here, and at other agents,
// though its creation is ahead of the clock now (by up to the step).
TEST(MadeAhead, ARowMovedBackByAClockStepKeepsItsEnd) {
  BlockManager m(BlockPolicy{});
  CaptureLogger log;
  m.log = &log;
  std::string why;
  ASSERT_NE(m.Add(Saved("198.51.100.10", kNow, kNow + kHour), &why), nullptr) << why;
  const auto moved = m.ClockSteppedBack(40 * kMinute);
  ASSERT_EQ(moved.size(), 1u);
  const TimeUs after = kNow - 40 * kMinute + 5 * kMinute;
  m.Restore({moved[0]}, after);
  EXPECT_TRUE(m.IsBlocked(BlockKind::kIp, "198.51.100.10", after));
  BlockManager restarted(BlockPolicy{});
  restarted.log = &log;
  restarted.Restore({moved[0]}, after);
  ASSERT_EQ(restarted.Active().size(), 1u);
  EXPECT_EQ(restarted.Active()[0].expires, kNow + 20 * kMinute);
  EXPECT_EQ(log.Count("not enforcing"), 0u);
}

}  // namespace
}  // namespace mailtrail
