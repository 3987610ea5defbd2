// AmavisTasks: which amavis records of a task may be its scan. amavis
// expands its log template for a message (a task, "(PID-N)") and logs each
// line of the result as a record of that task: the Passed line, then for
// blocked recipients the Blocked line, then the per-recipient lines. In
// $log_verbose_templ a Subject's RFC 2047 words are decoded after control
// characters were escaped, and dkim_i= is decoded from quoted-printable, so
// a sender's newline split a main line in two and the second record was a
// whole forged main line naming any Queue-ID (helper-130 F1). The forged
// record always follows the real first one, which begins with the real
// verdict. So the first record of a task that begins "Passed " or "Blocked "
// is the task's main line, whatever became of it; after it only the Blocked
// line that follows a Passed one, of the same Queue-ID, Message-ID and
// sender and without a queued_as (the Blocked template has none), is a scan.
// Bounded; pure logic (docs/style.md rule 6).
#ifndef MAILTRAIL_AGENT_TRACK_AMAVIS_TASKS_H_
#define MAILTRAIL_AGENT_TRACK_AMAVIS_TASKS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "parsers/event.h"

namespace mailtrail {

class AmavisTasks {
 public:
  static constexpr size_t kMaxProcesses = 1024;  // amavis children remembered

  // Takes every amavis record but the parts of a split line (and the line
  // they make again). False for a scan (kScan) that is not its task's main
  // line nor the Blocked line after it: it is not to be used.
  bool Admit(const Event& ev);
  int64_t refused() const { return refused_; }

 private:
  using Key = std::pair<std::string, uint32_t>;  // host, pid
  struct Task {
    std::string task, qid, message_id, from;
    bool passed = false;     // the main line was a Passed scan
    bool blocked = false;    // ... and its Blocked line came
    uint64_t last_used = 0;  // for the bound
  };
  std::map<Key, Task> by_process_;
  uint64_t uses_ = 0;
  int64_t refused_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_AMAVIS_TASKS_H_
