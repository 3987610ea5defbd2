// Clock: the one way code learns the time and waits for it (docs/style.md rule
// 6). The real clock (base/real_clock.h) is built only in agent/ entry points;
// tests use tests/support/fake_clock.h, whose Advance() fires the alarms and
// ends the sleeps that fall due, so that a backoff or a periodic scan runs in a
// unit test without waiting. Parsers and the tracker take no clock at all: they
// run on the log's own time. The libuv loops (agent/uv, the policy service)
// keep libuv's own timers.
#ifndef MAILTRAIL_BASE_CLOCK_H_
#define MAILTRAIL_BASE_CLOCK_H_

#include <memory>

#include "base/civil_time.h"

namespace mailtrail {

// A one-shot alarm on a clock's monotonic time, for a thread that waits in
// poll() on file descriptors of its own (inotify, a stop eventfd): fd() is
// one more descriptor in that poll, readable once the alarm is due.
class Alarm {
 public:
  virtual ~Alarm() = default;
  // Due at `monotonic` (Clock::MonotonicNow's scale); replaces an earlier
  // setting, and a due alarm not yet seen is cleared, so that fd() is readable
  // again only when this setting falls due (at once if it already has).
  virtual void SetAt(TimeUs monotonic) = 0;
  virtual int fd() const = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeUs WallNow() const = 0;       // UTC
  virtual TimeUs MonotonicNow() const = 0;  // for rates and timeouts
  // Blocks the calling thread for `d` of this clock's time (a retry backoff).
  virtual void SleepFor(TimeUs d) const = 0;
  // A new alarm on this clock, not set. Null only if the system has no timer
  // to give (out of file descriptors).
  virtual std::unique_ptr<Alarm> NewAlarm() const = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_CLOCK_H_
