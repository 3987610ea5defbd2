// QueueWatcher: reads Postfix queue files as they appear, for what the log does
// not carry (the Subject and From: without header_checks INFO lines, the
// Message-ID, the Content-Type of a DSN, the arrival time), and counts the
// bounces waiting in deferred (outgoing backscatter).
//
// With read_files off it only runs `postqueue -j` at each scan (no privilege).
//
// A thread of its own, never the log reader's: inotify on incoming/ (a file is
// complete when cleanup sets its execute bit: IN_ATTRIB) and active/ (qmgr
// moves it there: IN_MOVED_TO), a first pass over active, deferred and hold at
// start, and a full scan every scan_interval. What it reads goes to a bounded
// cache by queue id that the agent copies into the open record (so that the
// checkpoint keeps it across a restart) and consults again when a record
// closes; a message delivered before its file could be read is not enriched. Reading
// needs the postfix user or CAP_DAC_READ_SEARCH: without it the watcher says
// so once a scan and the agent goes on without it.
#ifndef MAILTRAIL_AGENT_QUEUE_QUEUE_WATCHER_H_
#define MAILTRAIL_AGENT_QUEUE_QUEUE_WATCHER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "agent/queue/queue_dir.h"
#include "base/civil_time.h"
#include "base/clock.h"
#include "base/log.h"

namespace mailtrail {

// What a queue file tells about its message.
struct QueueHints {
  std::string subject, from, message_id, content_type;
  int64_t arrival_sec = 0;
  bool bounce = false;  // null sender or a DSN Content-Type
};

// Thread-safe, bounded (least recently put dropped first).
class QueueHintCache {
 public:
  explicit QueueHintCache(size_t capacity = 100000) : capacity_(capacity) {}
  void Put(const std::string& qid, QueueHints hints);
  std::optional<QueueHints> Get(const std::string& qid) const;
  // The queue ids put since the last call, oldest first (at most `capacity`):
  // the agent copies their hints into the open records, which its checkpoint
  // keeps across a restart (the files may be gone by then).
  std::vector<std::string> TakeFresh();
  bool Has(const std::string& qid) const;
  size_t size() const;

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::list<std::string> order_;   // oldest first
  std::deque<std::string> fresh_;  // put since the last TakeFresh()
  std::unordered_map<std::string, std::pair<QueueHints, std::list<std::string>::iterator>> map_;
};

struct QueueWatcherOptions {
  std::string queue_dir;  // Postfix's queue_directory
  // false: no queue files, only `postqueue -j` every scan (unprivileged; the
  // counts and deferred bounces, no hints).
  bool read_files = true;
  std::string postqueue = "/usr/sbin/postqueue";
  std::string postfix_config_dir = "/etc/postfix";
  TimeUs scan_interval = 60 * kUsPerSecond;
  int64_t bounce_alert = 50;   // deferred bounces that are reported as backscatter
  Logger* log = &StderrLog();  // read errors (once a minute) and the backscatter report
};

class QueueWatcher {
 public:
  // The scan timer and the say-once-a-minute limit run on `clock`.
  QueueWatcher(QueueWatcherOptions options, QueueHintCache* cache, const Clock* clock);
  ~QueueWatcher();  // stops the thread
  Status Start();   // fails only if inotify (or the clock's alarm) cannot be had
  void Stop();

  int64_t files_read() const { return files_read_; }
  int64_t read_errors() const { return read_errors_; }
  // Files in active/ gone before they could be read (delivered and removed
  // first): their messages' records lack what only the file told (subject).
  int64_t vanished() const { return vanished_; }
  int64_t deferred_bounces() const { return deferred_bounces_; }
  int64_t queued_files() const { return queued_files_; }
  int64_t corrupt_files() const { return corrupt_files_; }
  int64_t scans() const { return scans_; }
  // Scans that counted nothing (postqueue failed or ran out of time, the
  // queue not readable): the counts above are then the last ones made.
  int64_t scans_failed() const { return scans_failed_; }

 private:
  void Run();
  void ReadFile(const std::string& path, const std::string& qid, bool incoming);
  void Remember(const std::string& qid, QueueFile& q);  // into the cache
  bool Watch();  // sets the inotify watches still missing; true when both are set
  void FullScan();
  void Count(const QueueScan& s);  // the counters and the backscatter report
  void Say(const std::string& what);

  QueueWatcherOptions o_;
  QueueHintCache* cache_;
  const Clock* clock_;
  std::unique_ptr<Alarm> alarm_;  // the next scan (or retry of the watches) is due
  int inotify_ = -1, stop_fd_ = -1;
  int wd_incoming_ = -1, wd_active_ = -1;
  std::thread thread_;
  std::atomic<int64_t> files_read_{0}, read_errors_{0}, deferred_bounces_{0}, queued_files_{0},
      corrupt_files_{0}, scans_{0}, vanished_{0}, scans_failed_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_QUEUE_QUEUE_WATCHER_H_
