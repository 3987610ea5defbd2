// FakeClock: time that moves only when the test says so.
#ifndef MAILTRAIL_TESTS_SUPPORT_FAKE_CLOCK_H_
#define MAILTRAIL_TESTS_SUPPORT_FAKE_CLOCK_H_

#include "base/clock.h"

namespace mailtrail {

class FakeClock : public Clock {
 public:
  explicit FakeClock(TimeUs wall = 1795780000LL * kUsPerSecond) : wall_(wall) {}
  TimeUs WallNow() const override { return wall_; }
  TimeUs MonotonicNow() const override { return mono_; }
  void Advance(TimeUs d) {
    wall_ += d;
    mono_ += d;
  }

 private:
  TimeUs wall_;
  TimeUs mono_ = 1;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_FAKE_CLOCK_H_
