// A block the store holds that was made after this clock's now: the clock was
// stepped back while the agent was stopped (a machine that booted with its
// clock behind: a dead RTC, a restored virtual machine), or the agent that
// decided it runs ahead of this one. By this clock it would last its period
// plus the gap, years for a clock reset to 2000; here it lasts its period
// from the moment this agent first sees it, and the store's rows, read again
// every few seconds, do not undo that.
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

TEST(MadeAhead, ABlockMadeAfterThisClocksNowLastsItsPeriodFromNow) {
  BlockManager m(BlockPolicy{});
  CaptureLogger log;
  m.log = &log;
  const Block ahead = Saved("198.51.100.7", kNow + kHour, kNow + kHour + 10 * kMinute);
  ASSERT_EQ(m.Restore({ahead}, kNow).size(), 1u);
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].expires, kNow + 10 * kMinute) << "its period from now, not the gap too";
  EXPECT_EQ(log.Count("198.51.100.7"), 1u) << "said once";
  // The store's row, read again: no extension.
  m.Restore({ahead}, kNow + 5 * kMinute);
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].expires, kNow + 10 * kMinute);
  m.Expire(kNow + 10 * kMinute);
  EXPECT_FALSE(m.IsBlocked(BlockKind::kIp, "198.51.100.7", kNow + 10 * kMinute));
  // Later refreshes still read the row (it ends after their start): it does
  // not come back, neither at once nor once its end here is long past.
  for (TimeUs t : {kNow + 11 * kMinute, kNow + 50 * kMinute, kNow + 3 * kHour / 2}) {
    m.Restore({ahead}, t);
    m.Expire(t);
    EXPECT_TRUE(m.Active().empty()) << "back at +" << (t - kNow) / kMinute << " min";
  }
}

// A clock far behind (reset to an old date at boot): a block of an hour made
// a day ahead is an hour here, and stays ended while the row is ahead.
TEST(MadeAhead, AClockADayBehindStillEndsTheBlockWithinItsPeriod) {
  BlockManager m(BlockPolicy{});
  CaptureLogger log;
  m.log = &log;
  const Block ahead = Saved("198.51.100.8", kNow + 24 * kHour, kNow + 25 * kHour);
  m.Restore({ahead}, kNow);
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].expires, kNow + kHour);
  for (TimeUs t = kNow; t <= kNow + 6 * kHour; t += 5 * kMinute) {
    m.Restore({ahead}, t);
    m.Expire(t);
    EXPECT_EQ(m.IsBlocked(BlockKind::kIp, "198.51.100.8", t), t < kNow + kHour)
        << "at +" << (t - kNow) / kMinute << " min";
  }
}

// What is not ahead is as the store says: a block made before now, and an end
// written after the block was first seen (`blocks extend`, `blocks remove`).
TEST(MadeAhead, OnlyTheGapIsTakenOff) {
  BlockManager m(BlockPolicy{});
  CaptureLogger log;
  m.log = &log;
  const Block before = Saved("198.51.100.9", kNow - kMinute, kNow + 10 * kMinute);
  const Block ahead = Saved("198.51.100.7", kNow + kHour, kNow + kHour + 10 * kMinute);
  m.Restore({before, ahead}, kNow);
  ASSERT_EQ(m.Active().size(), 2u);
  EXPECT_EQ(m.Active()[0].expires, kNow + 10 * kMinute);
  EXPECT_EQ(m.Active()[1].expires, kNow + 10 * kMinute);
  EXPECT_EQ(log.Count("198.51.100.9"), 0u) << "not ahead: nothing to say";
  Block extended = ahead;
  extended.expires = kNow + 2 * kHour;  // `blocks extend` on this clock
  m.Restore({before, extended}, kNow + kMinute);
  ASSERT_EQ(m.Active().size(), 2u);
  EXPECT_EQ(m.Active()[1].expires, kNow + 2 * kHour);
  Block removed = ahead;
  removed.expires = kNow + 2 * kMinute;  // `blocks remove` on this clock
  m.Restore({before, removed}, kNow + 3 * kMinute);
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].key, "198.51.100.9");
}

}  // namespace
}  // namespace mailtrail
