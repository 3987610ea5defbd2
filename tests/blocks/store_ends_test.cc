// The store's view of a block wins when it ends the block earlier than the
// agent thinks (`blocks remove`, or another agent shortening it): a refresh
// ends the active block here too, so every backend fed from Active() drops it
// (issue 19, item 2). A block the store has not seen yet is left alone. A
// block made further ahead of this clock than max_period is not enforced
// (below).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

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

// Two rows of one subject (the flood's block with the forms it saw, and a
// longer one added by hand with its own text): header_checks refuses every
// form. The longer row replaced the active block whole, and the flood's
// wrapped forms passed while both rows were listed active (helper-110 F5).
TEST(StoreEnds, RowsOfOneSubjectKeepEveryFormTheySaw) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  Block flood = Saved("your parcel is waiting for delivery", kNow - kMinute, kNow + kHour);
  flood.kind = BlockKind::kSubject;
  flood.rule = "backscatter-subject";
  flood.raw_subjects = {"Your parcel is waiting for delivery",
                        "Undeliverable: Your parcel is waiting for delivery"};
  Block by_hand = flood;
  by_hand.rule = "manual";
  by_hand.created = kNow - kUsPerSecond;
  by_hand.expires = kNow + 2 * kHour;
  by_hand.raw_subjects = {"Your parcel is waiting for delivery"};
  for (const auto& order :
       {std::vector<Block>{flood, by_hand}, std::vector<Block>{by_hand, flood}}) {
    BlockManager n(BlockPolicy{});
    n.log = &quiet_m;
    n.Restore(order, kNow);
    ASSERT_EQ(n.Active().size(), 1u);
    EXPECT_EQ(n.Active()[0].expires, kNow + 2 * kHour) << "the later end";
    EXPECT_EQ(n.Active()[0].raw_subjects.size(), 2u) << "every form";
  }
  // One row, then the other at the next refresh.
  m.Restore({flood}, kNow);
  m.Restore({flood, by_hand}, kNow + kMinute);
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].raw_subjects.size(), 2u);

  // A flood with as many forms as the detector keeps (8), and a form of its
  // own by hand: all nine, in either order and at a later refresh.
  flood.raw_subjects.clear();
  for (const char* prefix : {"", "Undeliverable: ", "Returned: ", "Re: ", "Fwd: ", "AW: ",
                             "Delivery failure: ", "Failed: "})
    flood.raw_subjects.push_back(prefix + std::string("Your parcel is waiting for delivery"));
  by_hand.raw_subjects = {"YOUR PARCEL IS WAITING FOR DELIVERY"};
  for (const auto& order :
       {std::vector<Block>{flood, by_hand}, std::vector<Block>{by_hand, flood}}) {
    BlockManager n(BlockPolicy{});
    n.log = &quiet_m;
    n.Restore(order, kNow);
    n.Restore(order, kNow + kMinute);
    ASSERT_EQ(n.Active().size(), 1u);
    EXPECT_EQ(n.Active()[0].raw_subjects.size(), 9u) << "a form was pushed out";
  }
}

// A flood of a subject blocked by hand: the decision is "blocked already",
// and its forms join the block in force (helper-115: the wrapped forms
// passed header_checks for the block's period).
TEST(StoreEnds, AFloodUnderAHandBlockAddsItsForms) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  Block by_hand = Saved("your parcel is waiting for delivery", kNow - kMinute, kNow + kHour);
  by_hand.kind = BlockKind::kSubject;
  by_hand.rule = "manual";
  by_hand.raw_subjects = {"Your parcel is waiting for delivery"};
  m.Restore({by_hand}, kNow);
  const uint64_t version = m.version();
  Decision d;
  d.kind = Decision::Kind::kSubject;
  d.key = by_hand.key;
  d.at = kNow;
  d.raw_subjects = {"Undeliverable: Your parcel is waiting for delivery",
                    "Your parcel is waiting for delivery"};
  std::string why;
  EXPECT_EQ(m.Apply(d, &why), nullptr);
  EXPECT_EQ(why, "blocked already");
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].raw_subjects.size(), 2u);
  EXPECT_NE(m.version(), version) << "the enforcement hears of the new form";
  // And the store: saved again, for `enforce --reconcile` and the other
  // agents (helper-116: only in memory, the reconcile took them out).
  const std::vector<Block> save = m.TakeToSave();
  ASSERT_EQ(save.size(), 1u);
  EXPECT_EQ(save[0].created, by_hand.created);
  EXPECT_EQ(save[0].raw_subjects.size(), 2u);
  EXPECT_EQ(m.Apply(d, &why), nullptr);
  EXPECT_TRUE(m.TakeToSave().empty()) << "no new form, nothing to save";
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
  const auto moved = m.ClockSteppedBack(1800 * kUsPerSecond, kNow - 1800 * kUsPerSecond);
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
  EXPECT_EQ(m.ClockSteppedBack(60 * kUsPerSecond, kNow - 1850 * kUsPerSecond).size(), 1u);
}

// A block made here that ended by its time, then the clock set back (a day
// ahead, put right by NTP): its row's end is ahead of the clock again, and a
// refresh made it active for the day (helper-149 F3). It moves back too, is
// saved so (`blocks list`, `enforce --reconcile`), and a row read before the
// save does not bring it back.
TEST(StoreEnds, ABlockThatEndedStaysEndedWhenTheClockGoesBack) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  std::string why;
  const Block* made = m.Add(Saved("198.51.100.7", kNow, kNow + kMinute), &why);
  ASSERT_TRUE(made) << why;
  const Block row = *made;
  m.Expire(kNow + 2 * kMinute);
  ASSERT_TRUE(m.Active().empty());
  constexpr TimeUs kDay = 24 * kHour;
  const auto moved = m.ClockSteppedBack(kDay, kNow + 2 * kMinute - kDay);
  ASSERT_EQ(moved.size(), 1u) << "the ended block's row moves back too";
  EXPECT_EQ(moved[0].created, row.created);
  EXPECT_EQ(moved[0].expires, row.expires - kDay);
  const TimeUs now = kNow + 2 * kMinute - kDay;
  m.Restore({row}, now);  // read before the moved end was saved
  EXPECT_TRUE(m.Active().empty()) << "ended here: not active again";
  EXPECT_FALSE(m.IsBlocked(BlockKind::kIp, "198.51.100.7", now));
  m.Restore(moved, now + kMinute);
  EXPECT_TRUE(m.Active().empty());
  // The key can be blocked again on this clock: a new flood is a new block.
  EXPECT_TRUE(m.Add(Saved("198.51.100.7", now + 2 * kMinute, now + 3 * kMinute), &why)) << why;
}

// A step back moves every ended block made here, but only rows whose saved
// end is ahead of the clock again are saved anew: each step re-saved all of
// them (up to 10,000 rows), though the others still read as ended.
TEST(StoreEnds, AStepBackSavesOnlyTheEndedRowsItBringsAhead) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  std::string why;
  const Block* a = m.Add(Saved("198.51.100.7", kNow, kNow + kMinute), &why);
  ASSERT_TRUE(a) << why;
  const Block row_a = *a;
  const Block* b = m.Add(Saved("198.51.100.8", kNow, kNow + kHour), &why);
  ASSERT_TRUE(b) << why;
  const Block row_b = *b;
  m.Expire(kNow + 2 * kHour);
  ASSERT_TRUE(m.Active().empty());
  // To kNow + 90 min: both rows still end before the clock.
  EXPECT_TRUE(m.ClockSteppedBack(30 * kMinute, kNow + 90 * kMinute).empty());
  // To kNow + 30 min: b's row (kNow + 1 h) would be active again.
  auto moved = m.ClockSteppedBack(kHour, kNow + 30 * kMinute);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].key, row_b.key);
  EXPECT_EQ(moved[0].expires, row_b.expires - 90 * kMinute);
  m.Restore({row_a, row_b}, kNow + 30 * kMinute);  // rows read before any save
  EXPECT_TRUE(m.Active().empty()) << "ended here: neither is active again";
  // To kNow - 30 min: now a's row is ahead; b's saved row is not.
  moved = m.ClockSteppedBack(kHour, kNow - 30 * kMinute);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].key, row_a.key);
  EXPECT_EQ(moved[0].expires, row_a.expires - 150 * kMinute);
  m.Restore({row_a, row_b}, kNow - 30 * kMinute);
  EXPECT_TRUE(m.Active().empty());
}

// A key whose block ended is free again after a step back: its end moved
// back, and so does the time its key counts as "blocked already" (helper-153
// F5: a new flood of it was refused for the length of the step).
TEST(StoreEnds, AStepBackLeavesAnEndedKeyFree) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  Decision d;
  d.kind = Decision::Kind::kIp;
  d.key = "198.51.100.7";
  d.at = kNow;
  std::string why;
  const Block* made = m.Apply(d, &why);
  ASSERT_NE(made, nullptr) << why;
  const TimeUs end = made->expires;
  m.Expire(end + kMinute);
  ASSERT_TRUE(m.Active().empty());
  constexpr TimeUs kDay = 24 * kHour;
  m.ClockSteppedBack(kDay, end + kMinute - kDay);
  d.at = end + 2 * kMinute - kDay;  // a new flood, on the clock as it is now
  EXPECT_NE(m.Apply(d, &why), nullptr) << why;
}

// The memory of ended blocks is bounded: the ones that ended first go.
TEST(StoreEnds, TheEndedBlocksRememberedAreBounded) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  std::string why;
  constexpr int kBlocks = 12000;
  for (int i = 0; i < kBlocks; ++i) {
    const std::string ip = "10." + std::to_string(i / 65536 + 100) + "." +
                           std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
    ASSERT_TRUE(m.Add(Saved(ip, kNow, kNow + kMinute + i * kUsPerSecond), &why)) << why;
  }
  m.Expire(kNow + 10 * kHour);
  ASSERT_TRUE(m.Active().empty());
  const auto moved = m.ClockSteppedBack(20 * kHour, kNow - 10 * kHour);
  EXPECT_LE(moved.size(), 10000u);
  EXPECT_GE(moved.size(), 9000u);
  // The latest ends are the ones kept.
  for (const Block& b : moved)
    EXPECT_GE(b.expires + 20 * kHour, kNow + kMinute + 1000 * kUsPerSecond);
}

// An address this machine gained since the start joins the allowlist: a block
// made here of it ends and is saved with that end; one another agent
// made ends here only, and its row, read again, is not enforced here.
TEST(StoreEnds, AnAddressOfThisMachineEndsItsBlocks) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  std::string why;
  ASSERT_TRUE(m.Add(Saved("198.51.100.7", kNow, kNow + kHour), &why)) << why;
  Block theirs = Saved("198.51.100.8", kNow, kNow + kHour);
  theirs.origin_host = "mx2";
  ASSERT_EQ(m.Restore({theirs}, kNow).size(), 1u);
  ASSERT_TRUE(m.Add(Saved("203.0.113.9", kNow, kNow + kHour), &why)) << why;
  m.TakeToSave();
  const auto ended = m.AllowMore({*Cidr::Parse("198.51.100.7/32"), *Cidr::Parse("198.51.100.8/32")},
                                 "ours", kNow + kMinute);
  EXPECT_EQ(ended.size(), 2u);
  ASSERT_EQ(m.Active().size(), 1u);
  EXPECT_EQ(m.Active()[0].key, "203.0.113.9");
  const auto save = m.TakeToSave();
  ASSERT_EQ(save.size(), 1u) << "only the block made here is ended in the store";
  EXPECT_EQ(save[0].key, "198.51.100.7");
  EXPECT_EQ(save[0].expires, kNow + kMinute);
  m.Restore({theirs}, kNow + 2 * kMinute);
  EXPECT_EQ(m.Active().size(), 1u) << "their row is not enforced here again";
  Decision d;
  d.kind = Decision::Kind::kIp;
  d.key = "198.51.100.7";
  d.at = kNow + 3 * kMinute;
  EXPECT_EQ(m.Apply(d, &why), nullptr);
  EXPECT_EQ(why, "allowlisted");
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

TEST(StoreEnds, TheRefreshReadsTheRowsOfTheActiveBlocks) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  EXPECT_TRUE(m.RefreshIds().empty()) << "nothing active: only the active rows are read";
  m.Restore({Saved("198.51.100.7", kNow - 90 * kUsPerSecond, kNow + 3600 * kUsPerSecond),
             Saved("198.51.100.8", kNow - 30 * kUsPerSecond, kNow + 3600 * kUsPerSecond),
             Saved("198.51.100.9", kNow - 60 * kUsPerSecond, kNow - kUsPerSecond)},
            kNow);
  // A block ended by `blocks remove` is read by its id (Store::LoadRefresh):
  // the two active ones, each with its creation, not the ended one.
  const std::vector<BlockId> ids = m.RefreshIds();
  ASSERT_EQ(ids.size(), 2u);
  std::set<std::pair<std::string, TimeUs>> got;
  for (const BlockId& id : ids) got.insert({id.key, id.created});
  EXPECT_EQ(got,
            (std::set<std::pair<std::string, TimeUs>>{{"198.51.100.7", kNow - 90 * kUsPerSecond},
                                                      {"198.51.100.8", kNow - 30 * kUsPerSecond}}));
}

// helper-120 F4: `blocks remove` written in the seconds before a block's
// end, after the last refresh: the block ended by its time, its row was no
// longer read, and its strike stayed (the next block of the key lasted twice
// as long). A block that ended within the last minute is read too.
TEST(StoreEnds, TheRefreshReadsABlockThatJustEndedAndItsRemovalTakesTheStrike) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  Decision d;
  d.kind = Decision::Kind::kIp;
  d.key = "198.51.100.7";
  d.rule = "backscatter-ip";
  d.at = kNow;
  std::string why;
  const Block* b = m.Apply(d, &why);
  ASSERT_NE(b, nullptr) << why;
  Block removed = *b;
  const TimeUs end = b->expires;
  m.Expire(end);
  ASSERT_EQ(m.RefreshIds().size(), 1u) << "ended a moment ago: still read";
  EXPECT_EQ(m.RefreshIds()[0].created, kNow);
  removed.expires = end - 2 * kUsPerSecond;  // `blocks remove` 2 s before its end
  removed.removed = true;
  m.Restore({removed}, end + 3 * kUsPerSecond);
  m.Expire(end + 61 * kUsPerSecond);
  EXPECT_TRUE(m.RefreshIds().empty()) << "a minute later: no more";
  d.at = end + 3600 * kUsPerSecond;
  b = m.Apply(d, &why);
  ASSERT_NE(b, nullptr) << why;
  EXPECT_EQ(b->strikes, 1) << "the removed block is no strike";
}

// A block the store holds that was made after this clock's now: the clock was
// set back while the agent was stopped (a machine that booted with its clock
// behind: a dead RTC, a restored virtual machine), or the agent that decided
// it runs ahead of this one. By this clock it would last its period plus the
// gap: years for a clock reset to an old date. One made further ahead than
// [blocks] max_period (the longest period a decision gives) is not enforced;
// the rule reads the row alone, so the agent's refreshes and `enforce
// --reconcile` agree.
//
// A clock a year behind: a block of an hour made "next year" is not
// enforced, at the start or at any refresh, and a new flood from its key is
// blocked on this clock (the row is no "blocked already").
TEST(StoreEnds, AClockSetFarBackEnforcesNoBlockMadeAheadOfIt) {
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

// The bound is [blocks] max_period, the longest period a decision gives, and
// never less than a day (a short max_period_s must not refuse the blocks of a
// fleet member whose clock is minutes ahead): a row made just past it is left
// out until the clock is back within it, one made within it is enforced as it
// says.
TEST(StoreEnds, TheBoundIsTheLongestPeriodADecisionGivesAndADay) {
  const TimeUs day = 24 * kHour;
  for (TimeUs max_period : {kMinute, 2 * day}) {
    BlockPolicy p;
    p.max_period = max_period;
    const TimeUs bound = std::max(max_period, day);
    for (TimeUs gap : {2 * kMinute, bound, bound + kMinute, 10 * bound}) {
      BlockManager m(p);
      CaptureLogger log;
      m.log = &log;
      const Block ahead = Saved("198.51.100.8", kNow + gap, kNow + gap + 10 * kMinute);
      m.Restore({ahead}, kNow);
      const std::string what = "max_period " + std::to_string(max_period / kMinute) + " min, gap " +
                               std::to_string(gap / kMinute) + " min";
      if (gap <= bound) {
        ASSERT_EQ(m.Active().size(), 1u) << what;
        EXPECT_EQ(m.Active()[0].expires, ahead.expires) << what;
      } else {
        EXPECT_TRUE(m.Active().empty()) << what;
        m.Restore({ahead}, kNow + gap - bound);  // the clock back within the bound
        EXPECT_EQ(m.Active().size(), 1u) << what << ": not enforced until then only";
      }
    }
  }
}

// A row made too far ahead is no strike either: the same flood decided here
// on this clock is a first strike, with the first period, not the second.
TEST(StoreEnds, ARowMadeTooFarAheadIsNoStrike) {
  BlockManager m(BlockPolicy{});
  CaptureLogger log;
  m.log = &log;
  Block ahead = Saved("198.51.100.11", kNow + 30 * 24 * kHour, kNow + 30 * 24 * kHour + kHour);
  ahead.strikes = 1;
  m.Restore({ahead}, kNow);
  Decision d;
  d.kind = Decision::Kind::kIp;
  d.key = "198.51.100.11";
  d.at = kNow;
  std::string why;
  const Block* made = m.Apply(d, &why);
  ASSERT_NE(made, nullptr) << why;
  EXPECT_EQ(made->strikes, 1);
  EXPECT_EQ(made->expires - made->created, BlockPolicy{}.period);
}

// A block this agent made and moved back when its clock stepped back while it
// ran keeps its moved end: here, after a restart here, and at other agents,
// though its creation is ahead of the clock now (by up to the step).
TEST(StoreEnds, ARowMovedBackByAClockStepKeepsItsEnd) {
  BlockManager m(BlockPolicy{});
  CaptureLogger log;
  m.log = &log;
  std::string why;
  ASSERT_NE(m.Add(Saved("198.51.100.10", kNow, kNow + kHour), &why), nullptr) << why;
  const auto moved = m.ClockSteppedBack(40 * kMinute, kNow - 40 * kMinute);
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
