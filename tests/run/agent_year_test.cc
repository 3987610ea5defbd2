// The year of yearless log lines across a restart of the live agent: the
// checkpoint keeps where the year stood and the month it was reading, so lines
// of January read after a restart that came between December's and theirs
// belong to the next year (docs/testing.md "Known limits" named this until
// 2026-12).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "agent/run/agent.h"
#include "base/civil_time.h"
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
    auto n = agent->Step();
    ASSERT_TRUE(n.ok()) << n.status().message();
  }
}

// The agent is killed (no Stop(), no last flush) after December's lines; it
// comes back in January, when January's lines are written.
TEST(AgentYear, JanuaryAfterARestartIsTheNextYear) {
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
TEST(AgentYear, ADecemberStragglerAfterARestartStaysLastYears) {
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

}  // namespace
}  // namespace mailtrail
