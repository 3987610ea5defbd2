// SlowHeads: see slow_heads.h.
#include "agent/web/slow_heads.h"

namespace mailtrail::web {

bool SlowHeads::Enter(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t& n = waiting_[client];
  if (n >= per_client_) {
    if (n == 0) waiting_.erase(client);
    return false;
  }
  ++n;
  return true;
}

void SlowHeads::Leave(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = waiting_.find(client);
  if (it == waiting_.end()) return;
  if (--it->second == 0) waiting_.erase(it);
}

size_t SlowHeads::waiting(const std::string& client) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = waiting_.find(client);
  return it == waiting_.end() ? 0 : it->second;
}

}  // namespace mailtrail::web
