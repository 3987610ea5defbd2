// Replay: read log files oldest first, parse every line, feed the tracker, count
// line kinds. Runs on the calling thread; records go to `sink` (an AsyncWriter
// in the CLI).
//
// The order: the files are read in the order of their first time stamps, not
// necessarily as given. A shell glob gives `mail.log mail.log.1.gz` (newest
// first); read so, every message that spans the rotation loses its beginning
// or its end and is recorded as deferred or in flight. Reordering (and saying
// so) rather than refusing: the first time stamp of a rotated file is an
// unambiguous key, and the user's intent (these files, oldest first) is clear.
//
// Bad input loses nothing else: a file damaged part-way (a truncated .gz) is
// read up to the damage and the files after it are still read; a file none of
// whose lines is a Postfix line (not a mail log) is counted as read. Both make
// the result an error naming the file, after everything else was replayed.
#ifndef MAILTRAIL_AGENT_REPLAY_REPLAY_H_
#define MAILTRAIL_AGENT_REPLAY_REPLAY_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
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
  // Told what the user should know but is no error (the files reordered).
  std::function<void(std::string_view)> notice;
};

struct ReplayProgress {
  int64_t bytes_done = 0, bytes_total = 0, lines = 0;
};

// Called every few thousand lines and once at the end.
using ProgressFn = std::function<void(const ReplayProgress&)>;

// The files in the order they are read: by the time of their first dated line
// (yearless stamps dated by each file's mtime); files with none come last, in
// the given order. Ties keep the given order.
std::vector<std::string> OrderByFirstTime(const std::vector<std::string>& files,
                                          int utc_offset_seconds);

// A file that cannot be opened is an error before anything is read. Otherwise
// every file is read (see above) and the error, if any, names each damaged file
// and each file that is not a mail log; bad lines inside a file are counted,
// never fatal.
Status Replay(const std::vector<std::string>& files, const ReplayOptions& options, RecordSink* sink,
              LineCounter* counter, const ProgressFn& progress);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_REPLAY_REPLAY_H_
