// The verb spec's parse-or-usage (agent/cli/verb_spec.h): flags checked by
// kind and allowed values, sub-verbs with their own flags and operands, the
// exit codes of --help and of usage errors, and the help printed from it.
#include "agent/cli/verb_spec.h"

#include <gtest/gtest.h>

#include <set>

#include "agent/cli/verbs.h"
#include "tests/support/fake_clock.h"

namespace mailtrail::cli {
namespace {

const VerbSpec kToy = {
    "toy",
    "a verb for the test",
    "[options] FILE...",
    {
        IntFlag("count", "how many", 1, 10),
        DurationFlag("every", "how often", kUsPerSecond, 3600 * kUsPerSecond,
                     DurationUnit::kSeconds),
        ChoiceFlag("format", "table or jsonl", {"table", "jsonl"}),
        {"name", true, "a name", "NAME"},
        {"quiet", false, "say less"},
        kHelpFlag,
    },
    1,
    2,
};

const VerbSpec kBox = {
    "box",
    "a verb with sub-verbs",
    "open|shut ...",
    {kHelpFlag},
    0,
    0,
    {
        {"open", "open one", "KEY [--wide]", {{"wide", false, "wide open"}}, 1, 1},
        {"shut", "shut all", "[--hard]", {{"hard", false, "for good"}}},
    },
};

std::optional<int> Parse(const VerbSpec& v, std::vector<std::string> argv, ParsedArgs* out) {
  return ParseOrUsage(v, argv, out);
}

TEST(VerbSpec, CheckedValuesAreParsedOnce) {
  ParsedArgs p;
  ASSERT_EQ(Parse(kToy, {"--count", "7", "--every=2m", "--format", "jsonl", "a.log"}, &p),
            std::nullopt);
  EXPECT_EQ(p.args.Number("count", 0), 7);
  EXPECT_EQ(p.args.Number("every", 0), 120 * kUsPerSecond);
  EXPECT_EQ(p.args.Number("absent", -5), -5);
  EXPECT_EQ(*p.args.Get("format"), "jsonl");
  EXPECT_EQ(p.operands, std::vector<std::string>{"a.log"});
  ASSERT_EQ(Parse(kToy, {"--every", "30", "x"}, &p), std::nullopt);  // a bare number: seconds
  EXPECT_EQ(p.args.Number("every", 0), 30 * kUsPerSecond);
}

TEST(VerbSpec, BadValuesArgumentsAndOptionsExit2) {
  for (const std::vector<std::string>& argv :
       std::vector<std::vector<std::string>>{{"--count", "11", "a"},
                                             {"--count", "x", "a"},
                                             {"--count=", "a"},
                                             {"--every", "0s", "a"},
                                             {"--every", "1y", "a"},
                                             {"--format", "xml", "a"},
                                             {"--name"},
                                             {"--quiet=yes", "a"},
                                             {"--bogus", "a"},
                                             {},                  // FILE... needs one
                                             {"a", "b", "c"}}) {  // at most two
    ParsedArgs p;
    EXPECT_EQ(Parse(kToy, argv, &p), kExitUsage) << ::testing::PrintToString(argv);
  }
  // A duration out of its range says the range (helper-94: "see --help for
  // its range", which --help did not give).
  ParsedArgs p;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(Parse(kToy, {"--every", "2h", "a"}, &p), kExitUsage);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("from 1s to 1h, not '2h'"), std::string::npos) << said;
}

TEST(VerbSpec, HelpExits0ForVerbsAndSubVerbs) {
  ParsedArgs p;
  EXPECT_EQ(Parse(kToy, {"--help"}, &p), kExitOk);  // with its operands missing
  EXPECT_EQ(Parse(kBox, {"--help"}, &p), kExitOk);
  EXPECT_EQ(Parse(kBox, {"open", "--help"}, &p), kExitOk);
  const std::string help = VerbHelp(kToy);
  EXPECT_EQ(help.rfind("usage: mailtrail toy [options] FILE...\n", 0), 0u) << help;
  EXPECT_NE(help.find("  --format table|jsonl "), std::string::npos) << help;
  EXPECT_NE(help.find("  --count N "), std::string::npos) << help;
  const std::string box = VerbHelp(kBox);
  EXPECT_NE(box.find("usage: mailtrail box open KEY [--wide]\n"), std::string::npos) << box;
  EXPECT_NE(box.find("       mailtrail box shut [--hard]\n"), std::string::npos) << box;
  EXPECT_NE(box.find("  --hard "), std::string::npos) << box;
}

TEST(VerbSpec, SubVerbsTakeTheirOwnFlagsAndOperands) {
  ParsedArgs p;
  ASSERT_EQ(Parse(kBox, {"open", "--wide", "k1"}, &p), std::nullopt);
  ASSERT_NE(p.sub, nullptr);
  EXPECT_STREQ(p.sub->name, "open");
  EXPECT_EQ(p.operands, std::vector<std::string>{"k1"});
  EXPECT_TRUE(p.args.Has("wide"));
  EXPECT_EQ(Parse(kBox, {"open", "--hard", "k1"}, &p), kExitUsage);  // shut's flag
  EXPECT_EQ(Parse(kBox, {"open"}, &p), kExitUsage);                  // KEY missing
  EXPECT_EQ(Parse(kBox, {"shut", "k1"}, &p), kExitUsage);            // shut takes none
  EXPECT_EQ(Parse(kBox, {"paint"}, &p), kExitUsage);
  EXPECT_EQ(Parse(kBox, {}, &p), kExitUsage);
}

TEST(VerbSpec, EveryVerbHasASummaryUsageAndHelpFlag) {
  for (const VerbSpec* v : AllVerbSpecs()) {
    EXPECT_NE(std::string(v->summary), "") << v->name;
    bool help = false;
    for (const auto& f : v->flags) help |= std::string(f.name) == "help";
    EXPECT_TRUE(help) << v->name;
    for (const VerbSpec& sub : v->subverbs) EXPECT_NE(std::string(sub.summary), "") << sub.name;
  }
}

// The one verb table (agent/cli/verb_table.cc): a row without a spec or a run
// function, two rows of one name, or a spec list that is not the table's fails.
TEST(VerbTable, EveryVerbHasASpecAndARunFunction) {
  ASSERT_FALSE(AllVerbs().empty());
  ASSERT_EQ(AllVerbSpecs().size(), AllVerbs().size());
  std::set<std::string> names;
  for (size_t i = 0; i < AllVerbs().size(); ++i) {
    const Verb& v = AllVerbs()[i];
    ASSERT_NE(v.spec, nullptr) << "row " << i;
    EXPECT_NE(v.run, nullptr) << v.spec->name;
    EXPECT_EQ(AllVerbSpecs()[i], v.spec) << v.spec->name;
    EXPECT_TRUE(names.insert(v.spec->name).second) << "twice: " << v.spec->name;
    EXPECT_EQ(FindVerb(v.spec->name), &v) << v.spec->name;
  }
  EXPECT_EQ(FindVerb("help"), nullptr);  // main()'s own, without a spec
  EXPECT_EQ(FindVerb("no-such-verb"), nullptr);
  EXPECT_EQ(FindVerb(""), nullptr);
}

std::vector<std::string> g_web_args;
int RecordingWebMain(const std::vector<std::string>& args, const Clock&) {
  g_web_args = args;
  return 42;
}

// `web` runs through a stand-in (WebMain is in the web library, which links
// the CLI's): without a registration it fails; with one, it runs that.
TEST(VerbTable, WebRunsWhatWasRegistered) {
  const Verb* web = FindVerb("web");
  ASSERT_NE(web, nullptr);
  const FakeClock clock;
  SetWebMain(nullptr);
  EXPECT_EQ(web->run({"--help"}, clock), kExitFailure);
  SetWebMain(RecordingWebMain);
  EXPECT_EQ(web->run({"--listen", "127.0.0.1:1"}, clock), 42);
  EXPECT_EQ(g_web_args, (std::vector<std::string>{"--listen", "127.0.0.1:1"}));
  SetWebMain(nullptr);
}

}  // namespace
}  // namespace mailtrail::cli
