#include "base/real_clock.h"

#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

namespace mailtrail {
namespace {

class TimerFdAlarm : public Alarm {
 public:
  explicit TimerFdAlarm(int fd) : fd_(fd) {}
  ~TimerFdAlarm() override { ::close(fd_); }
  void SetAt(TimeUs monotonic) override {
    // Setting a timerfd clears the expirations not yet read. A time already
    // past (or 0, which would disarm it) is due at once: 1 ns.
    itimerspec spec{};
    if (monotonic <= 0) monotonic = 0;
    spec.it_value.tv_sec = monotonic / kUsPerSecond;
    spec.it_value.tv_nsec = (monotonic % kUsPerSecond) * 1000;
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    ::timerfd_settime(fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }
  int fd() const override { return fd_; }

 private:
  int fd_;
};

}  // namespace

TimeUs RealClock::WallNow() const {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

TimeUs RealClock::MonotonicNow() const {
  // CLOCK_MONOTONIC itself, the clock the alarms' timerfd counts on.
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<TimeUs>(ts.tv_sec) * kUsPerSecond + ts.tv_nsec / 1000;
}

void RealClock::SleepFor(TimeUs d) const {
  if (d > 0) std::this_thread::sleep_for(std::chrono::microseconds(d));
}

std::unique_ptr<Alarm> RealClock::NewAlarm() const {
  const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return nullptr;
  return std::make_unique<TimerFdAlarm>(fd);
}

}  // namespace mailtrail
