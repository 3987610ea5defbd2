// SlowHeads: see slow_heads.h.
#include "agent/web/slow_heads.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace mailtrail::web {

std::string SlowHeadClient(const std::string& peer) {
  in6_addr a{};
  if (::inet_pton(AF_INET6, peer.c_str(), &a) != 1) return peer;
  if (IN6_IS_ADDR_V4MAPPED(&a)) return peer.substr(peer.rfind(':') + 1);
  std::memset(a.s6_addr + 8, 0, 8);
  char text[INET6_ADDRSTRLEN] = "";
  if (::inet_ntop(AF_INET6, &a, text, sizeof text) == nullptr) return peer;
  return std::string(text) + "/64";
}

bool SlowHeads::Enter(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (total_ >= in_all_) return false;
  size_t& n = waiting_[client];
  if (n >= per_client_) {
    if (n == 0) waiting_.erase(client);
    return false;
  }
  ++n;
  ++total_;
  return true;
}

void SlowHeads::Leave(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = waiting_.find(client);
  if (it == waiting_.end()) return;
  --total_;
  if (--it->second == 0) waiting_.erase(it);
}

bool SlowHeads::HasRoom(const std::string& client) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (total_ >= in_all_) return false;
  auto it = waiting_.find(client);
  return (it == waiting_.end() ? 0 : it->second) < per_client_;
}

size_t SlowHeads::waiting(const std::string& client) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = waiting_.find(client);
  return it == waiting_.end() ? 0 : it->second;
}

}  // namespace mailtrail::web
