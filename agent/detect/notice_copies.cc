#include "agent/detect/notice_copies.h"

#include <algorithm>

namespace mailtrail {

bool NoticeCopies::SeenFromTheOtherSide(std::string_view message_id, bool ours, TimeUs at) {
  // Forget what is older than kKeep (and the oldest beyond kMax). Log times
  // may step back a little between two hosts' logs: an id is forgotten by
  // its last note, and one noted since goes to the back.
  while (!order_.empty() && (order_.front().first + kKeep < at || ids_.size() > kMax)) {
    const std::string* id = order_.front().second;
    order_.pop_front();
    auto it = ids_.find(*id);
    if (it->second.last + kKeep < at || ids_.size() > kMax) {
      ids_.erase(it);
    } else {
      order_.emplace_back(it->second.last, id);
    }
  }
  if (message_id.empty()) return false;
  auto [it, fresh] = ids_.try_emplace(std::string(message_id.substr(0, kMaxIdBytes)));
  Copies& c = it->second;
  if (fresh) order_.emplace_back(at, &it->first);
  if (c.last + kKeep < at) c = Copies{};  // noted too long ago: no copy of this one
  c.last = std::max(c.last, at);
  if (ours) {
    if (c.ours || c.outside > 0) {  // another hop of ours, or an outside copy's
      c.paired |= !c.ours;
      c.ours = true;
      return true;
    }
    c.ours = true;
    return false;
  }
  if (c.ours && !c.paired) {  // the outside copy of the one of ours counted
    c.paired = true;
    return true;
  }
  c.outside = std::min(c.outside + 1, 1 << 20);
  return false;
}

}  // namespace mailtrail
