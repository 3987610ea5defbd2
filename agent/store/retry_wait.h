// RetryWait: a wait of a clock's time (a retry backoff) that another thread
// can end at once (a stop). Clock::SleepFor cannot be interrupted and a
// condition variable's timeout is real time, which a test cannot move; this
// polls an Alarm of the clock together with an eventfd that Interrupt() makes
// readable for good. With a FakeClock the wait ends when the test advances it.
#ifndef MAILTRAIL_AGENT_STORE_RETRY_WAIT_H_
#define MAILTRAIL_AGENT_STORE_RETRY_WAIT_H_

#include <memory>

#include "base/civil_time.h"
#include "base/clock.h"
#include "base/status.h"

namespace mailtrail {

class RetryWait {
 public:
  // IoError when the system gives no timer or eventfd (out of descriptors).
  static StatusOr<std::unique_ptr<RetryWait>> Open(const Clock* clock);
  ~RetryWait();
  RetryWait(const RetryWait&) = delete;
  RetryWait& operator=(const RetryWait&) = delete;

  // Blocks the one waiting thread for `d` of the clock's time: true when it
  // passed, false when interrupted (then at once, now and for every later wait).
  bool WaitFor(TimeUs d);
  // From any thread: ends the current wait and every later one.
  void Interrupt();

 private:
  RetryWait(const Clock* clock, std::unique_ptr<Alarm> alarm, int stop_fd)
      : clock_(clock), alarm_(std::move(alarm)), stop_fd_(stop_fd) {}
  const Clock* clock_;
  std::unique_ptr<Alarm> alarm_;
  int stop_fd_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_RETRY_WAIT_H_
