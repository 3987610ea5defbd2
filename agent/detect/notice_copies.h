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
  // Copies with one Message-ID within kKeep of each other: every copy our
  // networks handed in is one notice with the others of ours (two hops of
  // ours: an MX, a relay, a mailbox host, helper-116) and with one copy from
  // outside. Other copies from outside are more notices: a forger that gives
  // its whole flood one Message-ID, and has one of them handed in by a
  // backup MX of ours, still counts the rest (helper-115).
  static constexpr TimeUs kKeep = 600 * kUsPerSecond;
  static constexpr size_t kMax = 100000;      // ids remembered at most
  static constexpr size_t kMaxIdBytes = 256;  // of each: about 40 MB in all at most

  // Notes a notice; whether it is a copy of one noted within kKeep before
  // `at` (log time), by the rule above.
  bool SeenFromTheOtherSide(std::string_view message_id, bool ours, TimeUs at);
  size_t remembered() const { return ids_.size(); }

 private:
  struct Copies {
    bool ours = false;    // a copy of ours was counted, or was one of an outside copy
    bool paired = false;  // ...and an outside copy was taken for it
    int outside = 0;      // outside copies counted
    TimeUs last = 0;      // when one was last noted
  };
  std::unordered_map<std::string, Copies> ids_;
  // One entry per id, roughly by time (a key's node is stable until erased here).
  std::deque<std::pair<TimeUs, const std::string*>> order_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_NOTICE_COPIES_H_
