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

// Counts from `postqueue -j` output (pure). Lines that are not its JSON are
// counted as corrupt and named in errors (the first few).
QueueScan ScanPostqueueJson(std::string_view jsonl);

// Runs `postqueue -c CONFIG_DIR -j` (no shell) and counts its output.
QueueScan ScanWithPostqueue(const std::string& postqueue, const std::string& config_dir);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_QUEUE_POSTQUEUE_H_
