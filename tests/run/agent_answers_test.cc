// The live agent's fleet-wide answers (docs/detection.md): how long the other
// agents' presences stood still goes to its checkpoint even while its log is
// quiet, so that a reader restarted more often than the window still takes
// an agent gone as gone (helper-76: it was saved only with other changes).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/run/agent.h"
#include "agent/run/checkpoint.h"
#include "tests/support/agent_steps.h"
#include "tests/support/fake_clock.h"
#include "tests/support/mem_file_system.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

// The detector state of the store's checkpoint: its last part that has one.
nlohmann::json SavedDetectorState(Store* store) {
  auto parts = store->LoadCheckpoint();
  EXPECT_TRUE(parts.ok()) << parts.status().message();
  std::string state;
  for (const std::string& part : parts.ok() ? *parts : std::vector<std::string>{}) {
    auto cp = DecodeCheckpoint(part);
    EXPECT_TRUE(cp.ok()) << cp.status().message();
    if (cp.ok() && !cp->detector_state.empty()) state = cp->detector_state;
  }
  return state.empty() ? nlohmann::json() : nlohmann::json::parse(state);
}

TEST(AgentAnswers, HowLongTheOthersStoodIsSavedWhileTheLogIsQuiet) {
  TempDir dir("mt_agent_answers");
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  FakeClock clock;
  // A relay that said it was there once, and then nothing.
  AnswerRequest relay;
  relay.agent = "relay";
  relay.wall_now = clock.WallNow();
  relay.window = 86400 * kUsPerSecond;
  relay.limit = 10;
  ASSERT_TRUE(store->ExchangeAnswers(relay).ok());

  MemFileSystem fs;
  AgentOptions o;
  o.logs = {"/var/log/mail.log"};
  o.from_start = true;
  o.fleet_agent = "mx.test";
  o.detect = true;
  o.fleet = true;
  o.detector.answers.share = true;
  Agent agent(o, store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  // One line for a log time (a message no record holds: none is made), then
  // nothing for 15 minutes.
  fs.Append("/var/log/mail.log", "Nov 27 12:00:00 mx postfix/qmgr[2]: 3F1A2B4C5D: removed\n");
  for (int i = 0; i < 15 * 60; ++i) {
    clock.Advance(kUsPerSecond);
    ASSERT_TRUE(StepWithRoom(agent).ok());
  }
  // What a crash would leave, before any stop: the writer thread saves it
  // (checked after each piece of its work; 60 s only guard against a hang).
  // Read through a connection of its own: the writer thread uses `store`.
  auto reader = OpenStore("sqlite:" + dir.File("t.db"), Detail::kStandard, false);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  TimeUs stood = -1;
  agent.writer().WaitUntil(
      [&](const auto&) {
        const nlohmann::json state = SavedDetectorState(reader->get());
        if (state.contains("fleet_answers"))
          for (const auto& h : state["fleet_answers"]["heard"])
            if (h.at(0) == "relay") stood = h.at(3).get<TimeUs>();
        return stood >= 9 * 60 * kUsPerSecond;
      },
      60000);
  // Saved at the first exchange that heard it, and every 10 minutes on.
  EXPECT_GE(stood, 9 * 60 * kUsPerSecond);
  ASSERT_TRUE(agent.Stop().ok());
}

}  // namespace
}  // namespace mailtrail
