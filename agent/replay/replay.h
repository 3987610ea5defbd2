// Replay: read log files in the order given (a rotated set: mail.log.2.gz
// mail.log.1 mail.log), parse every line, feed the tracker, count line kinds.
// Runs on the calling thread; records go to `sink` (an AsyncWriter in the CLI).
#ifndef MAILTRAIL_AGENT_REPLAY_REPLAY_H_
#define MAILTRAIL_AGENT_REPLAY_REPLAY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/replay/line_stats.h"
#include "agent/track/tracker.h"
#include "base/status.h"

namespace mailtrail {

struct ReplayOptions {
  // Year of the first yearless line; without it, each file's mtime decides.
  std::optional<int> year;
  int utc_offset_seconds = 0;  // the log's time zone, for yearless/zoneless stamps
  TrackerOptions tracker;
};

struct ReplayProgress {
  int64_t bytes_done = 0, bytes_total = 0, lines = 0;
};

// Called every few thousand lines and once at the end.
using ProgressFn = std::function<void(const ReplayProgress&)>;

// Returns the first unreadable file as an error (after the files before it were
// replayed); bad lines inside a file are counted, never fatal.
Status Replay(const std::vector<std::string>& files, const ReplayOptions& options, RecordSink* sink,
              LineCounter* counter, const ProgressFn& progress);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_REPLAY_REPLAY_H_
