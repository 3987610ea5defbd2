// AmavisParts: the records of an amavis line that amavis split (longer than
// its $logline_maxlen, 980 bytes: a message to some thirty recipients, or a
// sender's long address), joined again into the whole line. Split, its scan
// was lost: no part is a scan (a later part may begin with a whole forged
// line, helper-121), and read alone the first part's right is the sender's
// text. amavis writes a line's parts in one call, one after the other: one
// line is held per process (host and pid), and any other record of that
// process before its last part drops it. A syslog daemon that folds two
// identical parts into "message repeated" (rsyslog's RepeatedMsgReduction),
// or loses one, left a line short of a part, whose escapes then shifted and
// put a forged Queue-ID inside the sender's address on the line (helper-126
// F1). Bounded; the oldest held line goes first. Pure logic, time from the
// lines (docs/style.md rule 6).
#ifndef MAILTRAIL_AGENT_TRACK_AMAVIS_PARTS_H_
#define MAILTRAIL_AGENT_TRACK_AMAVIS_PARTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "base/civil_time.h"
#include "parsers/event.h"

namespace mailtrail {

class AmavisParts {
 public:
  static constexpr size_t kMaxHeld = 256;         // processes with a line held
  static constexpr size_t kMaxBytes = 64 * 1024;  // of one line (about 1,500 recipients)
  static constexpr TimeUs kMaxAge = 60 * kUsPerSecond;

  // Takes a kAmavisPart event. When it is its line's last part, sets
  // `*whole` to the line's message as amavis meant it, "(TASK) TEXT", and
  // returns true. A part that follows no first part of its task, over the
  // bounds or after kMaxAge drops the line: its parts are counted in
  // dropped(); a line read whole in joined().
  bool Take(const Event& ev, std::string* whole);
  // Any other record of an amavis process: a line it held lost a part.
  void Interrupt(const Event& ev);
  // The end of the input: every line still held lost its last part.
  void DropAll() {
    for (const auto& [key, h] : held_) dropped_ += h.parts;
    held_.clear();
  }
  size_t held() const { return held_.size(); }
  int64_t dropped() const { return dropped_; }
  int64_t joined() const { return joined_; }

 private:
  using Key = std::pair<std::string, uint32_t>;  // host, pid
  struct Held {
    std::string task, text;
    TimeUs first = 0;
    int parts = 1;
  };
  std::map<Key, Held> held_;
  int64_t dropped_ = 0;
  int64_t joined_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_AMAVIS_PARTS_H_
