// The live agent's composition root (agent/run/supervisor.h) and its
// enforcement tick (agent/run/enforcement.h), driven without the loop or a
// process: starts, reloads that apply, are rolled back or leave nothing
// running (no exit inside), a damaged store, and the Postfix access map
// following the live blocks (the real postmap).
#include "agent/run/supervisor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/run/enforcement.h"
#include "base/run_program.h"
#include "tests/support/agent_steps.h"
#include "tests/support/capture_logger.h"
#include "tests/support/fake_clock.h"
#include "tests/support/log_lines.h"
#include "tests/support/mem_file_system.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

struct Rig {
  TempDir dir{"mt_supervisor"};
  MemFileSystem fs;
  FakeClock clock;
  CaptureLogger said;
  Supervisor supervisor{&fs, &clock, Hooks()};

  SupervisorHooks Hooks() {
    SupervisorHooks h;
    h.log = &said;
    return h;
  }
  // A configuration reading `log` (in the in-memory file system) into a SQLite
  // store under the rig's directory; nothing that asks the machine (postconf).
  Config ConfigFor(const std::string& log) const {
    std::filesystem::create_directories(dir.path() / "store");
    Config c;
    c.store.url = "sqlite:" + dir.File("store/s.db");
    c.logs.paths = {log};
    c.logs.from_start = true;
    c.detect.enabled = false;
    return c;
  }
  void Write(const std::string& log, int messages) {
    for (const auto& line : QueuedMessageLines(messages, "Mar  3 06:00:00"))
      fs.Append(log, line + "\n");
  }
  // Steps the agent until it has read `lines` lines (a generous bound).
  bool ReadsAtLeast(int64_t lines) {
    for (int i = 0; i < 1000 && supervisor.agent()->lines_read() < lines; ++i)
      if (!StepWithRoom(*supervisor.agent()).ok()) return false;
    return supervisor.agent()->lines_read() >= lines;
  }
};

TEST(Supervisor, StartsAndReloadsOntoTheNewConfiguration) {
  Rig rig;
  rig.Write("/log/a", 5);
  rig.Write("/log/b", 7);
  ASSERT_TRUE(rig.supervisor.Start(rig.ConfigFor("/log/a"), 0, false).ok());
  ASSERT_NE(rig.supervisor.agent(), nullptr);
  ASSERT_TRUE(rig.ReadsAtLeast(5));

  const auto r = rig.supervisor.Reload(rig.ConfigFor("/log/b"), 3600);
  EXPECT_EQ(r.outcome, Supervisor::Reloaded::kApplied) << r.why.message();
  EXPECT_TRUE(r.restart.empty());
  EXPECT_EQ(rig.supervisor.config().logs.paths, std::vector<std::string>{"/log/b"});
  ASSERT_NE(rig.supervisor.agent(), nullptr);
  // A new agent, which has read nothing yet. (Not its address: the old one is
  // freed first, so the allocator may give the new one the same address.)
  EXPECT_EQ(rig.supervisor.agent()->lines_read(), 0);
  EXPECT_TRUE(rig.ReadsAtLeast(7));  // the new agent follows the new log
}

TEST(Supervisor, AReloadThatCannotStartRestoresThePreviousConfiguration) {
  Rig rig;
  rig.Write("/log/a", 3);
  const Config good = rig.ConfigFor("/log/a");
  ASSERT_TRUE(rig.supervisor.Start(good, 0, false).ok());
  Config bad = rig.ConfigFor("/log/b");
  bad.store.url = "sqlite:" + rig.dir.File("no/such/dir/s.db");
  const auto r = rig.supervisor.Reload(bad, 0);
  EXPECT_EQ(r.outcome, Supervisor::Reloaded::kRestored);
  EXPECT_FALSE(r.why.ok());
  EXPECT_EQ(rig.supervisor.config().store.url, good.store.url);
  EXPECT_EQ(rig.supervisor.config().logs.paths, good.logs.paths);
  ASSERT_NE(rig.supervisor.agent(), nullptr);
  EXPECT_TRUE(rig.ReadsAtLeast(3));
}

TEST(Supervisor, WhenNeitherStartsNothingRunsAndTheCallerDecides) {
  Rig rig;
  rig.Write("/log/a", 3);
  ASSERT_TRUE(rig.supervisor.Start(rig.ConfigFor("/log/a"), 0, false).ok());
  Config bad = rig.ConfigFor("/log/a");
  bad.store.url = "sqlite:" + rig.dir.File("no/such/dir/s.db");
  // The running store's directory goes away: the previous configuration
  // cannot be opened again either.
  std::filesystem::remove_all(rig.dir.path() / "store");
  const auto r = rig.supervisor.Reload(bad, 0);
  EXPECT_EQ(r.outcome, Supervisor::Reloaded::kStopped);
  EXPECT_NE(r.why.message().find("the previous configuration"), std::string::npos)
      << r.why.message();
  EXPECT_EQ(rig.supervisor.agent(), nullptr);
}

TEST(Supervisor, AReloadNamesTheSectionsThatWaitForARestart) {
  Rig rig;
  rig.Write("/log/a", 1);
  const Config c = rig.ConfigFor("/log/a");
  ASSERT_TRUE(rig.supervisor.Start(c, 0, false).ok());
  Config next = c;
  next.policy.reply = "REJECT";
  next.detect.subject_bounces = 9;  // applied by the new agent
  const auto r = rig.supervisor.Reload(next, 0);
  EXPECT_EQ(r.outcome, Supervisor::Reloaded::kApplied);
  EXPECT_EQ(r.restart, std::vector<std::string>{"[policy]"});
  EXPECT_EQ(rig.supervisor.config().detect.subject_bounces, 9);
}

TEST(Supervisor, ADamagedDatabaseSaysTheWayOut) {
  Rig rig;
  const Config c = rig.ConfigFor("/log/a");
  std::ofstream(rig.dir.File("store/s.db")) << std::string(8192, 'x');
  const Status st = rig.supervisor.Start(c, 0, false);
  ASSERT_EQ(st.code(), Status::Code::kCorruption) << st.message();
  EXPECT_NE(st.message().find("the database is damaged"), std::string::npos) << st.message();
  EXPECT_EQ(rig.supervisor.agent(), nullptr);
}

TEST(LiveEnforcement, TheAccessMapFollowsTheLiveBlocks) {
  TempDir dir{"mt_live_enforcement"};
  std::ofstream(dir.File("main.cf")) << "compatibility_level = 3.7\n";
  Config c;
  c.enforce.access_map = dir.File("mailtrail_access");
  c.blocks.postfix_config_dir = dir.path().string();
  auto e = LiveEnforcement::Start(c);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ((*e)->policy(), nullptr);  // none configured

  BlockPolicy policy;
  BlockManager blocks(policy);
  const TimeUs now = 1'800'000'000 * kUsPerSecond;
  Block b;
  b.kind = BlockKind::kIp;
  b.key = "192.0.2.7";
  b.live = true;
  b.created = now;
  b.expires = now + 3600 * kUsPerSecond;
  blocks.Restore({b}, now);
  (*e)->Tick(&blocks, now, 1);
  auto q = RunProgram({"/usr/sbin/postmap", "-c", dir.path().string(), "-q", "192.0.2.7",
                       "lmdb:" + c.enforce.access_map});
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->rfind("450 4.7.1", 0), 0u) << *q;
  // Detection off (no block manager): nothing happens, nothing breaks.
  (*e)->Tick(nullptr, now, 2);

  // A reload's new block manager, its blocks another set that took as many
  // changes: the access map follows it. Each manager counted its versions
  // from 0, so that an equal count left the old set enforced (helper-110).
  BlockManager after_reload(policy);
  Block other = b;
  other.key = "198.51.100.7";
  after_reload.Restore({other}, now);
  (*e)->Tick(&after_reload, now, 60 * kUsPerSecond);  // past any debounce
  for (const char* ip : {"192.0.2.7", "198.51.100.7"}) {
    auto r = RunProgram(
        {"/usr/sbin/postmap", "-c", dir.path().string(), "-q", ip, "lmdb:" + c.enforce.access_map});
    const bool refused = r.ok() && r->rfind("450 4.7.1", 0) == 0;  // postmap: 1 when absent
    EXPECT_EQ(refused, std::string(ip) == "198.51.100.7") << ip;
  }
}

}  // namespace
}  // namespace mailtrail
