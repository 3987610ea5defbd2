// NoticeCopies: one notice in two logs read here, known by its own
// Message-ID: the MX of ours that took it from outside, and the mailbox host
// of ours it relayed it to (a central syslog, `detect` over both hosts'
// logs). Counted twice, it halved the subject rule's threshold: 26 genuine
// notices from two providers got both and the standard NDR subject blocked
// (helper-114 F2). Pure logic, time from the records (docs/style.md rule 6).
#ifndef MAILTRAIL_AGENT_DETECT_NOTICE_COPIES_H_
#define MAILTRAIL_AGENT_DETECT_NOTICE_COPIES_H_

#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "base/civil_time.h"

namespace mailtrail {

class NoticeCopies {
 public:
  // A copy handed in by our networks (`ours`) and one from outside with the
  // same Message-ID within kKeep of each other are one notice: copies pair
  // off, one of each side. Two copies from outside are two, and so is every
  // outside copy a copy of ours has not paired (a forger that gives its
  // whole flood one Message-ID, and has one of them handed in by a backup
  // MX of ours, still counts the rest, helper-115).
  static constexpr TimeUs kKeep = 600 * kUsPerSecond;
  static constexpr size_t kMax = 100000;      // ids remembered at most
  static constexpr size_t kMaxIdBytes = 256;  // of each: about 40 MB in all at most

  // Notes a counted notice; whether it pairs with an unpaired copy from the
  // other side noted within kKeep before `at` (log time).
  bool SeenFromTheOtherSide(std::string_view message_id, bool ours, TimeUs at);
  size_t remembered() const { return ids_.size(); }

 private:
  struct Unpaired {
    int ours = 0, outside = 0;
    TimeUs last = 0;  // when one was last noted
  };
  std::unordered_map<std::string, Unpaired> ids_;
  // One entry per id, roughly by time (a key's node is stable until erased here).
  std::deque<std::pair<TimeUs, const std::string*>> order_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_NOTICE_COPIES_H_
