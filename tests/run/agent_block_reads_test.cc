// What the live agent reads of the store's blocks: at its start the blocks
// that can still count (active, or ended within max_period: a strike), not
// every row ever made; at each refresh the active rows and the rows of its
// own active blocks, not every row that ended since its oldest block began
// (helper-110 F7: 31% of a core and 537-592 MB with 150,000 such rows and
// one week-long block). A real SQLite store behind a store that counts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/run/agent.h"
#include "base/cidr.h"
#include "tests/support/agent_steps.h"
#include "tests/support/corpus.h"
#include "tests/support/fake_clock.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/mem_file_system.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

constexpr TimeUs kNow = 1795780000LL * kUsPerSecond;
constexpr TimeUs kDay = 86400 * kUsPerSecond;

// Counts the block rows each read hands back (the writer's thread reads).
class CountingStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  StatusOr<std::vector<Block>> LoadBlocks(TimeUs at) override {
    if (at < fail_before && fails_left.fetch_sub(1) > 0)
      return Count(Status::Unavailable("the store does not answer (test)"));
    return Count(ForwardingStore::LoadBlocks(at));
  }
  // Reads from before `fail_before` fail this often first.
  TimeUs fail_before = 0;
  std::atomic<int> fails_left{0};
  StatusOr<std::vector<Block>> LoadBlocksOf(const std::vector<BlockId>& ids) override {
    return Count(ForwardingStore::LoadBlocksOf(ids));
  }
  std::vector<size_t> reads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reads_;
  }

 private:
  StatusOr<std::vector<Block>> Count(StatusOr<std::vector<Block>> r) {
    std::lock_guard<std::mutex> lock(mu_);
    reads_.push_back(r.ok() ? r->size() : 0);
    return r;
  }
  mutable std::mutex mu_;
  std::vector<size_t> reads_;
};

Block Row(const std::string& ip, TimeUs created, TimeUs expires) {
  Block b;
  b.key = ip;
  b.created = created;
  b.expires = expires;
  b.rule = "backscatter-ip";
  b.origin_host = "mx1";
  return b;
}

TEST(AgentBlockReads, TheStartAndTheRefreshesReadWhatCanStillCount) {
  TempDir dir{"mt_block_reads"};
  std::unique_ptr<Store> real = OpenTestStore(dir);
  ASSERT_NE(real, nullptr);
  // A week's block made six days ago; 300 blocks that began and ended since
  // (strikes still); 200 that ended three weeks ago and more (no strike).
  std::vector<Block> rows = {Row("198.51.100.7", kNow - 6 * kDay, kNow + kDay)};
  for (int i = 0; i < 300; ++i) {
    const TimeUs at = kNow - 5 * kDay + i * 1000 * kUsPerSecond;
    rows.push_back(Row("192.0.2." + std::to_string(i % 250), at, at + 600 * kUsPerSecond));
  }
  for (int i = 0; i < 200; ++i) {
    const TimeUs at = kNow - 30 * kDay + i * 1000 * kUsPerSecond;
    rows.push_back(Row("203.0.113." + std::to_string(i % 250), at, at + 600 * kUsPerSecond));
  }
  ASSERT_TRUE(real->SaveBlocks(rows).ok());

  CountingStore store(real.get());
  MemFileSystem fs;
  fs.Append("/var/log/mail.log", "");
  FakeClock clock(kNow);
  AgentOptions o;
  o.logs = {"/var/log/mail.log"};
  o.from_start = true;
  o.detect = true;
  o.block_refresh = 2 * kUsPerSecond;
  Agent agent(o, &store, &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_EQ(store.reads().size(), 1u);
  EXPECT_EQ(store.reads()[0], 301u) << "the start reads the rows that can count, not all 501";
  ASSERT_EQ(agent.blocks()->Active().size(), 1u);

  // Three refreshes, each on the writer's thread: steps on the clock until
  // they are read (a guard of real time against a hang, no time asserted).
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (store.reads().size() < 4 && std::chrono::steady_clock::now() < guard) {
    clock.Advance(kUsPerSecond);
    ASSERT_TRUE(StepWithRoom(agent).ok());
    ASSERT_TRUE(WaitForWriterIdle(agent));  // the refresh asked for is read
  }
  const std::vector<size_t> reads = store.reads();
  ASSERT_GE(reads.size(), 4u) << "no refresh was read";
  for (size_t i = 1; i < reads.size(); ++i)
    EXPECT_EQ(reads[i], 1u) << "refresh " << i << " read the history since the oldest block";
  EXPECT_EQ(agent.blocks()->Active().size(), 1u);
  ASSERT_TRUE(agent.Stop().ok());
}

// An agent started with its clock a month ahead of the truth, over a store
// whose row of corpus 05's first flooding source ended within the true week
// with 3 strikes; the flood's block of that source tells which strikes the
// agent read.
class AheadAtStart : public ::testing::Test {
 protected:
  static constexpr TimeUs kTrue = 1795780000LL * kUsPerSecond - 9 * 3600 * kUsPerSecond;
  static constexpr char kSource[] = "127.0.9.14";

  // Saves the row that ended at `ended` and starts the agent.
  void Start(TimeUs ended) {
    ASSERT_NE(real_, nullptr);
    before_ = Row(kSource, ended - kDay, ended);
    before_.strikes = 3;
    ASSERT_TRUE(real_->SaveBlocks({before_}).ok());
    fs_.Append("/var/log/mail.log", "");
    AgentOptions o;
    o.logs = {"/var/log/mail.log"};
    o.from_start = true;
    o.lines_per_step = 1000000;
    o.flush_interval = kUsPerSecond;
    o.detect = true;
    o.blocks.allow_cidrs = {*Cidr::Parse("127.0.0.1/32")};
    o.blocks.period = 600 * kUsPerSecond;
    o.block_refresh = 2 * kUsPerSecond;
    agent_ = std::make_unique<Agent>(o, &store_, &fs_, &clock_);
    ASSERT_TRUE(agent_->Start().ok());
    ASSERT_EQ(store_.reads(), std::vector<size_t>{0}) << "a month ahead, the start read no row";
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(Step());  // running with the clock ahead
  }
  bool Step() {
    clock_.Advance(kUsPerSecond);
    return StepWithRoom(*agent_).ok();
  }
  // The flood, then the strikes of its block of kSource (0: not blocked).
  int FloodStrikes() {
    std::string flood;
    for (const auto& l : ReadCorpusLines("05-backscatter-flood.log.gz")) flood += l + "\n";
    fs_.Append("/var/log/mail.log", flood);
    for (int i = 0; i < 30; ++i)
      if (!Step()) return -1;
    if (!agent_->Stop().ok()) return -1;
    auto rows = real_->LoadBlocks(-1);
    int strikes = rows.ok() ? 0 : -1;
    for (const Block& b : rows.ok() ? *rows : std::vector<Block>{})
      if (b.key == kSource && b.created > before_.created) strikes = b.strikes;
    return strikes;
  }

  TempDir dir_{"mt_block_reads_ahead"};
  std::unique_ptr<Store> real_ = OpenTestStore(dir_);
  CountingStore store_{real_.get()};
  MemFileSystem fs_;
  FakeClock clock_{kTrue + 30 * kDay};
  Block before_;
  std::unique_ptr<Agent> agent_;
};

// Once the clock is put right, the next refresh reads the week's rows: the
// flood's source blocked three times in that week is blocked a fourth time,
// 8 times the period (helper-113 F2). The first such read fails (a store not
// up yet at boot): the next one reads them (helper-115: the one wide
// refresh was lost).
TEST_F(AheadAtStart, AClockPutBackReadsTheStrikesTheStartMissed) {
  Start(kTrue - 2 * kDay);
  store_.fail_before = kTrue;
  store_.fails_left = 1;
  clock_.StepWall(-30 * kDay);
  auto read_it = [&] {
    for (size_t n : store_.reads())
      if (n > 0) return true;
    return false;
  };
  for (int i = 0; i < 100 && !read_it(); ++i) {
    ASSERT_TRUE(Step());
    ASSERT_TRUE(WaitForWriterIdle(*agent_));  // the refresh asked for is read
  }
  ASSERT_TRUE(read_it()) << "no refresh read the week before the clock";
  ASSERT_TRUE(Step()) << "the read handed over";
  EXPECT_EQ(FloodStrikes(), 4) << "0: not blocked; 1: the week's strikes were not read";
}

// Two steps back, the second before the first one's wide read is handed
// over: that read (from a week before the first step) does not cover the
// week before the second, and the next refresh reads it (helper-116).
TEST_F(AheadAtStart, ASecondStepBackReadsFromItsOwnWeek) {
  Start(kTrue - 3 * kDay);  // after the second step's week began, before the first's
  const size_t reads = store_.reads().size();
  clock_.StepWall(-25 * kDay);  // still 5 days ahead: reads from 2 days before the truth
  // One step at a time until the writer has read (not yet handed over: the
  // next step takes it).
  for (int i = 0; i < 10 && store_.reads().size() == reads; ++i) {
    ASSERT_TRUE(Step());
    ASSERT_TRUE(WaitForWriterIdle(*agent_));
  }
  ASSERT_GT(store_.reads().size(), reads) << "the first wide read";
  clock_.StepWall(-5 * kDay);  // the truth, before that read is handed over
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Step());
    ASSERT_TRUE(WaitForWriterIdle(*agent_));
  }
  EXPECT_EQ(FloodStrikes(), 4) << "1: the second step's week was not read";
}

}  // namespace
}  // namespace mailtrail
