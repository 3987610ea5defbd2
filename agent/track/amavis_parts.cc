#include "agent/track/amavis_parts.h"

#include <iterator>

namespace mailtrail {

void AmavisParts::DropOlderThan(TimeUs t) {
  for (auto it = parts_.begin(); it != parts_.end();) {
    if (it->second.first < t) {
      ++dropped_;
      it = parts_.erase(it);
    } else {
      ++it;
    }
  }
}

bool AmavisParts::Take(const Event& ev, std::string* whole) {
  Key key{std::string(ev.host), ev.pid, std::string(ev.task)};
  auto it = parts_.find(key);
  if (ev.split == SplitPart::kFirst) {
    if (it != parts_.end()) {  // a task split again before its last part came
      ++dropped_;
      parts_.erase(it);
    }
    if (parts_.size() >= kMaxTasks) DropOlderThan(ev.time - kMaxAge);
    if (parts_.size() >= kMaxTasks || ev.text.size() > kMaxBytes) {
      ++dropped_;
      return false;
    }
    parts_.emplace(std::move(key), Held{std::string(ev.text), ev.time});
    return false;
  }
  if (it == parts_.end()) {  // its first part was dropped, or never read
    ++dropped_;
    return false;
  }
  Held& h = it->second;
  if (ev.time - h.first > kMaxAge || h.text.size() + ev.text.size() > kMaxBytes) {
    ++dropped_;
    parts_.erase(it);
    return false;
  }
  h.text += ev.text;
  if (ev.split == SplitPart::kMiddle) return false;
  *whole = "(" + std::string(ev.task) + ") " + h.text;
  parts_.erase(it);
  return true;
}

}  // namespace mailtrail
