#include "agent/detect/mail_senders.h"

#include <algorithm>

namespace mailtrail {

void MailSenders::Note(const std::string& ip, TimeUs at) {
  if (auto it = last_.find(ip); it != last_.end()) {
    it->second = std::max(it->second, at);
    return;
  }
  // The senders older than kKeep go, once an hour of log time (a sweep costs
  // the whole map): what is kept, and saved, is a day's senders.
  if (at >= next_sweep_) {
    next_sweep_ = at + 3600 * kUsPerSecond;
    for (auto it = last_.begin(); it != last_.end();)
      it = it->second + kKeep < at ? last_.erase(it) : std::next(it);
  }
  if (last_.size() < kMax) last_.emplace(ip, at);
}

bool MailSenders::Sent(const std::string& ip, TimeUs at) const {
  auto it = last_.find(ip);
  return it != last_.end() && it->second + kKeep >= at;
}

}  // namespace mailtrail
