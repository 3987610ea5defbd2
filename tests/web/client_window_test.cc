// ClientWindow: requests per client in a sliding window (times injected), the
// counting behind the console's limits on wrong credentials, write attempts
// and export starts. helper-129: 1,113 wrong passwords in 10 s from one
// address, each a yescrypt hash, were all answered.
#include "agent/web/client_window.h"

#include <gtest/gtest.h>

#include <string>

namespace mailtrail::web {
namespace {

constexpr TimeUs kS = kUsPerSecond;

TEST(ClientWindow, PastTheMaxOfAWindowAClientWaitsForTheOldestToLeave) {
  ClientWindow w(10, 60 * kS);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(w.WaitSeconds("10.0.0.1", i * kS), 0) << i;
    w.Add("10.0.0.1", i * kS);
  }
  EXPECT_EQ(w.WaitSeconds("10.0.0.1", 10 * kS), 50) << "the first one leaves at 60 s";
  EXPECT_EQ(w.WaitSeconds("10.0.0.2", 10 * kS), 0) << "another client is not held back";
  EXPECT_EQ(w.WaitSeconds("10.0.0.1", 60 * kS), 0);
  w.Add("10.0.0.1", 60 * kS);
  EXPECT_EQ(w.WaitSeconds("10.0.0.1", 60 * kS), 1) << "the second one leaves at 61 s";
  EXPECT_EQ(w.WaitSeconds("10.0.0.1", 200 * kS), 0) << "all of them left";
}

TEST(ClientWindow, TryAddCountsOnlyWhatItLetsThrough) {
  ClientWindow w(3, 60 * kS);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(w.TryAdd("u", 0)) << i;
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(w.TryAdd("u", 30 * kS)) << i;
  // Refused ones were not kept: at 60 s the three first ones left.
  EXPECT_TRUE(w.TryAdd("u", 60 * kS));
  EXPECT_EQ(w.WaitSeconds("u", 60 * kS), 0);
}

TEST(ClientWindow, AWaitIsNeverUnderASecond) {
  ClientWindow w(1, 60 * kS);
  w.Add("u", 0);
  EXPECT_EQ(w.WaitSeconds("u", 60 * kS - 1), 1) << "Retry-After: 0 would invite a loop";
}

TEST(ClientWindow, ManyClientsStayBounded) {
  ClientWindow w(10, 60 * kS, /*max_clients=*/64);
  for (size_t i = 0; i < 3 * 64; ++i) w.Add("c" + std::to_string(i), static_cast<TimeUs>(i));
  for (int i = 0; i < 10; ++i) w.Add("last", 100 * kS);
  EXPECT_GT(w.WaitSeconds("last", 100 * kS), 0) << "a client's requests are still counted";
  // Those whose times all left the window are forgotten first: a client
  // within its window survives a newcomer when the others are old.
  ClientWindow v(2, 60 * kS, /*max_clients=*/2);
  v.Add("old", 0);
  v.Add("busy", 100 * kS);
  v.Add("busy", 100 * kS);
  v.Add("new", 101 * kS);
  EXPECT_GT(v.WaitSeconds("busy", 101 * kS), 0);
}

// Full of clients all within the window: a newcomer takes the place of the
// one quiet the longest, not of every one. Forgetting every one gave a
// client cycling through 4,097 names (IPv6 /64s) unlimited wrong passwords
// (helper-138).
TEST(ClientWindow, ANewcomerToAFullMapForgetsOnlyTheQuietest) {
  ClientWindow w(3, 60 * kS, /*max_clients=*/4);
  for (int i = 0; i < 3; ++i) w.Add("guesser", 10 * kS);
  for (int i = 0; i < 3; ++i) w.Add("c" + std::to_string(i), i * kS);  // quieter than it
  w.Add("newcomer", 20 * kS);
  EXPECT_GT(w.WaitSeconds("guesser", 20 * kS), 0) << "still held back";
}

}  // namespace
}  // namespace mailtrail::web
