// FirewallLock: one agent per network namespace writes its firewall (two
// with different stores took turns writing the one table, helper-149). An
// abstract socket of a name of this test's own.
#include "agent/run/firewall_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>

namespace mailtrail {
namespace {

TEST(FirewallLock, ASecondTakerIsRefusedAndToldWhoHoldsIt) {
  const std::string name = "mailtrail-test/firewall-" + std::to_string(::getpid());
  std::optional<FirewallLock> first;
  {
    auto taken = FirewallLock::Take(name);
    ASSERT_TRUE(taken.ok()) << taken.status().message();
    first.emplace(std::move(*taken));
  }
  auto second = FirewallLock::Take(name);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(second.status().message().find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.status().message();
  first.reset();  // the holder ends: the lock is free again
  EXPECT_TRUE(FirewallLock::Take(name).ok());
}

}  // namespace
}  // namespace mailtrail
