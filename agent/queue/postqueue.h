// The unprivileged view of the queue: `postqueue -j` (set-group-id postdrop,
// so any user may run it) prints one JSON object per queued message with its
// queue, sender and recipients — enough to count what waits where and the
// bounces piling up in deferred, without reading queue files (no Subject).
#ifndef MAILTRAIL_AGENT_QUEUE_POSTQUEUE_H_
#define MAILTRAIL_AGENT_QUEUE_POSTQUEUE_H_

#include <string>
#include <string_view>

#include "agent/queue/queue_dir.h"

namespace mailtrail {

// Counts from `postqueue -j` output, fed in pieces as it comes (pure): a
// queue of 100,000 messages prints tens of megabytes. Lines that are not its
// JSON are counted as corrupt and named in errors (the first few).
class PostqueueJsonCounter {
 public:
  void Feed(std::string_view piece);
  QueueScan Finish();  // counts the last line if it had no newline

 private:
  void Line(std::string_view line);

  QueueScan scan_;
  std::string partial_;    // a line not ended yet
  bool skipping_ = false;  // the rest of a line too long to keep
  size_t line_no_ = 0;
};

// The whole output at once.
QueueScan ScanPostqueueJson(std::string_view jsonl);

// Runs `postqueue -c CONFIG_DIR -j` (no shell) and counts its output as it
// comes. `cancel_fd` (an eventfd, -1 for none): readable, postqueue is
// stopped and the scan fails; so it is after `timeout_ms` (> 0). Either puts
// it in a process group of its own: the command line sets neither, so that
// Ctrl-C stops it with the command (helper-148).
QueueScan ScanWithPostqueue(const std::string& postqueue, const std::string& config_dir,
                            int cancel_fd = -1, int timeout_ms = 0);

// Generous: showq reads every queue file, and the scan matters most when the
// queue is largest.
inline constexpr int kPostqueueTimeoutMs = 300 * 1000;

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_QUEUE_POSTQUEUE_H_
