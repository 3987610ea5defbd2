// What a start without a checkpoint says: a store made new (a first start,
// or a store file deleted while the agent ran, which now stops it) reads
// each log from its end unless `[logs] from_start`, and the lines already
// there are never read; it said nothing of that (helper-135 finding 4).
#include <gtest/gtest.h>

#include "agent/run/agent.h"
#include "tests/support/capture_logger.h"
#include "tests/support/fake_clock.h"
#include "tests/support/mem_file_system.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

constexpr char kSays[] = "no checkpoint in the store: each log is read from its end";

size_t SaysAtStart(bool from_start) {
  TempDir dir("mt_agent_start");
  std::unique_ptr<Store> store = OpenTestStore(dir);
  EXPECT_NE(store, nullptr);
  FakeClock clock;
  MemFileSystem fs;
  fs.Append("/var/log/mail.log", "Nov 27 12:00:00 mx postfix/qmgr[2]: 3F1A2B4C5D: removed\n");
  CaptureLogger log;
  AgentOptions o;
  o.logs = {"/var/log/mail.log"};
  o.from_start = from_start;
  o.log = &log;
  {
    Agent agent(o, store.get(), &fs, &clock);
    EXPECT_TRUE(agent.Start().ok());
    EXPECT_TRUE(agent.Stop().ok());
  }
  Agent again(o, store.get(), &fs, &clock);  // with the checkpoint: nothing said
  EXPECT_TRUE(again.Start().ok());
  EXPECT_TRUE(again.Stop().ok());
  return log.Count(kSays);
}

TEST(AgentStart, AStartWithoutACheckpointSaysItReadsFromTheEnd) {
  EXPECT_EQ(SaysAtStart(false), 1u);
  EXPECT_EQ(SaysAtStart(true), 0u);
}

}  // namespace
}  // namespace mailtrail
