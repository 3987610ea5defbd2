#include "agent/web/export_limiter.h"

#include <algorithm>

namespace mailtrail::web {

void ExportLimiter::Forget(TimeUs now) {
  for (auto it = starts_.begin(); it != starts_.end();) {
    auto& q = it->second;
    while (!q.empty() && q.front() <= now - limits_.window) q.pop_front();
    it = q.empty() ? starts_.erase(it) : std::next(it);
  }
}

ExportLimiter::Verdict ExportLimiter::TryStart(const std::string& client, TimeUs now) {
  std::lock_guard<std::mutex> lock(mu_);
  Forget(now);
  auto& q = starts_[client];
  if (static_cast<int>(q.size()) >= limits_.per_client) return Verdict::kTooOften;
  if (running_ >= limits_.concurrent) {
    if (q.empty()) starts_.erase(client);
    return Verdict::kBusy;
  }
  q.push_back(now);
  ++running_;
  return Verdict::kStart;
}

void ExportLimiter::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_ > 0) --running_;
}

int ExportLimiter::RetryAfterSeconds(const std::string& client, TimeUs now) {
  std::lock_guard<std::mutex> lock(mu_);
  Forget(now);
  auto it = starts_.find(client);
  if (it == starts_.end() || static_cast<int>(it->second.size()) < limits_.per_client) return 1;
  const TimeUs wait = it->second.front() + limits_.window - now;
  return std::max<int>(1, static_cast<int>((wait + kUsPerSecond - 1) / kUsPerSecond));
}

}  // namespace mailtrail::web
