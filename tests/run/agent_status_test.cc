// The status row the live agent saves for `mailtrail stats` and the web
// console (Store::SaveAgentStatus): saved every status_interval while it runs
// and once at its stop, with the agent's own counts.
#include <gtest/gtest.h>

#include "agent/run/agent.h"
#include "tests/support/agent_steps.h"
#include "tests/support/corpus.h"
#include "tests/support/fake_clock.h"
#include "tests/support/mem_file_system.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

TEST(AgentStatus, SavedWhileRunningAndAtTheStopWithTheAgentsCounts) {
  const auto lines = ReadCorpusLines("01-inbound-local.log.gz");
  ASSERT_FALSE(lines.empty());
  TempDir dir("mt_agent_status");
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  // A second connection reads what the writer thread saved.
  auto reader = OpenStore("sqlite:" + dir.File("t.db"), Detail::kStandard, false);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  MemFileSystem fs;
  FakeClock clock;
  AgentOptions o;
  o.logs = {"/var/log/mail.log"};
  o.from_start = true;
  o.lines_per_step = 100;
  o.fleet_agent = "mx.test";
  o.status_interval = 10 * kUsPerSecond;
  const TimeUs started = clock.WallNow();
  Agent agent(o, store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  text += "Nov 27 12:00:00 mx postfix/smtpd[1]: a line no parser knows\n";
  fs.Append("/var/log/mail.log", text);

  auto saved = [&]() -> std::vector<AgentStatus> {
    auto rows = (*reader)->ListAgentStatus();
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    return rows.ok() ? *rows : std::vector<AgentStatus>{};
  };
  // Steps of one second: the row is saved at the first and every 10th.
  TimeUs first_saved = 0;
  for (int i = 0; i < 30; ++i) {
    clock.Advance(kUsPerSecond);
    ASSERT_TRUE(StepWithRoom(agent).ok());
    if (first_saved == 0) {
      // The writer thread saves it; wait for it here (checked again after each
      // piece of the writer's work; 60 s only guard against a hang).
      agent.writer().WaitUntil([&](const auto&) { return !saved().empty(); }, 60000);
      auto rows = saved();
      ASSERT_EQ(rows.size(), 1u) << "no status row after the first step";
      first_saved = rows[0].updated;
      EXPECT_EQ(rows[0].updated, clock.WallNow());
    }
  }
  ASSERT_TRUE(agent.Stop().ok());
  auto rows = saved();
  ASSERT_EQ(rows.size(), 1u);
  const AgentStatus& s = rows[0];
  EXPECT_EQ(s.agent, "mx.test");
  EXPECT_EQ(s.started, started);
  EXPECT_EQ(s.updated, clock.WallNow());  // the stop's row
  EXPECT_GT(s.updated, first_saved);
  EXPECT_EQ(s.lines, static_cast<int64_t>(lines.size() + 1));
  EXPECT_EQ(s.lines, agent.lines_read());
  EXPECT_GE(s.unknown_lines, 1);
  EXPECT_EQ(s.unknown_lines, agent.unknown_lines());
  EXPECT_GT(s.records, 0);
  EXPECT_EQ(s.records, agent.records_written());
  EXPECT_EQ(s.open_messages, static_cast<int64_t>(agent.open_records()));
  EXPECT_NE(s.last_line, 0);
  EXPECT_EQ(s.queue_files_read, 0);  // no queue watched
}

}  // namespace
}  // namespace mailtrail
