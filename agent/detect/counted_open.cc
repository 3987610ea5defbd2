#include "agent/detect/counted_open.h"

namespace mailtrail {

bool CountedOpen::Note(const Key& k, TimeUs at) {
  // Forget what was noted more than kKeep ago, and the oldest beyond kMax.
  // An entry taken since, or noted again (a queue id used again), is only
  // dropped from the order here, or when the order holds more of them than
  // of messages still open: closed ones took the room of open ones
  // (helper-141).
  if (order_.size() > 2 * ids_.size() + 1024) {
    std::deque<std::pair<TimeUs, std::string>> live;
    for (auto& e : order_) {
      auto it = ids_.find(e.second);
      if (it != ids_.end() && it->second.noted == e.first) live.push_back(std::move(e));
    }
    order_ = std::move(live);
  }
  while (!order_.empty() && (order_.front().first + kKeep < at || ids_.size() >= kMax)) {
    auto it = ids_.find(order_.front().second);
    if (it != ids_.end() && it->second.noted == order_.front().first) ids_.erase(it);
    order_.pop_front();
  }
  std::string id = Id(k);
  auto [it, fresh] = ids_.try_emplace(id, When{k.arrived, at});
  if (!fresh) {
    if (it->second.arrived == k.arrived) return false;
    it->second = {k.arrived, at};  // the queue id of a message gone: this one now
  }
  order_.emplace_back(at, std::move(id));
  return true;
}

bool CountedOpen::Has(const Key& k) const {
  auto it = ids_.find(Id(k));
  return it != ids_.end() && it->second.arrived == k.arrived;
}

bool CountedOpen::Take(const Key& k) {
  auto it = ids_.find(Id(k));
  if (it == ids_.end() || it->second.arrived != k.arrived) return false;
  ids_.erase(it);
  return true;
}

std::vector<CountedOpen::Saved> CountedOpen::Save() const {
  std::vector<Saved> out;
  for (const auto& [noted, id] : order_) {
    auto it = ids_.find(id);
    if (it == ids_.end() || it->second.noted != noted) continue;
    const size_t tab = id.find('\t');
    out.push_back({{id.substr(0, tab), id.substr(tab + 1), it->second.arrived}, noted});
  }
  return out;
}

void CountedOpen::Load(const std::vector<Saved>& saved) {
  ids_.clear();
  order_.clear();
  for (const Saved& s : saved) Note(s.key, s.noted);
}

}  // namespace mailtrail
