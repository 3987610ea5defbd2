// Allowlists win over every way a block reaches the agent (docs/security.md rule 4):
// a decision, a block by hand, a block taken from the (shared) store. What the
// allowlist refuses is never active, so never enforced: not by the policy
// service, the Postfix tables or the firewall (all fed from Active()).
#include <gtest/gtest.h>

#include "agent/blocks/allowlist.h"
#include "agent/blocks/block_manager.h"
#include "agent/blocks/desired.h"

namespace mailtrail {
namespace {

constexpr TimeUs kNow = 1'800'000'000LL * kUsPerSecond;

Block Saved(const std::string& kind, const std::string& key) {
  Block b;
  b.kind = kind;
  b.key = key;
  b.rule = "manual";
  b.created = kNow - kUsPerSecond;
  b.expires = kNow + 3600 * kUsPerSecond;
  if (kind == "subject") b.raw_subjects = {key};
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
  std::vector<std::string> said;
  m.warn = [&](const std::string& s) { said.push_back(s); };
  const std::vector<Block> saved = {
      Saved("ip", "192.0.2.7"),         // inside an allowlisted network
      Saved("cidr", "192.0.0.0/16"),    // covers one
      Saved("cidr", "192.0.2.128/25"),  // inside one
      Saved("ip", "::ffff:192.0.2.9"),  // the same address, IPv4-mapped
      Saved("cidr", "2001:db8::/32"),   // covers an IPv6 one
      Saved("ip", "0.0.0.0"),           // never a client: always protected
      Saved("ip", "255.255.255.255"),  Saved("cidr", "224.0.0.0/8"), Saved("ip", "::"),
      Saved("ip", "198.51.100.7"),      // the only one to enforce
      Saved("cidr", "203.0.113.0/24"),  // and this one
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
  const size_t lines = said.size();
  EXPECT_GE(lines, 1u);
  m.Restore(saved, kNow + 5 * kUsPerSecond);
  EXPECT_EQ(m.not_enforced(), 9);
  EXPECT_EQ(said.size(), lines) << "said again on the next refresh";
  EXPECT_NE(said[0].find("192.0.2.7"), std::string::npos) << said[0];
}

TEST(BlockPrecedence, ByHandAndDecidedCidrsThatCoverTheAllowlistAreRefused) {
  BlockManager m(Policy());
  m.warn = [](const std::string&) {};
  std::string why;
  EXPECT_EQ(m.Add(Saved("cidr", "192.0.0.0/8"), &why), nullptr);
  EXPECT_EQ(why, "allowlisted");
  EXPECT_EQ(m.Add(Saved("cidr", "0.0.0.0/0"), &why), nullptr);
  EXPECT_EQ(m.Add(Saved("ip", "::ffff:127.0.0.1"), &why), nullptr);
  EXPECT_NE(m.Add(Saved("cidr", "198.51.100.0/24"), &why), nullptr) << why;
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
