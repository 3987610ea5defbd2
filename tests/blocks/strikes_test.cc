// Strikes: a repeat offender's next block is longer (period x escalation ^
// (strikes - 1)), but only for blocks that were real. helper-65 found strikes
// that never went away: from dry-run decisions (never enforced), from a block
// an admin removed as a false positive, and from a block long past; and a
// removed block's end still made the next flood "blocked already".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/blocks/block_manager.h"
#include "tests/support/capture_logger.h"

namespace mailtrail {
namespace {

constexpr TimeUs kNow = 1'800'000'000LL * kUsPerSecond;
constexpr TimeUs kMinute = 60 * kUsPerSecond;
constexpr TimeUs kHour = 3600 * kUsPerSecond;
constexpr TimeUs kDay = 24 * kHour;
const char kIp[] = "198.51.100.99";

Decision Flood(TimeUs at) {
  Decision d;
  d.kind = Decision::Kind::kIp;
  d.key = kIp;
  d.rule = "backscatter-ip";
  d.at = at;
  d.host = "mx";
  return d;
}

Block Row(TimeUs created, TimeUs expires, int strikes) {
  Block b;
  b.kind = BlockKind::kIp;
  b.key = kIp;
  b.rule = "backscatter-ip";
  b.created = created;
  b.expires = expires;
  b.strikes = strikes;
  return b;
}

struct Manager {
  Manager() : m(BlockPolicy{}) { m.log = &quiet; }
  int Strikes(TimeUs at) {
    std::string why;
    const Block* b = m.Apply(Flood(at), &why);
    EXPECT_TRUE(b) << why;
    return b ? b->strikes : 0;
  }
  CaptureLogger quiet;
  BlockManager m;
};

// `detect --save` or `[blocks] dry_run` wrote decisions that were never
// enforced: a live agent's first real block of that IP was strike 5, and one
// still running made the real flood "blocked already", enforced by no one.
TEST(Strikes, DryRunDecisionsAreNoStrikeAndBlockNothingForALiveAgent) {
  Manager a;
  Block dry = Row(kNow - 10 * kMinute, kNow + 7 * kHour, 4);
  dry.live = false;
  a.m.Restore({dry}, kNow);
  EXPECT_TRUE(a.m.Active().empty());
  EXPECT_EQ(a.Strikes(kNow), 1);
  EXPECT_TRUE(a.m.IsBlocked(BlockKind::kIp, kIp, kNow + kMinute));
}

// A block long past is forgotten: floods on days a week apart are first
// strikes; on consecutive days they escalate. In memory and from the store.
TEST(Strikes, ABlockIsAStrikeForMaxPeriodAfterItsEnd) {
  Manager a;
  EXPECT_EQ(a.Strikes(kNow), 1);
  EXPECT_EQ(a.Strikes(kNow + kDay), 2);
  const TimeUs last_end = kNow + kDay + 2 * kHour;
  EXPECT_EQ(a.Strikes(last_end + 7 * kDay + kMinute), 1);

  Manager recent, old;
  recent.m.Restore({Row(kNow - 2 * kDay, kNow - kDay, 3)}, kNow);
  EXPECT_EQ(recent.Strikes(kNow), 4);
  old.m.Restore({Row(kNow - 10 * kDay, kNow - 8 * kDay, 3)}, kNow);
  EXPECT_EQ(old.Strikes(kNow), 1);
}

// `blocks remove`: the admin called the block a mistake. It was a strike for
// the next flood (4x the period at the third), and a running agent took the
// next floods within its old end as "blocked already".
TEST(Strikes, ARemovedBlockIsNoStrikeAndItsKeyMayBeBlockedAgain) {
  Manager a;
  ASSERT_EQ(a.Strikes(kNow), 1);
  const Block made = a.m.Active().at(0);
  Block removed = made;
  removed.expires = kNow + 5 * kMinute;
  removed.removed = true;
  a.m.Restore({removed}, kNow + 5 * kMinute);
  EXPECT_FALSE(a.m.IsBlocked(BlockKind::kIp, kIp, kNow + 5 * kMinute));
  EXPECT_EQ(a.Strikes(kNow + 10 * kMinute), 1) << "blocked again at once, as a first strike";

  Manager restarted;
  Block gone = Row(kNow - 2 * kHour, kNow - kHour, 2);
  gone.removed = true;
  restarted.m.Restore({Row(kNow - 3 * kDay, kNow - 3 * kDay + kHour, 1), gone}, kNow);
  EXPECT_EQ(restarted.Strikes(kNow), 2) << "the strike before the removed block counts";
}

// A block added by hand (one strike) after a repeat offender's fourth must
// not reset its escalation (helper-66: taking the latest row's strikes did).
TEST(Strikes, ABlockByHandDoesNotResetARepeatOffender) {
  Manager a;
  Block by_hand = Row(kNow - 3 * kHour, kNow - kHour, 1);
  by_hand.rule = "manual";
  a.m.Restore({Row(kNow - 2 * kDay, kNow - 2 * kHour, 4), by_hand}, kNow);
  EXPECT_EQ(a.Strikes(kNow), 5);
}

// A block the store ends earlier (`blocks extend --for 5m` on an hour's
// block) no longer makes the next flood "blocked already" until its old end.
TEST(Strikes, AShortenedBlockBlocksNothingAfterItsNewEnd) {
  Manager a;
  ASSERT_EQ(a.Strikes(kNow), 1);
  Block shorter = a.m.Active().at(0);
  shorter.expires = kNow + 5 * kMinute;
  a.m.Restore({shorter}, kNow + kMinute);
  EXPECT_EQ(a.Strikes(kNow + 10 * kMinute), 2);
}

// A live agent catching up on old lines (a restart after downtime) decides
// blocks that are not live: recorded, never enforced, and no strike, ended
// or replaced. Once ended it counted, and the next live block of the key
// had twice the period (helper-113: a catch-up more than max_period behind,
// where the start no longer reads the key's old rows).
TEST(Strikes, ADecisionFromOldLinesIsNoStrikeForALiveAgent) {
  for (const bool earlier_strike : {false, true}) {
    Manager a;
    if (earlier_strike) a.m.Restore({Row(kNow - 2 * kDay, kNow - kDay, 2)}, kNow);
    a.m.set_live_after(kNow - 5 * kMinute);
    std::string why;
    const Block* old = a.m.Apply(Flood(kNow - 30 * kMinute), &why);  // active at kNow
    ASSERT_NE(old, nullptr) << why;
    EXPECT_FALSE(old->live);
    EXPECT_EQ(a.Strikes(kNow), earlier_strike ? 3 : 1) << "replacing it while it is active";

    Manager b;
    if (earlier_strike) b.m.Restore({Row(kNow - 2 * kDay, kNow - kDay, 2)}, kNow);
    b.m.set_live_after(kNow - 5 * kMinute);
    ASSERT_NE(b.m.Apply(Flood(kNow - 3 * kHour), &why), nullptr) << why;
    b.m.Expire(kNow);
    EXPECT_EQ(b.Strikes(kNow), earlier_strike ? 3 : 1) << "after it ended";
  }
}

// The end of a block from old lines is no strike's end: an older live
// strike still lapses max_period after its own end. A running agent kept it
// until max_period after the catch-up block's end (and, replacing that block,
// for good) and gave the next live flood twice the period; a restarted one,
// which skips such rows, gave the first strike's (helper-115 F4).
TEST(Strikes, ABlockFromOldLinesKeepsNoOlderStrikeAlive) {
  const Block lapsed = Row(kNow - 8 * kDay, kNow - 7 * kDay - kHour, 1);
  for (const TimeUs live_at : {kNow - 10 * kMinute, kNow + kHour}) {
    Manager a;
    a.m.Restore({lapsed}, kNow - 2 * kHour);
    a.m.set_live_after(kNow - 20 * kMinute);
    std::string why;
    const Block* old = a.m.Apply(Flood(kNow - 90 * kMinute), &why);
    ASSERT_NE(old, nullptr) << why;
    ASSERT_FALSE(old->live);
    const bool replacing = live_at < old->expires;
    EXPECT_EQ(a.Strikes(live_at), 1) << (replacing ? "replacing it" : "after it ended");
  }
}

// A removed block is no strike, and takes nothing with it: the strike before
// it lapses max_period after its own end, not the removal's (helper-117 F1),
// and a hand block (no strike of its own) removed over a live strike leaves
// that strike (F3). A restarted agent, reading the rows, agreed; the running
// one kept one count and one end, and could not undo them.
TEST(Strikes, ARemovedBlockTakesOnlyItselfAway) {
  Manager a;
  ASSERT_EQ(a.Strikes(kNow), 1);  // ends kNow + 1 h
  ASSERT_EQ(a.Strikes(kNow + 2 * kDay), 2);
  Block gone = a.m.Active().at(0);
  gone.expires = kNow + 2 * kDay + kHour;
  gone.removed = true;
  a.m.Restore({gone}, gone.expires);
  EXPECT_EQ(a.Strikes(kNow + 7 * kDay + 2 * kHour), 1) << "strike 1 lapsed at kNow + 7 d 1 h";

  Manager b;
  ASSERT_EQ(b.Strikes(kNow), 1);
  Block hand = Row(kNow + 2 * kHour, kNow + 10 * kHour, 1);
  hand.rule = "manual";
  b.m.Restore({hand}, kNow + 2 * kHour);
  hand.expires = kNow + 3 * kHour;
  hand.removed = true;
  b.m.Restore({hand}, kNow + 3 * kHour);
  EXPECT_EQ(b.Strikes(kNow + 4 * kHour), 2) << "the live strike under the hand block stays";
}

// A block from old lines, never enforced, ended by the clock though not yet
// by the log's: a live flood at a log time before its end was "blocked
// already", and nothing blocked it (helper-117 F2).
TEST(Strikes, AnEndedCatchUpBlockLeavesALiveFloodUnblocked) {
  Manager a;
  a.m.set_live_after(kNow - 5 * kMinute);
  std::string why;
  const Block* old = a.m.Apply(Flood(kNow - 62 * kMinute), &why);  // ends kNow - 2 min
  ASSERT_NE(old, nullptr) << why;
  ASSERT_FALSE(old->live);
  a.m.Expire(kNow);
  EXPECT_EQ(a.Strikes(kNow - 3 * kMinute), 1);
  // From old lines again: the block recorded before stands for it.
  Manager b;
  b.m.set_live_after(kNow - 5 * kMinute);
  ASSERT_NE(b.m.Apply(Flood(kNow - 62 * kMinute), &why), nullptr) << why;
  b.m.Expire(kNow);
  EXPECT_EQ(b.m.Apply(Flood(kNow - 30 * kMinute), &why), nullptr);
  EXPECT_EQ(why, "blocked already");
}

// `blocks remove` leaves the row, ended at the removal: a clock set back
// before that made it active, enforced, again (helper-117 F4), and its end
// made the next flood "blocked already".
TEST(Strikes, ARemovedRowIsNotActiveAfterAStepBack) {
  Manager a;
  Block gone = Row(kNow, kNow + 10 * kMinute, 1);  // was to end at kNow + 1 h
  gone.removed = true;
  a.m.Restore({gone}, kNow - 30 * kMinute);
  EXPECT_TRUE(a.m.Active().empty());
  EXPECT_FALSE(a.m.IsBlocked(BlockKind::kIp, kIp, kNow - 30 * kMinute));

  Manager b;  // removed while running, then the clock set back
  ASSERT_EQ(b.Strikes(kNow), 1);
  Block made = b.m.Active().at(0);
  made.expires = kNow + 10 * kMinute;
  made.removed = true;
  b.m.Restore({made}, kNow + 10 * kMinute);
  b.m.Restore({made}, kNow - 30 * kMinute);
  EXPECT_TRUE(b.m.Active().empty());
  EXPECT_EQ(b.Strikes(kNow - 20 * kMinute), 1) << "not blocked already, and no strike";
}

// A row made ahead of this clock (another agent's, within a day) and then
// removed took with it the strike it had pruned as lapsed by its own time:
// the running agent gave a repeat offender's next flood 1 h where a
// restarted one, reading the old row again, gave 8 h (helper-120 F3).
TEST(Strikes, ARowMadeAheadAndRemovedTakesNoOlderStrikeWithIt) {
  Manager a;
  ASSERT_EQ(a.Strikes(kNow), 1);
  ASSERT_EQ(a.Strikes(kNow + 2 * kHour), 2);
  ASSERT_EQ(a.Strikes(kNow + 5 * kHour), 3);  // ends kNow + 9 h
  const TimeUs now = kNow + 7 * kDay + 8 * kHour;
  Block ahead = Row(now + 2 * kHour, now + 3 * kHour, 1);
  a.m.Restore({ahead}, now);
  ahead.expires = now + kMinute;
  ahead.removed = true;
  a.m.Restore({ahead}, now + kMinute);
  EXPECT_EQ(a.Strikes(now + 2 * kMinute), 4) << "strike 3 ended within max_period";
}

// A start reads the rows that ended after RestoreFrom(now), not every row:
// over a month of one key's blocks (ended, removed, by hand, active), the
// rows left out change no decision from then on: the same strikes, the same
// "blocked already".
TEST(Strikes, TheRowsAStartLeavesOutChangeNoDecision) {
  // Every 12 hours a block, the older the more strikes: a start that left
  // out one row it needed gives fewer.
  std::vector<Block> history;
  for (int half_days = 60; half_days >= 2; --half_days) {
    const TimeUs end = kNow - half_days * kDay / 2;
    Block b = Row(end - (half_days % 4 + 1) * kHour, end, half_days);
    b.removed = half_days % 7 == 0;
    if (half_days % 11 == 0) b.rule = "manual";
    history.push_back(b);
  }
  for (const TimeUs last_end : {kNow - 8 * kDay, kNow - 7 * kDay + kMinute, kNow + kHour}) {
    std::vector<Block> rows = history;
    rows.push_back(Row(last_end - 2 * kHour, last_end, 3));
    Manager all, read;
    all.m.Restore(rows, kNow);
    std::vector<Block> after;
    for (const Block& b : rows)
      if (b.expires > read.m.RestoreFrom(kNow)) after.push_back(b);
    EXPECT_LT(after.size(), rows.size());
    read.m.Restore(after, kNow);
    for (const TimeUs at : {kNow, kNow + kHour + kMinute, kNow + 2 * kDay}) {
      std::string why_all, why_read;
      const Block* a = all.m.Apply(Flood(at), &why_all);
      const Block* r = read.m.Apply(Flood(at), &why_read);
      ASSERT_EQ(a == nullptr, r == nullptr) << why_all << " / " << why_read;
      EXPECT_EQ(why_all, why_read);
      if (a != nullptr) {
        EXPECT_EQ(a->strikes, r->strikes) << "last end " << FormatRfc3339(last_end);
      }
    }
  }
}

// helper-122: every key ever blocked stayed in memory for its strikes and
// its end, as long as the agent ran. What ended two max_periods ago goes;
// a strike within max_period stays.
TEST(Strikes, WhatLapsedLongAgoIsForgotten) {
  Manager m;
  for (int i = 0; i < 100; ++i) {
    Decision d = Flood(kNow);
    d.key = "198.51.100." + std::to_string(i);
    std::string why;
    ASSERT_TRUE(m.m.Apply(d, &why)) << why;
  }
  EXPECT_EQ(m.m.remembered_keys(), 200u);  // strikes and ends
  EXPECT_EQ(m.Strikes(kNow + 3 * kDay), 2) << "within max_period: a strike";
  m.m.Expire(kNow + 15 * kDay);
  EXPECT_EQ(m.m.remembered_keys(), 2u) << "only kIp's block of day 3";
  // Kept: a decision five days back (a clock stepped back) still sees it.
  EXPECT_EQ(m.Strikes(kNow + 10 * kDay), 3);
}

}  // namespace
}  // namespace mailtrail
