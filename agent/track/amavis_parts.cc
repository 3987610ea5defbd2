#include "agent/track/amavis_parts.h"

#include <algorithm>

namespace mailtrail {

void AmavisParts::Interrupt(const Event& ev) {
  if (held_.empty()) return;
  if (auto it = held_.find({std::string(ev.host), ev.pid}); it != held_.end()) {
    dropped_ += it->second.parts;
    held_.erase(it);
  }
}

bool AmavisParts::Take(const Event& ev, std::string* whole) {
  Key key{std::string(ev.host), ev.pid};
  auto it = held_.find(key);
  if (ev.split == SplitPart::kFirst) {
    if (it != held_.end()) {  // the line before lost its last part
      dropped_ += it->second.parts;
      held_.erase(it);
    }
    if (ev.text.size() > kMaxBytes) {
      ++dropped_;
      return false;
    }
    if (held_.size() >= kMaxHeld) {  // the oldest goes
      auto oldest = std::min_element(held_.begin(), held_.end(), [](const auto& a, const auto& b) {
        return a.second.first < b.second.first;
      });
      dropped_ += oldest->second.parts;
      held_.erase(oldest);
    }
    held_.emplace(std::move(key), Held{std::string(ev.task), std::string(ev.text), ev.time});
    return false;
  }
  if (it == held_.end()) {  // its first part was dropped, or never read
    ++dropped_;
    return false;
  }
  Held& h = it->second;
  if (h.task != ev.task || ev.time - h.first > kMaxAge ||
      h.text.size() + ev.text.size() > kMaxBytes) {
    dropped_ += h.parts + 1;
    held_.erase(it);
    return false;
  }
  h.text += ev.text;
  ++h.parts;
  if (ev.split == SplitPart::kMiddle) return false;
  *whole = "(" + h.task + ") " + h.text;
  held_.erase(it);
  ++joined_;
  return true;
}

}  // namespace mailtrail
