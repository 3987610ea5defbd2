#include "agent/web/client_window.h"

#include <algorithm>

namespace mailtrail::web {

int ClientWindow::WaitLocked(const std::string& client, TimeUs now) {
  auto it = times_.find(client);
  if (it == times_.end()) return 0;
  std::deque<TimeUs>& q = it->second;
  while (!q.empty() && now - q.front() >= window_) q.pop_front();
  if (q.empty()) {
    times_.erase(it);
    return 0;
  }
  if (static_cast<int>(q.size()) < max_) return 0;
  const TimeUs wait = q.front() + window_ - now;
  return std::max(1, static_cast<int>((wait + kUsPerSecond - 1) / kUsPerSecond));
}

void ClientWindow::AddLocked(const std::string& client, TimeUs now) {
  if (times_.size() >= max_clients_ && times_.find(client) == times_.end()) {
    for (auto it = times_.begin(); it != times_.end();)
      it = it->second.empty() || now - it->second.back() >= window_ ? times_.erase(it)
                                                                    : std::next(it);
    // Still full: the client quiet the longest goes (forgetting every one
    // let a client cycling through names start afresh, helper-138).
    if (times_.size() >= max_clients_) {
      auto quietest = times_.begin();
      for (auto it = times_.begin(); it != times_.end(); ++it)
        if (it->second.back() < quietest->second.back()) quietest = it;
      times_.erase(quietest);
    }
  }
  std::deque<TimeUs>& q = times_[client];
  q.push_back(now);
  if (static_cast<int>(q.size()) > max_) q.pop_front();
}

int ClientWindow::WaitSeconds(const std::string& client, TimeUs now) {
  std::lock_guard<std::mutex> lock(mu_);
  return WaitLocked(client, now);
}

void ClientWindow::Add(const std::string& client, TimeUs now) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(client, now);
}

bool ClientWindow::TryAdd(const std::string& client, TimeUs now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (WaitLocked(client, now) > 0) return false;
  AddLocked(client, now);
  return true;
}

}  // namespace mailtrail::web
