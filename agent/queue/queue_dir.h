// A Postfix queue directory on disk: every queue file in incoming, active,
// deferred, hold and corrupt (flat, or hashed into subdirectories, as
// hash_queue_names/hash_queue_depth say; long ids hash differently, so every
// subdirectory is searched), a file found by its queue id, and a scan that
// counts what waits where — including bounces piling up in deferred, the sign
// of outgoing backscatter (our server bouncing mail to forged senders).
// Reading the queue needs the postfix user or CAP_DAC_READ_SEARCH
// (docs/postfix.md); without it every function says so and reads nothing.
#ifndef MAILTRAIL_AGENT_QUEUE_QUEUE_DIR_H_
#define MAILTRAIL_AGENT_QUEUE_QUEUE_DIR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "parsers/queue_file.h"

namespace mailtrail {

extern const char* const kQueueNames[5];  // incoming active deferred hold corrupt

struct QueueEntry {
  std::string queue;  // "deferred"
  std::string path;   // full path
  std::string qid;    // the file name
};

// Calls `fn` for every file of every queue (at most two levels of hashed
// subdirectories). A queue that does not exist is skipped; one that cannot be
// read is an error (after the others were walked).
Status ForEachQueueFile(const std::string& queue_dir,
                        const std::function<void(const QueueEntry&)>& fn);

// The file of queue id `qid` in any queue.
StatusOr<QueueEntry> FindQueueFile(const std::string& queue_dir, const std::string& qid);

// The bytes of a queue file, at most `max_bytes` (a longer file is an error:
// queue files are bounded by message_size_limit).
StatusOr<std::string> ReadQueueFile(const std::string& path, size_t max_bytes = 256 << 20);

struct QueueScan {
  std::map<std::string, int64_t> per_queue;  // files per queue
  int64_t files = 0, unreadable = 0, corrupt = 0, incomplete = 0;
  // Bounces (null sender or a DSN) waiting in deferred, and to whom.
  int64_t deferred_bounces = 0, oldest_bounce = 0;  // arrival, seconds
  std::map<std::string, int64_t> bounce_domains;    // recipient domain -> bounces
  std::vector<std::string> errors;                  // the first few, escaped
  Status walk;                                      // the directory walk itself
};

// Counts every queue; `on_file`, if given, also gets each file parsed (one
// pass: the watcher caches what it needs from the same read).
QueueScan ScanQueue(const std::string& queue_dir, const QueueFileLimits& limits = {},
                    const std::function<void(const QueueEntry&, QueueFile&)>& on_file = {});

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_QUEUE_QUEUE_DIR_H_
