// Allowlists win over every way a block reaches the agent (docs/security.md rule 4):
// a decision, a block by hand, a block taken from the (shared) store. What the
// allowlist refuses is never active, so never enforced: not by the policy
// service, the Postfix tables or the firewall (all fed from Active()).
#include <gtest/gtest.h>

#include "agent/blocks/allowlist.h"
#include "agent/blocks/block_manager.h"
#include "agent/blocks/desired.h"
#include "tests/support/capture_logger.h"

namespace mailtrail {
namespace {

constexpr TimeUs kNow = 1'800'000'000LL * kUsPerSecond;

Block Saved(BlockKind kind, const std::string& key) {
  Block b;
  b.kind = kind;
  b.key = key;
  b.rule = "manual";
  b.created = kNow - kUsPerSecond;
  b.expires = kNow + 3600 * kUsPerSecond;
  if (kind == BlockKind::kSubject) b.raw_subjects = {key};
  return b;
}

BlockPolicy Policy() {
  BlockPolicy p;
  p.allow_cidrs = {*Cidr::Parse("127.0.0.1/32"), *Cidr::Parse("192.0.2.0/24"),
                   *Cidr::Parse("2001:db8:1::/48")};
  return p;
}

TEST(BlockPrecedence, BlocksFromTheStoreThatHitTheAllowlistAreNeverActive) {
  BlockManager m(Policy());
  CaptureLogger said;
  m.log = &said;
  const std::vector<Block> saved = {
      Saved(BlockKind::kIp, "192.0.2.7"),         // inside an allowlisted network
      Saved(BlockKind::kCidr, "192.0.0.0/16"),    // covers one
      Saved(BlockKind::kCidr, "192.0.2.128/25"),  // inside one
      Saved(BlockKind::kIp, "::ffff:192.0.2.9"),  // the same address, IPv4-mapped
      Saved(BlockKind::kCidr, "2001:db8::/32"),   // covers an IPv6 one
      Saved(BlockKind::kIp, "0.0.0.0"),           // never a client: always protected
      Saved(BlockKind::kIp, "255.255.255.255"),
      Saved(BlockKind::kCidr, "224.0.0.0/8"),
      Saved(BlockKind::kIp, "::"),
      Saved(BlockKind::kIp, "198.51.100.7"),      // the only one to enforce
      Saved(BlockKind::kCidr, "203.0.113.0/24"),  // and this one
  };
  const auto added = m.Restore(saved, kNow);
  ASSERT_EQ(added.size(), 2u);
  const auto active = m.Active();
  ASSERT_EQ(active.size(), 2u);
  const DesiredBlocks d = DesiredOf(active, kNow);
  EXPECT_EQ(d.ips, std::vector<std::string>{"198.51.100.7"});
  EXPECT_EQ(d.cidrs, std::vector<std::string>{"203.0.113.0/24"});
  EXPECT_EQ(m.not_enforced(), 9) << "got " << m.not_enforced() << ", want 9";
  // The store is read again every few seconds: counted and said once each.
  const size_t lines = said.lines().size();
  EXPECT_GE(lines, 1u);
  m.Restore(saved, kNow + 5 * kUsPerSecond);
  EXPECT_EQ(m.not_enforced(), 9);
  EXPECT_EQ(said.lines().size(), lines) << "said again on the next refresh";
  EXPECT_NE(said.lines()[0].find("192.0.2.7"), std::string::npos) << said.lines()[0];
}

TEST(BlockPrecedence, ByHandAndDecidedCidrsThatCoverTheAllowlistAreRefused) {
  BlockManager m(Policy());
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  std::string why;
  EXPECT_EQ(m.Add(Saved(BlockKind::kCidr, "192.0.0.0/8"), &why), nullptr);
  EXPECT_EQ(why, "allowlisted");
  EXPECT_EQ(m.Add(Saved(BlockKind::kCidr, "0.0.0.0/0"), &why), nullptr);
  EXPECT_EQ(m.Add(Saved(BlockKind::kIp, "::ffff:127.0.0.1"), &why), nullptr);
  EXPECT_NE(m.Add(Saved(BlockKind::kCidr, "198.51.100.0/24"), &why), nullptr) << why;
  EXPECT_EQ(m.Active().size(), 1u);
}

TEST(BlockPrecedence, AllowlistMatchesOverlapsInBothFamilies) {
  Allowlist a;
  a.Add(*Cidr::Parse("10.1.2.0/24"), "mynetworks");
  ASSERT_NE(a.Overlapping(*Cidr::Parse("10.0.0.0/8")), nullptr);
  EXPECT_EQ(a.Overlapping(*Cidr::Parse("10.0.0.0/8"))->source, "mynetworks");
  EXPECT_NE(a.Overlapping(*Cidr::Parse("10.1.2.3")), nullptr);
  EXPECT_NE(a.Overlapping(*Cidr::Parse("::ffff:10.1.2.3")), nullptr);
  EXPECT_NE(a.Overlapping(*Cidr::Parse("::/0")), nullptr);
  EXPECT_EQ(a.Overlapping(*Cidr::Parse("10.1.3.0/24")), nullptr);
  EXPECT_EQ(a.Overlapping(*Cidr::Parse("2001:db8::1")), nullptr);
}

}  // namespace
}  // namespace mailtrail
