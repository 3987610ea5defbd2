// BlockManager's safety rules: allowlists (and loopback by default), expiry and
// escalation, caps that refuse and say so once a minute, and which blocks are
// live. Time is the decisions' (log) time.
#include <gtest/gtest.h>

#include <string>

#include "agent/blocks/block_manager.h"
#include "agent/detect/subject.h"
#include "tests/support/capture_logger.h"

namespace mailtrail {
namespace {

constexpr TimeUs kT0 = 1795780000LL * kUsPerSecond;
TimeUs Sec(double s) { return kT0 + static_cast<TimeUs>(s * kUsPerSecond); }

Decision IpDecision(const std::string& ip, double at) {
  Decision d;
  d.kind = Decision::Kind::kIp;
  d.key = ip;
  d.rule = "backscatter-ip";
  d.at = Sec(at);
  return d;
}

TEST(BlockManager, AllowlistsWinOverEverything) {
  BlockPolicy p;
  p.allow_cidrs = {*Cidr::Parse("192.0.2.0/24"), *Cidr::Parse("127.0.0.0/8")};
  p.allow_subjects = {NormalizeSubject("Delivery Status Notification (Failure)")};
  BlockManager m(p);
  std::string why;
  EXPECT_EQ(m.Apply(IpDecision("192.0.2.77", 0), &why), nullptr);
  EXPECT_EQ(why, "allowlisted");
  EXPECT_EQ(m.Apply(IpDecision("127.0.0.1", 0), &why), nullptr);
  Decision s;
  s.kind = Decision::Kind::kSubject;
  s.key = NormalizeSubject("delivery status notification (failure)");
  s.at = Sec(0);
  EXPECT_EQ(m.Apply(s, &why), nullptr);
  EXPECT_NE(m.Apply(IpDecision("198.51.100.1", 0), &why), nullptr);
  EXPECT_EQ(m.allowlisted(), 3);
  Block manual;
  manual.kind = BlockKind::kIp;
  manual.key = "192.0.2.1";
  EXPECT_EQ(m.Add(manual, &why), nullptr) << "by hand too";
}

TEST(BlockManager, DefaultAllowlistIsLoopback) {
  BlockManager m(BlockPolicy{});
  std::string why;
  EXPECT_EQ(m.Apply(IpDecision("127.0.9.11", 0), &why), nullptr);
  EXPECT_EQ(m.Apply(IpDecision("::1", 0), &why), nullptr);
  EXPECT_NE(m.Apply(IpDecision("2001:db8::1", 0), &why), nullptr);
}

// The IP rule decides an IPv6 /64 whose addresses flood together: a
// network block, refused whole when it holds an allowlisted address.
TEST(BlockManager, AnIpv6SlashSixtyFourDecisionIsANetworkBlock) {
  BlockPolicy p;
  p.allow_cidrs = {*Cidr::Parse("127.0.0.0/8"), *Cidr::Parse("2001:db8:1:2::25/128")};
  BlockManager m(p);
  std::string why;
  const Block* b = m.Apply(IpDecision("2001:db8:bad:1::/64", 0), &why);
  ASSERT_NE(b, nullptr) << why;
  EXPECT_EQ(b->kind, BlockKind::kCidr);
  EXPECT_TRUE(m.IsBlocked(BlockKind::kCidr, "2001:db8:bad:1::/64", Sec(1)));
  EXPECT_EQ(m.Apply(IpDecision("2001:db8:1:2::/64", 0), &why), nullptr);
  EXPECT_EQ(why, "allowlisted");
}

TEST(BlockManager, ExpiresAndEscalatesRepeatOffenders) {
  BlockPolicy p;
  p.period = 3600 * kUsPerSecond;
  p.escalation = 2;
  p.max_period = 3 * 3600 * kUsPerSecond;
  p.keep_history = true;
  BlockManager m(p);
  std::string why;
  const Block* b = m.Apply(IpDecision("198.51.100.1", 0), &why);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->expires, Sec(3600));
  EXPECT_TRUE(m.IsBlocked(BlockKind::kIp, "198.51.100.1", Sec(3599)));
  EXPECT_EQ(m.Apply(IpDecision("198.51.100.1", 100), &why), nullptr);
  EXPECT_EQ(why, "blocked already");
  m.Expire(Sec(3600));
  EXPECT_FALSE(m.IsBlocked(BlockKind::kIp, "198.51.100.1", Sec(3600)));
  b = m.Apply(IpDecision("198.51.100.1", 4000), &why);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->strikes, 2);
  EXPECT_EQ(b->expires, Sec(4000 + 7200)) << "twice as long";
  m.Expire(Sec(20000));
  b = m.Apply(IpDecision("198.51.100.1", 20000), &why);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->expires, Sec(20000 + 3 * 3600)) << "up to the maximum";
  EXPECT_EQ(m.history().size(), 2u);
}

// An agent keeps no ended block in memory: one that ran for months kept
// every block it ever made (its rows are in the store).
TEST(BlockManager, AnAgentKeepsNoHistory) {
  BlockManager m(BlockPolicy{});
  std::string why;
  ASSERT_NE(m.Apply(IpDecision("198.51.100.1", 0), &why), nullptr) << why;
  m.Expire(Sec(3600));
  EXPECT_TRUE(m.Active().empty());
  EXPECT_TRUE(m.history().empty());
  EXPECT_EQ(m.TakeEnded().size(), 1u) << "the detector still hears of the end";
}

TEST(BlockManager, CapsRefuseAndSaySoOncePerMinute) {
  BlockPolicy p;
  p.max_new_per_minute = 3;
  p.max_active = 5;
  BlockManager m(p);
  CaptureLogger warnings;
  m.log = &warnings;
  std::string why;
  int made = 0;
  for (int i = 0; i < 10; ++i)
    made += m.Apply(IpDecision("198.51.100." + std::to_string(i), i), &why) != nullptr;
  EXPECT_EQ(made, 3);
  EXPECT_EQ(m.capped(), 7);
  EXPECT_EQ(warnings.lines().size(), 1u);
  for (int i = 10; i < 20; ++i)
    made += m.Apply(IpDecision("198.51.100." + std::to_string(i), 61 + i * 61), &why) != nullptr;
  EXPECT_EQ(m.Active().size(), 5u) << "never more than max_active";
  EXPECT_GT(warnings.lines().size(), 1u);
}

// The detector decides a capped key again at its next bounce: the counter
// counts keys refused, once a minute each, not the bounces of a flood
// (1,000 bounces of one refused IP counted 1,000).
TEST(BlockManager, ACappedKeyIsCountedOnceAMinuteWhateverItsBounces) {
  BlockPolicy p;
  p.max_new_per_minute = 1;
  BlockManager m(p);
  std::string why;
  ASSERT_NE(m.Apply(IpDecision("198.51.100.1", 0), &why), nullptr);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(m.Apply(IpDecision("198.51.100.2", 1), &why), nullptr);
    EXPECT_EQ(m.Apply(IpDecision("198.51.100.3", 2), &why), nullptr);
  }
  EXPECT_EQ(why, "cap reached");
  EXPECT_EQ(m.capped(), 2);
  // The cap still holds a minute on (another block took its place): counted again.
  ASSERT_NE(m.Apply(IpDecision("198.51.100.4", 70), &why), nullptr);
  EXPECT_EQ(m.Apply(IpDecision("198.51.100.2", 71), &why), nullptr);
  EXPECT_EQ(m.capped(), 3);
}

TEST(BlockManager, OldLinesMakeBlocksThatAreNotLive) {
  BlockManager m(BlockPolicy{});
  m.set_live_after(Sec(100));
  std::string why;
  const Block* old = m.Apply(IpDecision("198.51.100.1", 99), &why);
  ASSERT_NE(old, nullptr);
  EXPECT_FALSE(old->live) << "a line from before the horizon";
  const Block* fresh = m.Apply(IpDecision("198.51.100.2", 100), &why);
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->live);
}

// A live decision over a block recorded from old lines takes its place: at
// the cap too (it adds no block), and when the cap of new blocks a minute
// refuses it, the old block stays (helper-98: it was dropped first, so a
// refused live decision left neither).
TEST(BlockManager, ALiveDecisionReplacesAnOldBlockOrLeavesIt) {
  BlockPolicy p;
  p.max_active = 2;
  p.max_new_per_minute = 100;
  BlockManager m(p);
  m.set_live_after(Sec(100));
  std::string why;
  ASSERT_NE(m.Apply(IpDecision("198.51.100.1", 90), &why), nullptr);
  ASSERT_NE(m.Apply(IpDecision("198.51.100.2", 91), &why), nullptr);
  const Block* live = m.Apply(IpDecision("198.51.100.1", 120), &why);
  ASSERT_NE(live, nullptr) << "at the cap of active blocks: " << why;
  EXPECT_TRUE(live->live);
  EXPECT_EQ(m.Active().size(), 2u);

  BlockPolicy q;
  q.max_new_per_minute = 2;
  BlockManager n(q);
  n.set_live_after(Sec(100));
  ASSERT_NE(n.Apply(IpDecision("198.51.100.1", 90), &why), nullptr);
  ASSERT_NE(n.Apply(IpDecision("198.51.100.2", 91), &why), nullptr);
  EXPECT_EQ(n.Apply(IpDecision("198.51.100.1", 120), &why), nullptr);
  EXPECT_EQ(why, "cap reached");
  ASSERT_EQ(n.Active().size(), 2u) << "the old block stays while the cap refuses its successor";
}

TEST(BlockManager, ReplayedDecisionsAreNotLive) {
  BlockPolicy p;
  p.live = false;
  BlockManager m(p);
  std::string why;
  const Block* b = m.Apply(IpDecision("198.51.100.1", 0), &why);
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->live);
  std::string json;
  AppendBlockJson(*b, &json);
  EXPECT_NE(json.find("\"live\":false"), std::string::npos);
  EXPECT_NE(json.find("\"kind\":\"ip\""), std::string::npos);
}

}  // namespace
}  // namespace mailtrail
