// FirewallLock: one agent per network namespace writes its firewall (two
// with different stores took turns writing the one table, helper-149). An
// abstract socket of a name of this test's own.
#include "agent/run/firewall_lock.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

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

// Any local user may bind an abstract name: one held by a process that is no
// agent (here, bound and not listened on, as no agent does) does not stop
// the agent's start; it goes on without the lock, and says so (helper-155 F5).
TEST(FirewallLock, ANameHeldByNoAgentDoesNotStopTheStart) {
  const std::string name = "mailtrail-test/squat-" + std::to_string(::getpid());
  const int squat = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(squat, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path + 1, name.data(), name.size());
  ASSERT_EQ(::bind(squat, reinterpret_cast<const sockaddr*>(&a),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())),
            0);
  auto taken = FirewallLock::Take(name);
  ASSERT_TRUE(taken.ok()) << taken.status().message();
  EXPECT_NE(taken->warning().find("no agent"), std::string::npos) << taken->warning();
  ::close(squat);
}

}  // namespace
}  // namespace mailtrail
