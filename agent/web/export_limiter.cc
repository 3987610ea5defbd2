#include "agent/web/export_limiter.h"

#include <algorithm>

namespace mailtrail::web {

ExportLimiter::Verdict ExportLimiter::TryStart(const std::string& client, TimeUs now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (starts_.WaitSeconds(client, now) > 0) return Verdict::kTooOften;
  if (running_ >= limits_.concurrent) return Verdict::kBusy;
  starts_.Add(client, now);
  ++running_;
  return Verdict::kStart;
}

void ExportLimiter::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_ > 0) --running_;
}

int ExportLimiter::RetryAfterSeconds(const std::string& client, TimeUs now) {
  return std::max(1, starts_.WaitSeconds(client, now));
}

}  // namespace mailtrail::web
