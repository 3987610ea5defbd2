// RealClock: the system's clock (the only code that reads std::chrono's clocks
// or sleeps). Built by the entry point (agent/cli/main.cc) and handed down.
#ifndef MAILTRAIL_BASE_REAL_CLOCK_H_
#define MAILTRAIL_BASE_REAL_CLOCK_H_

#include "base/clock.h"

namespace mailtrail {

class RealClock : public Clock {
 public:
  TimeUs WallNow() const override;       // CLOCK_REALTIME
  TimeUs MonotonicNow() const override;  // CLOCK_MONOTONIC
  void SleepFor(TimeUs d) const override;
  // A timerfd on CLOCK_MONOTONIC, the scale of MonotonicNow().
  std::unique_ptr<Alarm> NewAlarm() const override;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_REAL_CLOCK_H_
