#include "agent/blocks/strike_book.h"

#include <algorithm>
#include <iterator>

namespace mailtrail {

int StrikeBook::At(const Key& id, TimeUs at) const {
  int most = 0;
  if (auto it = keys_.find(id); it != keys_.end())
    for (const Counted& c : it->second)
      if (c.end > at - max_period_ && c.created <= at) most = std::max(most, c.strikes);
  return most;
}

void StrikeBook::Count(const Key& id, const Block& b) {
  // Nothing is pruned by time: a row made ahead of this clock (another
  // agent's, a clock set back) and then removed took with it the strike it
  // had pruned as lapsed by its own time (helper-120 F3). At() skips what has
  // lapsed; kMaxPerKey bounds the memory.
  std::vector<Counted>& counted = keys_[id];
  for (Counted& c : counted) {
    if (c.created != b.created) continue;
    c.strikes = std::max(c.strikes, b.strikes);
    c.end = b.expires;
    return;
  }
  if (counted.size() >= kMaxPerKey) {
    counted.erase(
        std::min_element(counted.begin(), counted.end(),
                         [](const Counted& x, const Counted& y) { return x.end < y.end; }));
  }
  counted.push_back({b.created, b.strikes, b.expires});
}

void StrikeBook::Forget(const Key& id, TimeUs created) {
  auto it = keys_.find(id);
  if (it == keys_.end()) return;
  std::erase_if(it->second, [&](const Counted& c) { return c.created == created; });
  if (it->second.empty()) keys_.erase(it);
}

void StrikeBook::MoveEnd(const Key& id, TimeUs created, TimeUs end) {
  if (auto it = keys_.find(id); it != keys_.end())
    for (Counted& c : it->second)
      if (c.created == created) c.end = end;
}

void StrikeBook::Sweep(TimeUs before) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    std::erase_if(it->second, [before](const Counted& c) { return c.end < before; });
    it = it->second.empty() ? keys_.erase(it) : std::next(it);
  }
}

}  // namespace mailtrail
