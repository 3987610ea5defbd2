#include "agent/store/retry_wait.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace mailtrail {

StatusOr<std::unique_ptr<RetryWait>> RetryWait::Open(const Clock* clock) {
  std::unique_ptr<Alarm> alarm = clock->NewAlarm();
  if (!alarm) return Status::IoError("retry wait: no timer: " + std::string(std::strerror(errno)));
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return Status::IoError("retry wait: eventfd: " + std::string(std::strerror(errno)));
  return std::unique_ptr<RetryWait>(new RetryWait(clock, std::move(alarm), fd));
}

RetryWait::~RetryWait() { ::close(stop_fd_); }

bool RetryWait::WaitFor(TimeUs d) {
  alarm_->SetAt(clock_->MonotonicNow() + d);
  pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {alarm_->fd(), POLLIN, 0}};
  for (;;) {
    const int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    // A poll that failed otherwise (ENOMEM) ends the wait: the caller retries
    // sooner, which is harmless, rather than never.
    if (n < 0) return true;
    // The stop counter is never read: once interrupted, every wait ends at once.
    if (fds[0].revents & POLLIN) return false;
    if (fds[1].revents & POLLIN) return true;
  }
}

void RetryWait::Interrupt() {
  const uint64_t one = 1;
  // Can fail only when the counter is full, and then it is readable anyway.
  if (::write(stop_fd_, &one, sizeof one) < 0) {
  }
}

}  // namespace mailtrail
