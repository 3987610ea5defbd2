// The key table (agent/config/config_keys.h): each key parsed, printed and
// documented from one declaration, and the reload's restart list from it.
#include "agent/config/config_keys.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace mailtrail {
namespace {

std::string ReadExample() {
  std::ifstream in(std::string(MT_SOURCE_DIR) + "/examples/mailtrail.toml");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ConfigKeys, EveryKeyIsDocumentedWithTypeHelpAndDefault) {
  const auto docs = ConfigKeyDocs();
  EXPECT_GE(docs.size(), 70u);
  std::set<std::string> seen;
  for (const auto& k : docs) {
    EXPECT_TRUE(seen.insert(k.section + "." + k.key).second) << k.section << "." << k.key;
    EXPECT_FALSE(k.help.empty()) << k.key;
    EXPECT_FALSE(k.type.empty()) << k.key;
    EXPECT_FALSE(k.default_toml.empty()) << k.key;
  }
  EXPECT_TRUE(seen.count("store.url"));
  EXPECT_TRUE(seen.count("detect.rule.pattern"));
}

TEST(ConfigKeys, EachDefaultAsPrintedParsesBackToTheDefault) {
  const std::string defaults = ConfigToml(Config{});
  for (const auto& k : ConfigKeyDocs()) {
    if (k.section == "detect.rule" || k.key == "rule") continue;
    const std::string text = "[" + k.section + "]\n" + k.key + " = " + k.default_toml + "\n";
    auto c = ParseConfig(text, "t.toml");
    ASSERT_TRUE(c.ok()) << text << c.status().message();
    EXPECT_EQ(ConfigToml(*c), defaults) << text;
  }
}

TEST(ConfigKeys, PrintedConfigurationsParseBackWhole) {
  auto c = ParseConfig(
      "[store]\nurl = \"sqlite:/tmp/x \\\"q\\\".db\"\ndetail = \"full\"\n"
      "[logs]\npaths = [\"/a.log\", \"/b.log\"]\npoll_interval_ms = 250\n"
      "[policy]\nsocket_mode = \"0640\"\nreply = \"REJECT\"\n"
      "[enforce]\nfirewall_ports = [25, 2525]\naccess_map_type = \"hash\"\n"
      "[detect]\nsubject_window_s = 600\n[[detect.rule]]\nname = \"r\"\nheader = \"From\"\n"
      "pattern = \"^From:.*x\"\naction = \"count\"\nthreshold = 4\nwindow_s = 30\n"
      "[blocks]\nallow = [\"10.0.0.0/8\"]\n",
      "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const std::string printed = ConfigToml(*c);
  EXPECT_NE(printed, ConfigToml(Config{}));
  EXPECT_NE(printed.find("poll_interval_ms = 250\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("socket_mode = \"0640\"\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("[[detect.rule]]\nname = \"r\"\n"), std::string::npos) << printed;
  auto again = ParseConfig(printed, "printed.toml");
  ASSERT_TRUE(again.ok()) << again.status().message() << "\n" << printed;
  EXPECT_EQ(ConfigToml(*again), printed);
  EXPECT_EQ(again->store.url, "sqlite:/tmp/x \"q\".db");
  EXPECT_EQ(again->logs.poll_interval, 250 * 1000);
  EXPECT_EQ(again->detect.rules.at(0).window, 30 * kUsPerSecond);
}

TEST(ConfigKeys, UnknownKeysAreRefusedInEverySection) {
  std::set<std::string> sections;
  for (const auto& k : ConfigKeyDocs()) sections.insert(k.section);
  for (const std::string& s : sections) {
    const std::string text = s == "detect.rule" ? "[[detect.rule]]\nname = \"r\"\nbogus = 1\n"
                                                : "[" + s + "]\nbogus = 1\n";
    auto c = ParseConfig(text, "t.toml");
    ASSERT_FALSE(c.ok()) << s;
    EXPECT_NE(c.status().message().find("unknown key 'bogus' in [" + s + "]"), std::string::npos)
        << c.status().message();
  }
}

TEST(ConfigKeys, TheExampleFileShowsEveryKey) {
  const std::string example = ReadExample();
  ASSERT_FALSE(example.empty());
  for (const auto& k : ConfigKeyDocs()) {
    if (k.section == "detect.rule" || k.key == "rule") continue;  // shown commented out
    // [logs] paths is shown commented out: set, it would keep the log beside
    // the journal when an admin turns the journal on.
    const bool shown = example.find("\n" + k.key + " = ") != std::string::npos ||
                       example.find("\n# " + k.key + " = ") != std::string::npos;
    EXPECT_TRUE(shown) << "[" << k.section << "] " << k.key << " is not in examples/mailtrail.toml";
  }
}

TEST(ConfigKeys, AReloadNamesTheSectionsThatWaitForARestart) {
  const Config before;
  Config after = before;
  after.detect.subject_bounces = 7;  // the detector restarts with the agent
  after.logs.paths = {"/x.log"};
  EXPECT_TRUE(SectionsWaitingForRestart(before, after).empty());
  after.policy.reply = "REJECT";
  EXPECT_EQ(SectionsWaitingForRestart(before, after), std::vector<std::string>{"[policy]"});
  after.enforce.firewall_ports = {25};
  after.enforce.nftables = true;
  EXPECT_EQ(SectionsWaitingForRestart(before, after),
            (std::vector<std::string>{"[policy]", "[enforce]"}));
  // Only the policy service, the enforcement backends and the web console are
  // built once.
  for (const auto& k : ConfigKeyDocs())
    EXPECT_EQ(k.reloadable, k.section != "policy" && k.section != "enforce" && k.section != "web")
        << k.key;
}

}  // namespace
}  // namespace mailtrail
