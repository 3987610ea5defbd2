#include "agent/queue/queue_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/queue/postqueue.h"
#include "base/queue_id.h"
#include "base/text.h"

namespace mailtrail {

void QueueHintCache::Put(const std::string& qid, QueueHints hints) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(qid);
  if (it != map_.end()) {
    it->second.first = std::move(hints);
    return;
  }
  order_.push_back(qid);
  map_.emplace(qid, std::make_pair(std::move(hints), std::prev(order_.end())));
  fresh_.push_back(qid);
  if (fresh_.size() > capacity_) fresh_.pop_front();
  while (map_.size() > capacity_) {
    map_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<QueueHints> QueueHintCache::Get(const std::string& qid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(qid);
  if (it == map_.end()) return std::nullopt;
  return it->second.first;
}

std::vector<std::string> QueueHintCache::TakeFresh() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out(fresh_.begin(), fresh_.end());
  fresh_.clear();
  return out;
}

bool QueueHintCache::Has(const std::string& qid) const {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.count(qid) > 0;
}

size_t QueueHintCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.size();
}

QueueWatcher::QueueWatcher(QueueWatcherOptions options, QueueHintCache* cache, const Clock* clock)
    : o_(std::move(options)), cache_(cache), clock_(clock) {}

QueueWatcher::~QueueWatcher() { Stop(); }

Status QueueWatcher::Start() {
  inotify_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  alarm_ = clock_->NewAlarm();
  if (inotify_ < 0 || stop_fd_ < 0 || alarm_ == nullptr)
    return Status::IoError(std::string("queue watcher: ") + std::strerror(errno));
  // A missing or unreadable queue is said by the scans; the watches are
  // retried at each one.
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void QueueWatcher::Stop() {
  if (thread_.joinable()) {
    stopping_ = true;
    const uint64_t one = 1;
    if (::write(stop_fd_, &one, sizeof one) < 0) { /* the thread is gone already */
    }
    thread_.join();
  }
  if (inotify_ >= 0) ::close(inotify_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
  inotify_ = stop_fd_ = -1;
  alarm_.reset();
}

void QueueWatcher::Say(const std::string& what) {
  // At most once a minute: a queue we may not read says so, not per file.
  o_.log->Limited(LogLevel::kWarn, "queue", "queue: " + EscapeForLog(what, 300),
                  clock_->MonotonicNow());
}

void QueueWatcher::ReadFile(const std::string& path, const std::string& qid, bool incoming) {
  if (!IsQueueId(qid) || cache_->Has(qid)) return;
  auto bytes = ReadQueueFile(path);
  if (!bytes.ok()) {
    if (bytes.status().code() != Status::Code::kNotFound) {
      ++read_errors_;
      Say(bytes.status().message());
    } else if (!incoming) {
      ++vanished_;  // delivered and removed already (from incoming/ it only moved on)
    }
    return;
  }
  auto q = ParseQueueFile(*bytes);
  if (!q.ok() || (!q->complete && incoming)) {
    if (!q.ok() && !incoming) {
      ++read_errors_;
      Say(path + ": " + q.status().message());
    }
    return;  // incoming: not written completely yet; a later event reads it
  }
  Remember(qid, *q);
}

void QueueWatcher::Remember(const std::string& qid, QueueFile& q) {
  ++files_read_;
  QueueHints h;
  h.subject = std::move(q.subject);
  h.from = std::move(q.from);
  h.message_id = std::move(q.message_id);
  h.content_type = std::move(q.content_type);
  h.arrival_sec = q.arrival_sec;
  h.bounce = q.LooksLikeBounce();
  cache_->Put(qid, std::move(h));
}

bool QueueWatcher::Watch() {
  if (wd_incoming_ < 0)
    wd_incoming_ = inotify_add_watch(inotify_, (o_.queue_dir + "/incoming").c_str(),
                                     IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_TO);
  if (wd_active_ < 0)
    wd_active_ =
        inotify_add_watch(inotify_, (o_.queue_dir + "/active").c_str(), IN_MOVED_TO | IN_CREATE);
  return wd_incoming_ >= 0 && wd_active_ >= 0;
}

void QueueWatcher::FullScan() {
  if (!o_.read_files) {
    Count(ScanWithPostqueue(o_.postqueue, o_.postfix_config_dir, stop_fd_, kPostqueueTimeoutMs));
    return;
  }
  Watch();
  // The counts (and the deferred bounces), and in the same read the files of
  // messages that may still be open in the tracker.
  Count(ScanQueue(o_.queue_dir, {}, [this](const QueueEntry& e, QueueFile& q) {
    if (e.queue == "corrupt" || (e.queue == "incoming" && !q.complete)) return;
    if (!cache_->Has(e.qid)) Remember(e.qid, q);
  }));
}

void QueueWatcher::Count(const QueueScan& s) {
  ++scans_;
  if (!s.walk.ok() && s.files == 0) {
    // Nothing counted (postqueue failed or was stopped, the queue not
    // readable): the last counts stand rather than a queue said empty, and
    // the failure is counted (mailtrail_queue_scans_failed_total).
    if (stopping_) return;  // postqueue stopped with us: nothing to say
    ++scans_failed_;
    Say(s.walk.message());
    return;
  }
  queued_files_ = s.files;
  corrupt_files_ = s.corrupt;
  deferred_bounces_ = s.deferred_bounces;
  if (!s.walk.ok()) Say(s.walk.message());
  for (const auto& e : s.errors) Say(e);
  if (s.deferred_bounces >= o_.bounce_alert) {
    std::string top;
    int64_t most = 0;
    for (const auto& [d, n] : s.bounce_domains)
      if (n > most) most = n, top = d;
    o_.log->Warn("outgoing backscatter: " + std::to_string(s.deferred_bounces) +
                 " bounces waiting in deferred (the most to " + EscapeForLog(top, 100) + ": " +
                 std::to_string(most) +
                 "); this server is bouncing mail to senders that do not take it");
  }
}

void QueueWatcher::Run() {
  FullScan();
  TimeUs next_scan = clock_->MonotonicNow() + o_.scan_interval;
  // Until both watches are set (the queue directories may come later than the
  // agent, at Postfix's first start), they are tried again every 250 ms, and
  // the queue scanned once they are: waiting for the next scan missed every
  // message of the first minutes.
  bool watching = !o_.read_files || (wd_incoming_ >= 0 && wd_active_ >= 0);
  constexpr TimeUs kRewatch = 250 * kUsPerSecond / 1000;
  alignas(inotify_event) char buf[64 * 1024];
  while (true) {
    const TimeUs now = clock_->MonotonicNow();
    if (now >= next_scan) {
      FullScan();
      next_scan = now + o_.scan_interval;
      watching = !o_.read_files || (wd_incoming_ >= 0 && wd_active_ >= 0);
    } else if (!watching && Watch()) {
      watching = true;
      FullScan();  // what came before the watches
    }
    // The clock's alarm wakes the poll when the scan (or the next try of the
    // watches) is due: a fake clock in tests fires it without waiting.
    alarm_->SetAt(watching ? next_scan : std::min(next_scan, now + kRewatch));
    pollfd fds[3] = {{inotify_, POLLIN, 0}, {stop_fd_, POLLIN, 0}, {alarm_->fd(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (!(fds[0].revents & POLLIN)) continue;  // the alarm (or a signal)
    while (true) {
      const ssize_t n = ::read(inotify_, buf, sizeof buf);
      if (n <= 0) break;
      for (char* p = buf; p < buf + n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(p);
        p += sizeof(inotify_event) + ev->len;
        if (ev->mask & IN_Q_OVERFLOW) {
          next_scan = clock_->MonotonicNow();  // missed events: rescan now
          continue;
        }
        if (ev->len == 0) continue;
        const std::string name(ev->name);
        if (ev->wd == wd_incoming_) ReadFile(o_.queue_dir + "/incoming/" + name, name, true);
        if (ev->wd == wd_active_) ReadFile(o_.queue_dir + "/active/" + name, name, false);
      }
    }
  }
}

}  // namespace mailtrail
