// CountedOpen: the bounces the flood rules counted while their messages were
// still open (FloodDetector::OnDeferral), so that their close counts them no
// more. A bounce deferred at our mailboxes (a full mailbox, LMTP down: common
// under backscatter) closes hours or days later, outside every window: the
// live agent never counted such a flood, while `detect`, which closes every
// open record at the end of its input, blocked it (helper-134 F4). Pure
// logic, time from the records (docs/style.md rule 6).
#ifndef MAILTRAIL_AGENT_DETECT_COUNTED_OPEN_H_
#define MAILTRAIL_AGENT_DETECT_COUNTED_OPEN_H_

#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/civil_time.h"

namespace mailtrail {

class CountedOpen {
 public:
  // Longer than Postfix keeps a bounce queued (bounce_queue_lifetime, 5 days);
  // a message open longer is counted again at its close, outside every window.
  static constexpr TimeUs kKeep = 8LL * 86400 * kUsPerSecond;
  static constexpr size_t kMax = 200000;  // messages remembered at most (about 20 MB)

  // A message: its host and queue id, and when it arrived (a queue id used
  // again later is another message).
  struct Key {
    std::string host, qid;
    TimeUs arrived = 0;
  };
  // Notes `k` counted at log time `at`; false if it was already.
  bool Note(const Key& k, TimeUs at);
  bool Has(const Key& k) const;
  // Whether `k` was counted while open; it is forgotten.
  bool Take(const Key& k);
  bool empty() const { return ids_.empty(); }
  size_t size() const { return ids_.size(); }

  // For the detector's state: (host, qid, arrived, noted), oldest noted first.
  struct Saved {
    Key key;
    TimeUs noted = 0;
  };
  std::vector<Saved> Save() const;
  void Load(const std::vector<Saved>& saved);

 private:
  static std::string Id(const Key& k) { return k.host + '\t' + k.qid; }
  struct When {
    TimeUs arrived, noted;
  };
  std::unordered_map<std::string, When> ids_;         // by Id()
  std::deque<std::pair<TimeUs, std::string>> order_;  // (noted, Id()), by time noted
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_COUNTED_OPEN_H_
