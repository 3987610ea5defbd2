#include "agent/web/login_throttle.h"

namespace mailtrail::web {

int LoginThrottle::WaitSeconds(const std::string& client, TimeUs now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(client);
  if (it == failures_.end()) return 0;
  std::deque<TimeUs>& q = it->second;
  while (!q.empty() && now - q.front() >= kWindow) q.pop_front();
  if (q.empty()) {
    failures_.erase(it);
    return 0;
  }
  if (static_cast<int>(q.size()) < kMaxFailures) return 0;
  return static_cast<int>((q.front() + kWindow - now + kUsPerSecond - 1) / kUsPerSecond);
}

void LoginThrottle::Failed(const std::string& client, TimeUs now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failures_.size() >= kMaxClients && failures_.find(client) == failures_.end()) {
    // Full: forget the clients whose failures all left the window, else all.
    for (auto it = failures_.begin(); it != failures_.end();)
      it = !it->second.empty() && now - it->second.back() >= kWindow ? failures_.erase(it)
                                                                     : std::next(it);
    if (failures_.size() >= kMaxClients) failures_.clear();
  }
  std::deque<TimeUs>& q = failures_[client];
  q.push_back(now);
  if (static_cast<int>(q.size()) > kMaxFailures) q.pop_front();
}

}  // namespace mailtrail::web
