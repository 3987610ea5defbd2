// The MySQL store's retry backoff waits on the injected clock (issue 20 item
// 5): a batch written while the server cannot be reached (here: a socket that
// no server listens on) is tried again after 0.2, 0.4, 0.8 and 1.6 s of the
// clock's time, and a fake clock shows that sequence without a real wait.
#include <gtest/gtest.h>

#include <vector>

#include "agent/store/mysql_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

constexpr TimeUs kMs = kUsPerSecond / 1000;

class MysqlStoreBackoff : public ::testing::Test, public StoreFixture {};

TEST_F(MysqlStoreBackoff, RetriesAfterDoublingSleepsOnTheClock) {
  TempDir dir("mt_mysql_backoff");
  MysqlTarget target;
  target.user = "mailtrail";
  target.socket = dir.File("no-server.sock");
  target.database = "mailtrail";
  FakeClock clock;
  MysqlStore::Options o;
  o.agent_name = "mx.test";
  o.start_offline = true;  // the server is down at the start: not an error
  o.reconnect_attempts = 4;
  o.clock = &clock;
  auto store = MysqlStore::Open(target, "", o);
  ASSERT_TRUE(store.ok()) << store.status().message();
  const TimeUs before = clock.MonotonicNow();
  const std::vector<MessageRecord> records = {Sample("4AB12C0D3E")};
  Status st = (*store)->WriteBatch(records, nullptr);
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.message();
  EXPECT_EQ(clock.sleeps(), (std::vector<TimeUs>{200 * kMs, 400 * kMs, 800 * kMs, 1600 * kMs}));
  EXPECT_EQ(clock.MonotonicNow() - before, 3000 * kMs) << "the sleeps are the clock's time";

  // One attempt: no sleep at all.
  FakeClock once;
  o.reconnect_attempts = 0;
  o.clock = &once;
  auto single = MysqlStore::Open(target, "", o);
  ASSERT_TRUE(single.ok()) << single.status().message();
  EXPECT_EQ((*single)->WriteBatch(records, nullptr).code(), Status::Code::kUnavailable);
  EXPECT_TRUE(once.sleeps().empty());
}

}  // namespace
}  // namespace mailtrail
