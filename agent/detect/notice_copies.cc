#include "agent/detect/notice_copies.h"

#include <algorithm>

namespace mailtrail {

bool NoticeCopies::SeenFromTheOtherSide(std::string_view message_id, bool ours, TimeUs at) {
  // Forget what is older than kKeep (and the oldest beyond kMax). Log times
  // may step back a little between two hosts' logs: an entry is forgotten by
  // its last note, and one noted again goes to the back.
  while (!order_.empty() && (order_.front().first + kKeep < at || ids_.size() > kMax)) {
    std::string id = std::move(order_.front().second);
    order_.pop_front();
    auto it = ids_.find(id);
    if (it == ids_.end()) continue;
    if (it->second.last + kKeep < at || ids_.size() > kMax) {
      ids_.erase(it);
    } else {
      order_.emplace_back(it->second.last, std::move(id));
    }
  }
  if (message_id.empty()) return false;
  auto [it, fresh] = ids_.try_emplace(std::string(message_id));
  Sides& s = it->second;
  if (fresh) order_.emplace_back(at, it->first);
  const bool other = ours ? s.outside : s.ours;
  (ours ? s.ours : s.outside) = true;
  s.last = std::max(s.last, at);
  return other;
}

}  // namespace mailtrail
