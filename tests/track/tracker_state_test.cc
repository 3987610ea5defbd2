// A tracker saved at any line and restored into a fresh one gives exactly the
// records of one uninterrupted run: restarts split no message.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/corpus.h"
#include "tests/support/sorted_json.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

void CheckSplits(const std::string& corpus, int splits) {
  const auto lines = ReadCorpusLines(corpus);
  ASSERT_GT(lines.size(), 100u);
  TrackerOptions opts;
  opts.keep_events = true;
  TrackerHarness whole(opts);
  whole.Feed(lines);
  whole.Flush();
  const auto want = SortedJson(whole.records());
  for (int k = 1; k <= splits; ++k) {
    const size_t cut = lines.size() * k / (splits + 1);
    TrackerHarness first(opts);
    first.Feed({lines.begin(), lines.begin() + static_cast<long>(cut)});
    const std::string state = first.tracker().SaveState();
    TrackerHarness second(opts);
    ASSERT_TRUE(second.tracker().LoadState(state).ok());
    second.Feed({lines.begin() + static_cast<long>(cut), lines.end()});
    second.Flush();
    std::vector<MessageRecord> all = std::move(first.records());
    for (auto& r : second.records()) all.push_back(std::move(r));
    EXPECT_EQ(SortedJson(all), want) << corpus << " cut at line " << cut;
  }
}

TEST(TrackerState, RestoredTrackerContinuesExactlyOnEveryCorpus) {
  for (const char* c : {"02-smtp-rejects.log.gz", "03-outbound-relay-bounce.log.gz",
                        "04-content-filter-amavis.log.gz", "08-long-queue-ids.log.gz"})
    CheckSplits(c, 7);
  CheckSplits("06-volume.log.gz", 3);
}

TEST(TrackerState, HostileTextAndExactDelaysSurviveASaveAndLoad) {
  // A deferred message stays open: its subject carries quotes, a backslash, a
  // control byte and bytes that are not UTF-8; its delay has nine decimals.
  const std::vector<std::string> lines = {
      "Nov 27 10:00:00 mx postfix/smtpd[100]: connect from a.example[192.0.2.1]",
      "Nov 27 10:00:00 mx postfix/smtpd[100]: 4A1B2C3D4E: client=a.example[192.0.2.1]",
      "Nov 27 10:00:01 mx postfix/cleanup[101]: 4A1B2C3D4E: message-id=<x@y>",
      "Nov 27 10:00:01 mx postfix/cleanup[101]: 4A1B2C3D4E: info: header Subject: Hi \"there\" "
      "\\ \x01 \xff\xfe end from a.example[192.0.2.1]; from=<a@b> to=<c@d> proto=ESMTP helo=<a>",
      "Nov 27 10:00:01 mx postfix/qmgr[102]: 4A1B2C3D4E: from=<a@b>, size=100, nrcpt=1 (queue "
      "active)",
      "Nov 27 10:00:02 mx postfix/smtp[103]: 4A1B2C3D4E: to=<c@d>, relay=none, "
      "delay=0.123456789, delays=0.1/0/0/0.02, dsn=4.4.1, status=deferred (connect timed out)",
  };
  TrackerOptions opts;
  opts.keep_events = true;
  TrackerHarness first(opts);
  first.Feed(lines);
  ASSERT_EQ(first.tracker().open_records(), 1u);
  const std::string state = first.tracker().SaveState();
  EXPECT_NE(state.find(",0.123456789,"), std::string::npos) << state;  // the delay as a number
  EXPECT_NE(state.find("Hi \\\"there\\\" \\\\ \\u0001 \xEF\xBF\xBD\xEF\xBF\xBD end"),
            std::string::npos)
      << state;
  TrackerHarness second(opts);
  ASSERT_TRUE(second.tracker().LoadState(state).ok());
  EXPECT_EQ(second.tracker().SaveState(), state);
}

TEST(TrackerState, GarbageStateIsRefusedAndLeavesTheTrackerEmpty) {
  TrackerHarness h;
  EXPECT_FALSE(h.tracker().LoadState("not json").ok());
  EXPECT_FALSE(h.tracker().LoadState("{\"v\": 1, \"now\": 5}").ok());
  EXPECT_FALSE(h.tracker().LoadState("{\"v\": 99}").ok());
  EXPECT_EQ(h.tracker().open_records(), 0u);
}

}  // namespace
}  // namespace mailtrail
