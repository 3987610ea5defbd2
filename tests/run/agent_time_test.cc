// The live agent and time: the year of yearless log lines across a restart
// (the checkpoint keeps where the year stood and the month it was reading, so
// lines of January read after a restart that came between December's and
// theirs belong to the next year), and blocks when the wall clock is stepped
// back (they keep the time they had left, not their end by the clock).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/run/agent.h"
#include "base/cidr.h"
#include "base/civil_time.h"
#include "tests/support/agent_steps.h"
#include "tests/support/corpus.h"
#include "tests/support/fake_clock.h"
#include "tests/support/mem_file_system.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

constexpr TimeUs kNewYearsEve = 1798761595LL * kUsPerSecond;  // 2026-12-31T23:59:55Z

AgentOptions Options() {
  AgentOptions o;
  o.logs = {"/var/log/mail.log"};
  o.from_start = true;
  o.flush_interval = kUsPerSecond;
  return o;
}

// "first_seen last_seen" of each stored record.
std::map<std::string, std::string> SeenByQid(Store* store) {
  std::map<std::string, std::string> out;
  SearchQuery q;
  EXPECT_TRUE(store
                  ->Search(q,
                           [&](MessageRecord&& r) {
                             out[r.qid] =
                                 FormatRfc3339(r.first_seen) + " " + FormatRfc3339(r.last_seen);
                           })
                  .ok());
  return out;
}

void StepFor(Agent* agent, FakeClock* clock, int seconds) {
  for (int i = 0; i < seconds; ++i) {
    clock->Advance(kUsPerSecond);
    auto n = StepWithRoom(*agent);
    ASSERT_TRUE(n.ok()) << n.status().message();
  }
}

// The agent is killed (no Stop(), no last flush) after December's lines; it
// comes back in January, when January's lines are written.
TEST(AgentTime, JanuaryAfterARestartIsTheNextYear) {
  TempDir dir{"mt_agent_year"};
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  MemFileSystem fs;
  FakeClock clock(kNewYearsEve);
  fs.Append("/var/log/mail.log",
            "Dec 31 23:59:50 mx postfix/pickup[1]: 1A2B310A301: uid=0 from=<root@example.test>\n"
            "Dec 31 23:59:51 mx postfix/qmgr[3]: 1A2B310A301: removed\n");
  auto agent = std::make_unique<Agent>(Options(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent->Start().ok());
  StepFor(agent.get(), &clock, 3);  // read, and a checkpoint written
  agent.reset();
  clock.Advance(60 * kUsPerSecond);  // 2027-01-01T00:00:58Z
  fs.Append("/var/log/mail.log",
            "Jan  1 00:00:40 mx postfix/pickup[1]: 4C5D610A302: uid=0 from=<root@example.test>\n"
            "Jan  1 00:00:41 mx postfix/qmgr[3]: 4C5D610A302: removed\n");
  agent = std::make_unique<Agent>(Options(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent->Start().ok());
  StepFor(agent.get(), &clock, 3);
  ASSERT_TRUE(agent->Stop().ok());
  auto seen = SeenByQid(store.get());
  EXPECT_EQ(seen["1A2B310A301"], "2026-12-31T23:59:50Z 2026-12-31T23:59:51Z");
  EXPECT_EQ(seen["4C5D610A302"], "2027-01-01T00:00:40Z 2027-01-01T00:00:41Z");
}

// A December straggler (stamped by its process a moment before the January
// line logged ahead of it) read after a restart stays last year's.
TEST(AgentTime, ADecemberStragglerAfterARestartStaysLastYears) {
  TempDir dir{"mt_agent_year"};
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  MemFileSystem fs;
  FakeClock clock(kNewYearsEve + 10 * kUsPerSecond);  // 2027-01-01T00:00:05Z
  fs.Append("/var/log/mail.log",
            "Dec 31 23:59:58 mx postfix/pickup[1]: 1A2B310A301: uid=0 from=<root@example.test>\n"
            "Jan  1 00:00:01 mx postfix/pickup[1]: 4C5D610A302: uid=0 from=<root@example.test>\n");
  auto agent = std::make_unique<Agent>(Options(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent->Start().ok());
  StepFor(agent.get(), &clock, 3);
  agent.reset();
  fs.Append("/var/log/mail.log",
            "Dec 31 23:59:59 mx postfix/qmgr[3]: 1A2B310A301: removed\n"
            "Jan  1 00:00:02 mx postfix/qmgr[3]: 4C5D610A302: removed\n"
            "Jan  1 00:00:03 mx postfix/pickup[1]: 7E8F910A303: uid=0 from=<root@example.test>\n"
            "Jan  1 00:00:04 mx postfix/qmgr[3]: 7E8F910A303: removed\n");
  agent = std::make_unique<Agent>(Options(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent->Start().ok());
  StepFor(agent.get(), &clock, 3);
  ASSERT_TRUE(agent->Stop().ok());
  auto seen = SeenByQid(store.get());
  EXPECT_EQ(seen["1A2B310A301"], "2026-12-31T23:59:58Z 2026-12-31T23:59:59Z");
  EXPECT_EQ(seen["4C5D610A302"], "2027-01-01T00:00:01Z 2027-01-01T00:00:02Z");
  EXPECT_EQ(seen["7E8F910A303"], "2027-01-01T00:00:03Z 2027-01-01T00:00:04Z");
}

// What a detecting agent in these tests runs with: blocks of 10 minutes.
AgentOptions Detecting() {
  AgentOptions o = Options();
  o.lines_per_step = 1000000;
  o.detect = true;
  o.blocks.allow_cidrs = {*Cidr::Parse("127.0.0.1/32")};
  o.blocks.period = 600 * kUsPerSecond;
  return o;
}

std::string Flood() {
  std::string text;
  for (const auto& l : ReadCorpusLines("05-backscatter-flood.log.gz")) text += l + "\n";
  return text;
}

constexpr TimeUs kBeforeTheFlood = 1795780000LL * kUsPerSecond - 9 * 3600 * kUsPerSecond;

// `text`'s lines stamped `by` seconds later ("Nov 27 12:10:10" to
// "Nov 27 03:22:10"); all in the same day.
std::string Restamped(const std::string& text, int by) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    std::string line = text.substr(at, end - at);
    at = end + 1;
    const int t = std::stoi(line.substr(7, 2)) * 3600 + std::stoi(line.substr(10, 2)) * 60 +
                  std::stoi(line.substr(13, 2)) + by;
    char hms[16];
    std::snprintf(hms, sizeof hms, "%02d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    out += line.substr(0, 7) + hms + line.substr(15) + "\n";
  }
  return out;
}

// The log's clock was hours ahead (a host's clock put right after it wrote
// the flood), then comes back to the clock: blocks of the first flood end
// after their period of real time, and the same sources flooding again are
// blocked again. helper-94 D: the detector held them decided until the
// first flood's log time plus the period, hours ahead, and the second flood
// was not blocked for as long as the log had been ahead.
TEST(AgentTime, AfterTheLogComesBackToTheClockAFloodIsBlockedAgain) {
  TempDir dir{"mt_agent_log_back"};
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  MemFileSystem fs;
  FakeClock clock(kBeforeTheFlood);  // the flood's lines 9 h ahead of the clock
  Agent agent(Detecting(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  fs.Append("/var/log/mail.log", Flood());
  StepFor(&agent, &clock, 30);
  std::set<std::string> first;
  for (const Block& b : agent.blocks()->Active()) first.insert(b.key);
  ASSERT_FALSE(first.empty());
  StepFor(&agent, &clock, 660);
  ASSERT_TRUE(agent.blocks()->Active().empty()) << "ended after their period of real time";
  // The log is on the clock now: the same flood, stamped 9 h earlier than
  // the first (the clock has run 11 minutes since).
  fs.Append("/var/log/mail.log", Restamped(Flood(), -9 * 3600 + 12 * 60));
  StepFor(&agent, &clock, 30);
  std::set<std::string> again;
  for (const Block& b : agent.blocks()->Active()) again.insert(b.key);
  EXPECT_EQ(again, first) << "the same sources and subjects blocked again";
  ASSERT_TRUE(agent.Stop().ok());
}

// The clock stepped back an hour while blocks run: each still ends after its
// period of real time (it kept its end by the clock, an hour late, before),
// and the store holds the earlier end for every other reader.
TEST(AgentTime, BlocksKeepTheirTimeLeftWhenTheClockStepsBack) {
  TempDir dir{"mt_agent_step"};
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  MemFileSystem fs;
  FakeClock clock(kBeforeTheFlood);  // lines ahead of the clock: blocks start now
  Agent agent(Detecting(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  fs.Append("/var/log/mail.log", Flood());
  StepFor(&agent, &clock, 30);
  const size_t blocked = agent.blocks()->Active().size();
  ASSERT_GT(blocked, 0u);
  clock.StepWall(-3600 * kUsPerSecond);
  StepFor(&agent, &clock, 1);
  EXPECT_EQ(agent.blocks()->Active().size(), blocked) << "a step is no end";
  StepFor(&agent, &clock, 600);
  EXPECT_TRUE(agent.blocks()->Active().empty()) << "ended after their period of real time";
  ASSERT_TRUE(agent.Stop().ok());
  auto saved = store->LoadBlocks(-1);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->size(), blocked);
  for (const Block& b : *saved) EXPECT_LE(b.expires, clock.WallNow()) << b.key;
}

// The in-memory file system, with a next Stat of the log that takes `stall`
// (the process stopped, or a slow disk, in the middle of one step).
class StallingFs : public FileSystem {
 public:
  StallingFs(MemFileSystem* fs, FakeClock* clock) : fs_(fs), clock_(clock) {}
  StatusOr<FileInfo> Stat(const std::string& path) override {
    if (stall > 0 && path == "/var/log/mail.log") clock_->Advance(std::exchange(stall, 0));
    return fs_->Stat(path);
  }
  StatusOr<std::unique_ptr<ReadableFile>> Open(const std::string& path) override {
    return fs_->Open(path);
  }
  StatusOr<std::vector<std::string>> List(const std::string& dir) override {
    return fs_->List(dir);
  }
  TimeUs stall = 0;

 private:
  MemFileSystem* fs_;
  FakeClock* clock_;
};

// A step that stalls 30 s with the clock untouched is no step back (it was
// taken for one: the wall clock was read long after the monotonic one).
TEST(AgentTime, AStallIsNoClockStep) {
  TempDir dir{"mt_agent_step"};
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  MemFileSystem mem;
  FakeClock clock(kBeforeTheFlood);
  StallingFs fs(&mem, &clock);
  Agent agent(Detecting(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  mem.Append("/var/log/mail.log", Flood());
  StepFor(&agent, &clock, 3);
  const auto before = agent.blocks()->Active();
  ASSERT_FALSE(before.empty());
  fs.stall = 30 * kUsPerSecond;
  StepFor(&agent, &clock, 2);
  const auto after = agent.blocks()->Active();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].expires, before[i].expires);
}

// Blocks decided in the step in which the clock went back are made on the
// clock as it is now: they keep their whole period (they lost the step too).
TEST(AgentTime, BlocksDecidedAfterTheStepKeepTheirPeriod) {
  TempDir dir{"mt_agent_step"};
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  MemFileSystem fs;
  FakeClock clock(kBeforeTheFlood);
  Agent agent(Detecting(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  StepFor(&agent, &clock, 2);
  clock.StepWall(-3600 * kUsPerSecond);
  fs.Append("/var/log/mail.log", Flood());
  StepFor(&agent, &clock, 1);
  ASSERT_TRUE(agent.Stop().ok());
  auto saved = store->LoadBlocks(-1);
  ASSERT_TRUE(saved.ok());
  ASSERT_FALSE(saved->empty());
  for (const Block& b : *saved) EXPECT_EQ(b.expires - b.created, 600 * kUsPerSecond) << b.key;
}

// Another agent's block (a shared store) was made on its clock, which the
// step of this one says nothing about: it is not moved, here or in the store
// (it was, ending early for every agent).
TEST(AgentTime, AnotherAgentsBlockIsNotMoved) {
  TempDir dir{"mt_agent_step"};
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  MemFileSystem fs;
  fs.Create("/var/log/mail.log");
  FakeClock clock(kBeforeTheFlood);
  Block theirs;
  theirs.kind = BlockKind::kIp;
  theirs.key = "192.0.2.77";
  theirs.origin_host = "mx2";
  theirs.reason = "theirs";
  theirs.created = clock.WallNow();
  theirs.expires = theirs.created + 3600 * kUsPerSecond;
  ASSERT_TRUE(store->SaveBlocks({theirs}).ok());
  Agent agent(Detecting(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  StepFor(&agent, &clock, 2);
  ASSERT_EQ(agent.blocks()->Active().size(), 1u);
  clock.StepWall(-1800 * kUsPerSecond);
  StepFor(&agent, &clock, 3);
  ASSERT_EQ(agent.blocks()->Active().size(), 1u);
  EXPECT_EQ(agent.blocks()->Active()[0].expires, theirs.expires);
  ASSERT_TRUE(agent.Stop().ok());
  auto saved = store->LoadBlocks(-1);
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ(saved->size(), 1u);
  EXPECT_EQ((*saved)[0].expires, theirs.expires);
}

// The clock set back eight days while the agent was stopped (past [blocks]
// max_period, 7 days): a block of ten minutes made before that holds a
// creation eight days ahead of the clock at the restart. By the clock it
// would run eight days and ten minutes; it is not enforced, and the refreshes
// that read its row every few seconds agree.
TEST(AgentTime, ABlockMadeFarAheadOfTheClockIsNotEnforced) {
  TempDir dir{"mt_agent_step"};
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  MemFileSystem fs;
  fs.Create("/var/log/mail.log");
  FakeClock clock(kBeforeTheFlood);
  Block ahead;
  ahead.kind = BlockKind::kIp;
  ahead.key = "192.0.2.78";
  ahead.reason = "made before the clock was set back";
  ahead.created = clock.WallNow() + 8 * 86400 * kUsPerSecond;
  ahead.expires = ahead.created + 600 * kUsPerSecond;
  ASSERT_TRUE(store->SaveBlocks({ahead}).ok());
  Agent agent(Detecting(), store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  for (int i = 0; i < 120; ++i) {
    StepFor(&agent, &clock, 10);
    ASSERT_TRUE(agent.blocks()->Active().empty()) << "at +" << (i + 1) * 10 << " s";
  }
  ASSERT_TRUE(agent.Stop().ok());
}

}  // namespace
}  // namespace mailtrail
