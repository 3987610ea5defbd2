// The store's view of a block wins when it ends the block earlier than the
// agent thinks (`blocks remove`, or another agent shortening it): a refresh
// ends the active block here too, so every backend fed from Active() drops it
// (issue 19, item 2). A block the store has not seen yet is left alone.
#include <gtest/gtest.h>

#include "agent/blocks/block_manager.h"
#include "tests/support/capture_logger.h"

namespace mailtrail {
namespace {

constexpr TimeUs kNow = 1'800'000'000LL * kUsPerSecond;

Block Saved(const std::string& key, TimeUs created, TimeUs expires) {
  Block b;
  b.kind = BlockKind::kIp;
  b.key = key;
  b.rule = "manual";
  b.created = created;
  b.expires = expires;
  return b;
}

TEST(StoreEnds, ARefreshThatSaysEndedEndsTheActiveBlock) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  const Block b = Saved("198.51.100.7", kNow - kUsPerSecond, kNow + 3600 * kUsPerSecond);
  ASSERT_EQ(m.Restore({b}, kNow).size(), 1u);
  const uint64_t v = m.version();
  Block ended = b;
  ended.expires = kNow + 2 * kUsPerSecond;  // `blocks remove` at that time
  m.Restore({ended}, kNow + 3 * kUsPerSecond);
  EXPECT_FALSE(m.IsBlocked(BlockKind::kIp, "198.51.100.7", kNow + 3 * kUsPerSecond));
  EXPECT_TRUE(m.Active().empty()) << "got " << m.Active().size() << " active, want 0";
  EXPECT_NE(m.version(), v) << "the backends must hear of the change";
  EXPECT_EQ(m.ended_by_store(), 1);
  // The next refresh sees the ended row again: nothing comes back.
  m.Restore({ended}, kNow + 8 * kUsPerSecond);
  EXPECT_TRUE(m.Active().empty());
}

// A block made here and moved back by a clock step: a refresh read before
// the moved end was saved still holds the old end, which is no extension.
TEST(StoreEnds, ARowOlderThanAClockStepDoesNotUndoTheMove) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  std::string why;
  const Block* made = m.Add(Saved("198.51.100.7", kNow, kNow + 3600 * kUsPerSecond), &why);
  ASSERT_TRUE(made) << why;
  const Block before = *made;
  const auto moved = m.ClockSteppedBack(1800 * kUsPerSecond);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].expires, before.expires - 1800 * kUsPerSecond);
  m.Restore({before}, kNow - 1790 * kUsPerSecond);  // the row as it was before the move
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].expires, before.expires - 1800 * kUsPerSecond);
  // The row saved after the move holds the moved end already: as written.
  m.Restore(moved, kNow - 1785 * kUsPerSecond);
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].expires, before.expires - 1800 * kUsPerSecond);
  // `blocks extend` writes an end of its own: taken as written.
  Block extended = before;
  extended.expires = kNow - 1780 * kUsPerSecond + 7200 * kUsPerSecond;
  m.Restore({extended}, kNow - 1780 * kUsPerSecond);
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].expires, extended.expires);
  // A block restored from the store was made on another clock: not moved.
  m.Restore({Saved("203.0.113.9", kNow - 1800 * kUsPerSecond, kNow)}, kNow - 1790 * kUsPerSecond);
  EXPECT_EQ(m.ClockSteppedBack(60 * kUsPerSecond).size(), 1u);
}

TEST(StoreEnds, AnEarlierEndStillAheadShortensTheBlock) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  Block b = Saved("198.51.100.7", kNow - kUsPerSecond, kNow + 3600 * kUsPerSecond);
  m.Restore({b}, kNow);
  b.expires = kNow + 60 * kUsPerSecond;
  const uint64_t v = m.version();
  m.Restore({b}, kNow + kUsPerSecond);
  EXPECT_NE(m.version(), v) << "the firewall's timeouts must hear of the new end";
  EXPECT_TRUE(m.IsBlocked(BlockKind::kIp, "198.51.100.7", kNow + 59 * kUsPerSecond));
  EXPECT_EQ(m.Active()[0].expires, kNow + 60 * kUsPerSecond) << "the backends get the new end";
  m.Expire(kNow + 60 * kUsPerSecond);
  EXPECT_TRUE(m.Active().empty());
}

// An end moved later in the store (the console's extend, or another agent's
// longer block) reaches the backends too: the firewall's kernel timeouts were
// set from the old end and would lift the block there while it is active here.
TEST(StoreEnds, ALaterEndReachesTheBackends) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  Block b = Saved("198.51.100.7", kNow - kUsPerSecond, kNow + 60 * kUsPerSecond);
  m.Restore({b}, kNow);
  const uint64_t v = m.version();
  b.expires = kNow + 7200 * kUsPerSecond;
  m.Restore({b}, kNow + kUsPerSecond);
  EXPECT_NE(m.version(), v) << "the firewall's timeouts must hear of the new end";
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].expires, kNow + 7200 * kUsPerSecond);
  m.Expire(kNow + 61 * kUsPerSecond);
  EXPECT_TRUE(m.IsBlocked(BlockKind::kIp, "198.51.100.7", kNow + 61 * kUsPerSecond));
  // The same end again is no change.
  const uint64_t v2 = m.version();
  m.Restore({b}, kNow + 62 * kUsPerSecond);
  EXPECT_EQ(m.version(), v2);
}

TEST(StoreEnds, OnlyTheSameBlockEndsIt) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  std::string why;
  Decision d;
  d.kind = Decision::Kind::kIp;
  d.key = "198.51.100.7";
  d.at = kNow;
  ASSERT_NE(m.Apply(d, &why), nullptr) << why;
  // An older block of the same key, ended long ago, and nothing about this one
  // (not saved yet): it stays.
  m.Restore({Saved("198.51.100.7", kNow - 7200 * kUsPerSecond, kNow - 3600 * kUsPerSecond)},
            kNow + kUsPerSecond);
  EXPECT_TRUE(m.IsBlocked(BlockKind::kIp, "198.51.100.7", kNow + kUsPerSecond));
  EXPECT_EQ(m.ended_by_store(), 0);
}

TEST(StoreEnds, TheRefreshStartsBeforeTheOldestActiveBlock) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  EXPECT_EQ(m.RefreshFrom(kNow), kNow) << "nothing active: only the active blocks are read";
  m.Restore({Saved("198.51.100.7", kNow - 90 * kUsPerSecond, kNow + 3600 * kUsPerSecond),
             Saved("198.51.100.8", kNow - 30 * kUsPerSecond, kNow + 3600 * kUsPerSecond)},
            kNow);
  // A block ended by `blocks remove` ends after it was created: a refresh from
  // before the oldest creation sees every such end.
  EXPECT_LT(m.RefreshFrom(kNow), kNow - 90 * kUsPerSecond);
}

}  // namespace
}  // namespace mailtrail
