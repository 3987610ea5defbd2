#include "agent/queue/queue_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "base/queue_id.h"
#include "base/regular_file.h"
#include "base/text.h"

namespace mailtrail {

const char* const kQueueNames[5] = {"incoming", "active", "deferred", "hold", "corrupt"};

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxErrors = 10;

// Files under `dir`, descending into at most `depth` levels of subdirectories.
void Walk(const fs::path& dir, int depth, const std::string& queue,
          const std::function<void(const QueueEntry&)>& fn, std::error_code* first_error) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec) {
    if (!*first_error) *first_error = ec;
    return;
  }
  std::vector<fs::directory_entry> entries;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    entries.push_back(*it);
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& e : entries) {
    std::error_code sec;
    const auto st = e.symlink_status(sec);  // never follow a link out of the queue
    if (sec) continue;
    if (fs::is_directory(st)) {
      if (depth > 0) Walk(e.path(), depth - 1, queue, fn, first_error);
    } else if (fs::is_regular_file(st) && IsQueueId(e.path().filename().string())) {
      // Postfix names every queue file by its id; anything else is not its.
      fn(QueueEntry{queue, e.path().string(), e.path().filename().string()});
    }
  }
}

}  // namespace

Status ForEachQueueFile(const std::string& queue_dir,
                        const std::function<void(const QueueEntry&)>& fn) {
  const std::string need = " (needs the postfix user or CAP_DAC_READ_SEARCH; see docs/postfix.md)";
  std::error_code first;
  if (!fs::is_directory(queue_dir, first)) {
    if (first)
      return Status::IoError("cannot reach " + EscapeForLog(queue_dir) + ": " + first.message() +
                             need);
    return Status::NotFound("no queue directory " + EscapeForLog(queue_dir));
  }
  for (const char* q : kQueueNames) {  // an unreadable queue does not hide the others
    const fs::path dir = fs::path(queue_dir) / q;
    std::error_code ec;
    const bool exists = fs::exists(dir, ec);
    if (ec && !first) first = ec;
    if (exists) Walk(dir, 2, q, fn, &first);
  }
  if (first)
    return Status::IoError("cannot read the queue under " + EscapeForLog(queue_dir) + ": " +
                           first.message() + need);
  return Status::Ok();
}

StatusOr<QueueEntry> FindQueueFile(const std::string& queue_dir, const std::string& qid) {
  if (!IsQueueId(qid)) return Status::InvalidArgument("not a queue id: " + EscapeForLog(qid, 40));
  std::optional<QueueEntry> found;
  Status st = ForEachQueueFile(queue_dir, [&](const QueueEntry& e) {
    if (!found && e.qid == qid) found = e;
  });
  if (found) return *found;
  if (!st.ok()) return st;
  return Status::NotFound("queue id " + qid + " is in no queue under " + EscapeForLog(queue_dir));
}

StatusOr<std::string> ReadQueueFile(const std::string& path, size_t max_bytes) {
  // Only a regular file, refused by its size before any read: a FIFO planted in
  // incoming/ must not block the watcher, a huge file not be read to its bound.
  ReadFileOptions o;
  o.max_bytes = max_bytes;
  o.no_follow = true;
  o.access_hint = "needs the postfix user or CAP_DAC_READ_SEARCH";
  return ReadRegularFile(path, o);
}

QueueScan ScanQueue(const std::string& queue_dir, const QueueFileLimits& limits,
                    const std::function<void(const QueueEntry&, QueueFile&)>& on_file) {
  QueueScan s;
  auto error = [&](const QueueEntry& e, const std::string& what) {
    if (s.errors.size() < kMaxErrors) s.errors.push_back(e.queue + "/" + e.qid + ": " + what);
  };
  s.walk = ForEachQueueFile(queue_dir, [&](const QueueEntry& e) {
    ++s.files;
    ++s.per_queue[e.queue];
    auto bytes = ReadQueueFile(e.path);
    if (!bytes.ok()) {
      // A file that left the queue between listing and reading is no error.
      if (bytes.status().code() != Status::Code::kNotFound) {
        ++s.unreadable;
        error(e, bytes.status().message());
      }
      return;
    }
    auto q = ParseQueueFile(*bytes, limits);
    if (!q.ok()) {
      // incoming/ holds files still being written; elsewhere it is damage.
      if (e.queue == "incoming") {
        ++s.incomplete;
      } else {
        ++s.corrupt;
        error(e, q.status().message());
      }
      return;
    }
    if (!q->complete) ++s.incomplete;
    if (on_file) on_file(e, *q);
    if (e.queue == "deferred" && q->LooksLikeBounce()) {
      ++s.deferred_bounces;
      if (s.oldest_bounce == 0 || q->arrival_sec < s.oldest_bounce)
        s.oldest_bounce = q->arrival_sec;
      for (const auto& r : q->recipients) {
        if (r.done) continue;
        const size_t at = r.address.rfind('@');
        ++s.bounce_domains[AsciiLower(at == std::string::npos ? "" : r.address.substr(at + 1))];
      }
    }
  });
  return s;
}

}  // namespace mailtrail
