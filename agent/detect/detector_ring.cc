// FloodDetector::Ring: a count of events over the last window of log time,
// in a fixed number of buckets (flood_detector.h).
#include <algorithm>

#include "agent/detect/flood_detector.h"

namespace mailtrail {

FloodDetector::Ring::Ring(TimeUs window, int buckets)
    : width_(std::max<TimeUs>(1, window / std::max(1, buckets))),
      slots_(static_cast<size_t>(std::max(1, buckets)), {kEmpty, 0}) {}

int64_t FloodDetector::Ring::Bucket(TimeUs t) const {
  // Rounded down, also before 1970 (a log stamp may be: civil_time.h).
  return t / width_ - (t % width_ < 0 ? 1 : 0);
}

void FloodDetector::Ring::Add(TimeUs t, int n) {
  const int64_t idx = Bucket(t);
  const auto size = static_cast<int64_t>(slots_.size());
  auto& slot = slots_[static_cast<size_t>((idx % size + size) % size)];
  if (slot.first == idx) {
    slot.second += n;
  } else if (slot.first < idx) {  // older than anything kept: reuse the slot
    slot = {idx, n};
  }
}

void FloodDetector::Ring::ForgetAfter(TimeUs t) {
  const int64_t last = Bucket(t);
  for (auto& slot : slots_)
    if (slot.first != kEmpty && slot.first > last) slot = {kEmpty, 0};
}

// A log whose clock stepped back by less than a window (an NTP step, or
// hosts a few seconds apart in one file) goes on counting the window that
// ends at its newest bucket: else the bounces before the step count for
// nothing after it (helper-94 H). A step of more than a window is a log that
// was ahead, and its buckets are forgotten when its block ends (BlockEnded).
TimeUs FloodDetector::Ring::WindowEnd(TimeUs now) const {
  const auto size = static_cast<int64_t>(slots_.size());
  const int64_t idx = Bucket(now);
  int64_t newest = kEmpty;
  for (const auto& slot : slots_) newest = std::max(newest, slot.first);
  return newest > idx && newest - idx < size ? newest * width_ : now;
}

int FloodDetector::Ring::Count(TimeUs end) const {
  const int64_t idx = Bucket(end);
  const int64_t oldest = idx - static_cast<int64_t>(slots_.size()) + 1;
  int n = 0;
  for (const auto& [i, c] : slots_)
    if (i >= oldest && i <= idx) n += c;
  return n;
}

}  // namespace mailtrail
