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
  // same Message-ID within kKeep of each other are one notice. Two copies
  // from outside are two (a forger that gives every bounce one Message-ID
  // does not count once), and two of ours too.
  static constexpr TimeUs kKeep = 600 * kUsPerSecond;
  static constexpr size_t kMax = 200000;  // ids remembered at most

  // Notes a counted notice; whether a copy from the other side was noted
  // within kKeep before `at` (log time).
  bool SeenFromTheOtherSide(std::string_view message_id, bool ours, TimeUs at);
  size_t remembered() const { return ids_.size(); }

 private:
  struct Sides {
    bool ours = false, outside = false;
    TimeUs last = 0;
  };
  std::unordered_map<std::string, Sides> ids_;
  std::deque<std::pair<TimeUs, std::string>> order_;  // by when first noted
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_NOTICE_COPIES_H_
