// Issue 19 item 8: the detector's memory goes through a restart (SaveState,
// LoadState, and the checkpoint that carries it), and a restart never decides
// again a block that is still in force at the decision's log time.
#include <gtest/gtest.h>

#include "agent/blocks/block_manager.h"
#include "agent/detect/flood_detector.h"
#include "agent/run/checkpoint.h"
#include "tests/support/bounce_record.h"

namespace mailtrail {
namespace {

// Feeds `n` bounces from `ip` one second apart from `from`; the decisions.
std::vector<Decision> Feed(FloodDetector* d, const std::string& ip, int n, double from) {
  std::vector<Decision> out;
  for (int i = 0; i < n; ++i) d->OnRecord(Bounce(ip, "failure notice " + ip, from + i), &out);
  return out;
}

TEST(DetectorState, AWindowGoesOnCountingAfterARestart) {
  DetectorOptions o;  // ip rule: 20 bounces within 60 s
  FloodDetector before(o);
  EXPECT_TRUE(Feed(&before, "192.0.2.7", 15, 0).empty());
  const std::string saved = before.SaveState();

  FloodDetector forgetful(o);  // what a restart was before: 5 more decide nothing
  EXPECT_TRUE(Feed(&forgetful, "192.0.2.7", 5, 15).empty());

  FloodDetector after(o);
  ASSERT_TRUE(after.LoadState(saved).ok());
  EXPECT_EQ(after.bounces(), 15);
  const auto d = Feed(&after, "192.0.2.7", 5, 15);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].key, "192.0.2.7");
  // Saved once more after the decision: the next restart does not decide it again.
  FloodDetector again(o);
  ASSERT_TRUE(again.LoadState(after.SaveState()).ok());
  EXPECT_TRUE(Feed(&again, "192.0.2.7", 10, 20).empty());
  EXPECT_EQ(again.bounces(), 30);
}

TEST(DetectorState, ADamagedStateIsRefusedAndLeavesItEmpty) {
  FloodDetector d;
  Feed(&d, "192.0.2.7", 3, 0);
  EXPECT_FALSE(d.LoadState("{\"v\":1,\"subjects\":[[").ok());
  EXPECT_FALSE(d.LoadState("{\"v\":9}").ok());
  EXPECT_EQ(d.tracked_ips(), 0u);
}

TEST(DetectorState, TheCheckpointCarriesItSmallOrCompressed) {
  for (int n : {3, 400}) {
    FloodDetector d;
    for (int i = 0; i < n; ++i) Feed(&d, "192.0.2." + std::to_string(i % 250), 1, i);
    Checkpoint cp;
    cp.tracker_state = "{\"open\":[]}";
    cp.detector_state = d.SaveState();
    auto back = DecodeCheckpoint(EncodeCheckpoint(cp));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->detector_state, cp.detector_state) << n;
    EXPECT_EQ(back->tracker_state, cp.tracker_state);
    cp.tracker_state = std::string(5000, ' ') + "{}";  // both compressed
    back = DecodeCheckpoint(EncodeCheckpoint(cp));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->detector_state, cp.detector_state);
    EXPECT_EQ(back->tracker_state, cp.tracker_state);
  }
  // A version 1 checkpoint (before the detector's state) reads, without one.
  auto v1 = DecodeCheckpoint("{\"v\":1,\"seq\":3,\"streams\":[],\"tracker\":{\"a\":1}}");
  ASSERT_TRUE(v1.ok());
  EXPECT_TRUE(v1->detector_state.empty());
  EXPECT_EQ(v1->seq, 3);
}

TEST(BlockManager, ARestartDoesNotDecideAgainABlockInForceAtTheLogTime) {
  BlockPolicy p;
  BlockManager first(p);
  std::string why;
  Decision d;
  d.kind = Decision::Kind::kSubject;
  d.key = "returning message to sender";
  d.at = Sec(0);
  const Block* b = first.Apply(d, &why);
  ASSERT_NE(b, nullptr);
  const Block saved = *b;
  // Restarted while catching up: the clock is past the block's end, the log
  // time is not. The same flood decided again is the same block, no strike.
  BlockManager restarted(p);
  restarted.Restore({saved}, Sec(7200));
  d.at = Sec(600);
  EXPECT_EQ(restarted.Apply(d, &why), nullptr);
  EXPECT_EQ(why, "blocked already");
  d.at = Sec(4000);  // after its end: a second strike, twice as long
  b = restarted.Apply(d, &why);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->strikes, 2);
  EXPECT_EQ(b->expires, Sec(4000 + 7200));
}

}  // namespace
}  // namespace mailtrail
