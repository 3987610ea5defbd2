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
// (or the first part of such a line that amavis split by length, whose
// joined line is then the main line, if no other record of the task came
// between its parts) is the task's main line, whatever it parses to; after
// it only the Blocked line that follows a Passed one, of
// the same Queue-ID, Message-ID and sender and without a queued_as (the
// Blocked template has none), is a scan. A task is keyed by host and task
// id (which holds amavis's pid; the syslog pid may be missing), and a
// record more than kTaskLife after its task began begins it again (a new
// child with the pid of one long gone: helper-131). Bounded; pure logic,
// time from the lines (docs/style.md rule 6).
#ifndef MAILTRAIL_AGENT_TRACK_AMAVIS_TASKS_H_
#define MAILTRAIL_AGENT_TRACK_AMAVIS_TASKS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "base/civil_time.h"
#include "parsers/event.h"

namespace mailtrail {

class AmavisTasks {
 public:
  static constexpr size_t kMaxTasks = 1024;  // tasks remembered
  static constexpr TimeUs kTaskLife = 60 * kUsPerSecond;

  // Takes every amavis record (a split line's parts, and the line they make
  // again: Event::split kLast on its kScan). False for a scan (kScan) that
  // is not its task's main line nor the Blocked line after it: it is not to
  // be used.
  bool Admit(const Event& ev);
  int64_t refused() const { return refused_; }

 private:
  using Key = std::pair<std::string, std::string>;  // host, task
  struct Task {
    TimeUs began = 0;
    std::string qid, message_id, from;
    bool main_read = false;  // its main line was read (or lost a part)
    bool passed = false;     // the main line was a Passed scan
    bool blocked = false;    // ... and its Blocked line came
    uint64_t last_used = 0;  // for the bound
  };
  Task* Begin(const Key& key, TimeUs time);
  static void ReadMain(const Event& ev, Task* t);
  std::map<Key, Task> tasks_;
  uint64_t uses_ = 0;
  int64_t refused_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_AMAVIS_TASKS_H_
