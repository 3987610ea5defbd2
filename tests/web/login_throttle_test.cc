// LoginThrottle: wrong credentials per client in a sliding window (times
// injected). helper-129: 1,113 wrong passwords in 10 s from one address,
// each a yescrypt hash, were all answered.
#include "agent/web/login_throttle.h"

#include <gtest/gtest.h>

#include <string>

namespace mailtrail::web {
namespace {

constexpr TimeUs kS = kUsPerSecond;

TEST(LoginThrottle, PastTheFailuresOfAWindowAClientWaitsForTheOldestToLeave) {
  LoginThrottle t;
  for (int i = 0; i < LoginThrottle::kMaxFailures; ++i) {
    EXPECT_EQ(t.WaitSeconds("10.0.0.1", i * kS), 0) << i;
    t.Failed("10.0.0.1", i * kS);
  }
  EXPECT_EQ(t.WaitSeconds("10.0.0.1", 10 * kS), 50) << "the first failure leaves at 60 s";
  EXPECT_EQ(t.WaitSeconds("10.0.0.2", 10 * kS), 0) << "another client is not held back";
  EXPECT_EQ(t.WaitSeconds("10.0.0.1", 60 * kS), 0);
  t.Failed("10.0.0.1", 60 * kS);
  EXPECT_EQ(t.WaitSeconds("10.0.0.1", 60 * kS), 1) << "the second failure leaves at 61 s";
  EXPECT_EQ(t.WaitSeconds("10.0.0.1", 200 * kS), 0) << "all of them left";
}

TEST(LoginThrottle, ManyClientsStayBounded) {
  LoginThrottle t;
  for (size_t i = 0; i < 3 * LoginThrottle::kMaxClients; ++i)
    t.Failed("c" + std::to_string(i), static_cast<TimeUs>(i));
  for (int i = 0; i < LoginThrottle::kMaxFailures; ++i) t.Failed("last", 100 * kS);
  EXPECT_GT(t.WaitSeconds("last", 100 * kS), 0) << "a client's failures are still counted";
}

}  // namespace
}  // namespace mailtrail::web
