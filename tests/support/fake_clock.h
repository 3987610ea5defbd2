// FakeClock: time that moves only when the test says so (or when code under
// test sleeps on it: a sleep moves the fake time by its length at once).
// Advance() fires the alarms that fall due, earliest first. Thread-safe: a
// thread under test may sleep or wait on an alarm while the test advances.
#ifndef MAILTRAIL_TESTS_SUPPORT_FAKE_CLOCK_H_
#define MAILTRAIL_TESTS_SUPPORT_FAKE_CLOCK_H_

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "base/clock.h"

namespace mailtrail {

class FakeClock : public Clock {
 public:
  explicit FakeClock(TimeUs wall = 1795780000LL * kUsPerSecond) : wall_(wall) {}
  ~FakeClock() override = default;  // outlives its alarms (they point back at it)

  TimeUs WallNow() const override {
    std::lock_guard<std::mutex> l(mu_);
    return wall_;
  }
  TimeUs MonotonicNow() const override {
    std::lock_guard<std::mutex> l(mu_);
    return mono_;
  }
  void Advance(TimeUs d) {
    std::lock_guard<std::mutex> l(mu_);
    AdvanceLocked(d);
  }
  // The wall clock stepped (date -s, a first NTP sync): by `d`, back when
  // negative; monotonic time does not move, no alarm fires.
  void StepWall(TimeUs d) {
    std::lock_guard<std::mutex> l(mu_);
    wall_ += d;
  }
  // Records the sleep (sleeps()) and moves the time by it, no real wait.
  void SleepFor(TimeUs d) const override {
    {
      std::lock_guard<std::mutex> l(mu_);
      sleeps_.push_back(d);
      AdvanceLocked(std::max<TimeUs>(d, 0));
    }
    CameBack();
  }
  std::unique_ptr<Alarm> NewAlarm() const override { return std::make_unique<FakeAlarm>(this); }

  // The sleeps asked of this clock, in order.
  std::vector<TimeUs> sleeps() const {
    std::lock_guard<std::mutex> l(mu_);
    return sleeps_;
  }
  // The earliest alarm set and not yet fired (nullopt: none).
  std::optional<TimeUs> NextAlarm() const {
    std::lock_guard<std::mutex> l(mu_);
    std::optional<TimeUs> next;
    for (const FakeAlarm* a : alarms_)
      if (a->armed_ && (!next || a->at_ < *next)) next = a->at_;
    return next;
  }
  // Waits until `done` holds, checking it again each time a thread sets an
  // alarm or sleeps on this clock (code under test that has come back to
  // wait). False if it did not hold within a generous real-time guard, which
  // only keeps a broken build from hanging (no time is asserted).
  // `done` may call this clock (NextAlarm()): it runs under a mutex of its own.
  bool WaitUntil(const std::function<bool()>& done) const {
    std::unique_lock<std::mutex> l(wait_mu_);
    return came_back_.wait_for(l, std::chrono::seconds(120), done);
  }

 private:
  class FakeAlarm : public Alarm {
   public:
    explicit FakeAlarm(const FakeClock* clock)
        : clock_(clock), fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
      std::lock_guard<std::mutex> l(clock_->mu_);
      clock_->alarms_.insert(this);
    }
    ~FakeAlarm() override {
      {
        std::lock_guard<std::mutex> l(clock_->mu_);
        clock_->alarms_.erase(this);
      }
      ::close(fd_);
    }
    void SetAt(TimeUs monotonic) override {
      {
        std::lock_guard<std::mutex> l(clock_->mu_);
        uint64_t n;
        while (::read(fd_, &n, sizeof n) > 0) {
        }
        at_ = monotonic;
        armed_ = true;
        if (at_ <= clock_->mono_) Fire();
      }
      clock_->CameBack();
    }
    int fd() const override { return fd_; }

   private:
    friend class FakeClock;
    void Fire() {
      armed_ = false;
      const uint64_t one = 1;
      if (::write(fd_, &one, sizeof one) < 0) { /* the counter is full: readable anyway */
      }
    }
    const FakeClock* clock_;
    int fd_;
    TimeUs at_ = 0;
    bool armed_ = false;
  };

  // A thread has come back to wait on this clock: WaitUntil checks again.
  void CameBack() const {
    std::lock_guard<std::mutex> l(wait_mu_);
    came_back_.notify_all();
  }

  void AdvanceLocked(TimeUs d) const {
    wall_ += d;
    mono_ += d;
    std::vector<FakeAlarm*> due;
    for (FakeAlarm* a : alarms_)
      if (a->armed_ && a->at_ <= mono_) due.push_back(a);
    std::sort(due.begin(), due.end(), [](auto* x, auto* y) { return x->at_ < y->at_; });
    for (FakeAlarm* a : due) a->Fire();
  }

  // Mutable: a sleep on a const Clock& moves the time as well.
  mutable std::mutex mu_;
  mutable std::mutex wait_mu_;  // WaitUntil's, apart from mu_ (see there)
  mutable std::condition_variable came_back_;
  mutable TimeUs wall_;
  mutable TimeUs mono_ = 1;
  mutable std::vector<TimeUs> sleeps_;
  mutable std::set<FakeAlarm*> alarms_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_FAKE_CLOCK_H_
