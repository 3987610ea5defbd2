// AmavisParts: the records of an amavis line that amavis split (longer than
// its $logline_maxlen, 980 bytes: a message to some thirty recipients, or a
// sender's long address), joined again into the whole line. Split, its scan
// was lost: no part is a scan (a later part may begin with a whole forged
// line, helper-121), and read alone the first part's right is the sender's
// text. One task's parts come in order from one process: keyed by host, pid
// and task. Bounded; a task whose last part never comes is dropped. Pure
// logic, time from the lines (docs/style.md rule 6).
#ifndef MAILTRAIL_AGENT_TRACK_AMAVIS_PARTS_H_
#define MAILTRAIL_AGENT_TRACK_AMAVIS_PARTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "base/civil_time.h"
#include "parsers/event.h"

namespace mailtrail {

class AmavisParts {
 public:
  static constexpr size_t kMaxTasks = 256;        // held at once
  static constexpr size_t kMaxBytes = 64 * 1024;  // of one line (about 1,500 recipients)
  static constexpr TimeUs kMaxAge = 60 * kUsPerSecond;

  // Takes a kAmavisPart event. When it is a task's last part, sets `*whole`
  // to the line's message as amavis meant it, "(TASK) TEXT", and returns
  // true. A part out of order (no first part before it), over the bounds or
  // after kMaxAge drops the task: counted in dropped().
  bool Take(const Event& ev, std::string* whole);
  size_t held() const { return parts_.size(); }
  int64_t dropped() const { return dropped_; }

 private:
  using Key = std::tuple<std::string, uint32_t, std::string>;  // host, pid, task
  struct Held {
    std::string text;
    TimeUs first = 0;
  };
  void DropOlderThan(TimeUs t);
  std::map<Key, Held> parts_;
  int64_t dropped_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_AMAVIS_PARTS_H_
