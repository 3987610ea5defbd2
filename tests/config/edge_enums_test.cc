// The three words that become enums at the edge (issue 20 item 6): a block's
// kind, [queue] read and a content rule's action. Each has one name/parse
// pair; a bad value is refused where it is parsed, with a message naming it.
#include <gtest/gtest.h>

#include <string>

#include "agent/config/config.h"
#include "agent/config/config_keys.h"
#include "agent/detect/content_rules.h"
#include "agent/track/block.h"

namespace mailtrail {
namespace {

TEST(EdgeEnums, EveryBlockKindRoundTripsThroughItsName) {
  for (BlockKind k : {BlockKind::kIp, BlockKind::kCidr, BlockKind::kSubject}) {
    auto back = ParseBlockKind(BlockKindName(k));
    ASSERT_TRUE(back.ok()) << BlockKindName(k);
    EXPECT_EQ(*back, k) << BlockKindName(k);
  }
  // The names the JSON contract and the stores hold (docs/record.md).
  EXPECT_STREQ(BlockKindName(BlockKind::kIp), "ip");
  EXPECT_STREQ(BlockKindName(BlockKind::kCidr), "cidr");
  EXPECT_STREQ(BlockKindName(BlockKind::kSubject), "subject");
}

TEST(EdgeEnums, AnUnknownBlockKindIsRefusedWithItsName) {
  for (const char* bad : {"", "IP", "ip ", "net", "subjects"}) {
    auto k = ParseBlockKind(bad);
    ASSERT_FALSE(k.ok()) << "'" << bad << "' was accepted";
    EXPECT_EQ(k.status().message(),
              std::string("block kind must be ip, cidr or subject, not \"") + bad + "\"");
  }
  // Untrusted text is escaped in the message.
  auto odd = ParseBlockKind("x\ny");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().message().find('\n'), std::string::npos) << odd.status().message();
}

TEST(EdgeEnums, BlockJsonSpellsTheKindAsBefore) {
  Block b;
  b.kind = BlockKind::kCidr;
  b.key = "203.0.113.0/24";
  std::string json;
  AppendBlockJson(b, &json);
  EXPECT_EQ(json.rfind("{\"kind\":\"cidr\",\"key\":\"203.0.113.0/24\"", 0), 0u) << json;
}

TEST(EdgeEnums, QueueReadRoundTripsAndRefusesOtherWords) {
  for (QueueRead r : {QueueRead::kOff, QueueRead::kFiles, QueueRead::kPostqueue}) {
    auto back = ParseQueueRead(QueueReadName(r));
    ASSERT_TRUE(back.ok()) << QueueReadName(r);
    EXPECT_EQ(*back, r);
  }
  auto bad = ParseQueueRead("spool");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "read must be off, files or postqueue, not \"spool\"");
}

TEST(EdgeEnums, TheConfigRefusesABadQueueReadAtItsLine) {
  auto c = ParseConfig("[queue]\nread = \"Files\"\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "t.toml:2: read must be off, files or postqueue, not \"Files\"");
  auto good = ParseConfig("[queue]\nread = \"postqueue\"\n", "t.toml");
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->queue.read, QueueRead::kPostqueue);
  EXPECT_EQ(Config{}.queue.read, QueueRead::kOff);
  EXPECT_NE(ConfigToml(*good).find("[queue]\nread = \"postqueue\"\n"), std::string::npos)
      << ConfigToml(*good);
}

TEST(EdgeEnums, RuleActionRoundTripsAndRefusesOtherWords) {
  for (RuleAction a : {RuleAction::kCount, RuleAction::kBlockIp, RuleAction::kBlockSubject}) {
    auto back = ParseRuleAction(RuleActionName(a));
    ASSERT_TRUE(back.ok()) << RuleActionName(a);
    EXPECT_EQ(*back, a);
  }
  auto bad = ParseRuleAction("block");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "action must be count, block-ip or block-subject, not \"block\"");
}

std::string Rule(const std::string& action_line) {
  return "[[detect.rule]]\nname = \"r\"\nheader = \"From\"\npattern = \"^From:.*x\"\n" +
         action_line + "threshold = 2\n";
}

TEST(EdgeEnums, TheConfigRefusesABadOrMissingRuleAction) {
  auto bad = ParseConfig(Rule("action = \"block_ip\"\n"), "t.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "t.toml:5: action must be count, block-ip or block-subject, not \"block_ip\"");
  auto missing = ParseConfig(Rule(""), "t.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "t.toml:1: rule 'r': action must be count, block-ip or block-subject");
  auto good = ParseConfig(Rule("action = \"block-subject\"\n"), "t.toml");
  ASSERT_TRUE(good.ok()) << good.status().message();
  ASSERT_EQ(good->detect.rules.size(), 1u);
  EXPECT_EQ(good->detect.rules[0].action, RuleAction::kBlockSubject);
  // Printed back as the same word, and parsed back to the same action.
  auto again = ParseConfig(ConfigToml(*good), "printed.toml");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->detect.rules.at(0).action, RuleAction::kBlockSubject);
}

}  // namespace
}  // namespace mailtrail
