// The clock's alarms: the real one is a timerfd on the monotonic clock that a
// poll() sees; the fake one fires when the test advances its time, earliest
// first, and its sleeps move the time without a real wait. No wall-clock time
// is asserted: an alarm set in the past must be readable, one an hour ahead
// must not (yet).
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include "base/real_clock.h"
#include "tests/support/fake_clock.h"

namespace mailtrail {
namespace {

// Whether `fd` is readable, waiting at most `ms` (-1: until it is).
bool Readable(int fd, int ms) {
  pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

TEST(RealClock, AnAlarmIsReadableOnceDueAndClearedWhenSetAgain) {
  RealClock clock;
  auto alarm = clock.NewAlarm();
  ASSERT_NE(alarm, nullptr);
  EXPECT_FALSE(Readable(alarm->fd(), 0)) << "not set: never due";
  alarm->SetAt(clock.MonotonicNow() + 3600 * kUsPerSecond);
  EXPECT_FALSE(Readable(alarm->fd(), 0));
  alarm->SetAt(clock.MonotonicNow() - kUsPerSecond);  // already past: due at once
  EXPECT_TRUE(Readable(alarm->fd(), 60000)) << "(60 s is only a guard)";
  alarm->SetAt(clock.MonotonicNow() + 3600 * kUsPerSecond);
  EXPECT_FALSE(Readable(alarm->fd(), 0)) << "setting it again clears the due one";
  alarm->SetAt(clock.MonotonicNow() + 1000);  // 1 ms ahead: due within the guard
  EXPECT_TRUE(Readable(alarm->fd(), 60000));
}

TEST(FakeClock, AdvanceFiresTheAlarmsThatFallDueAndSleepsMoveTheTime) {
  FakeClock clock;
  auto early = clock.NewAlarm(), late = clock.NewAlarm();
  const TimeUs t0 = clock.MonotonicNow();
  early->SetAt(t0 + 10 * kUsPerSecond);
  late->SetAt(t0 + 20 * kUsPerSecond);
  EXPECT_EQ(clock.NextAlarm(), t0 + 10 * kUsPerSecond);
  clock.Advance(10 * kUsPerSecond - 1);
  EXPECT_FALSE(Readable(early->fd(), 0));
  clock.Advance(1);
  EXPECT_TRUE(Readable(early->fd(), 0));
  EXPECT_FALSE(Readable(late->fd(), 0));
  EXPECT_EQ(clock.NextAlarm(), t0 + 20 * kUsPerSecond);
  clock.SleepFor(10 * kUsPerSecond);  // a sleep is the clock's time too
  EXPECT_TRUE(Readable(late->fd(), 0));
  EXPECT_EQ(clock.NextAlarm(), std::nullopt);
  EXPECT_EQ(clock.sleeps(), std::vector<TimeUs>{10 * kUsPerSecond});
  early->SetAt(t0);  // in the past: due at once
  EXPECT_TRUE(Readable(early->fd(), 0));
}

}  // namespace
}  // namespace mailtrail
