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

TEST(TrackerState, GarbageStateIsRefusedAndLeavesTheTrackerEmpty) {
  TrackerHarness h;
  EXPECT_FALSE(h.tracker().LoadState("not json").ok());
  EXPECT_FALSE(h.tracker().LoadState("{\"v\": 1, \"now\": 5}").ok());
  EXPECT_FALSE(h.tracker().LoadState("{\"v\": 99}").ok());
  EXPECT_EQ(h.tracker().open_records(), 0u);
}

}  // namespace
}  // namespace mailtrail
