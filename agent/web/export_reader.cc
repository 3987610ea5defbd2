#include "agent/web/export_reader.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace mailtrail::web {

namespace {

// Roughly what a record holds in memory (its texts and vectors).
size_t ApproxBytes(const MessageRecord& r) {
  size_t n = sizeof(MessageRecord) + r.subject.value_or("").size() + r.sender.value_or("").size();
  for (const RecipientRecord& rc : r.recipients)
    n += sizeof(RecipientRecord) + rc.address.size() + rc.orig_address.size() + rc.relay.size() +
         rc.status_text.size() + rc.dsn.size();
  for (const RecordEvent& e : r.events) n += sizeof(RecordEvent) + e.program.size() + e.text.size();
  return n;
}

}  // namespace

ExportReader::ExportReader(StoreAccess* store, SearchQuery q, int ahead, size_t chunk_bytes,
                           int64_t first)
    : store_(store),
      query_(std::move(q)),
      ahead_(ahead < 1 ? 1 : ahead),
      most_(query_.limit),
      chunk_bytes_(chunk_bytes) {
  if (chunk_bytes_ > 0 && first > 0) query_.limit = std::min(first, most_);
}

ExportReader::~ExportReader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ExportReader::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

void ExportReader::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] { return stop_ || ready_.size() < ahead_; });
      if (stop_) break;
    }
    std::vector<MessageRecord> chunk;
    chunk.reserve(static_cast<size_t>(query_.limit));
    std::optional<SearchCursor> last;
    bool stopped = false;
    Status st = store_->With([&](Store& store) {
      // Waiting for the connection, the reader may have been dropped.
      if ((stopped = stopping())) return Status::Ok();
      return store.SearchWithCursor(query_, [&](MessageRecord&& r, const SearchCursor& at) {
        last = at;
        if (chunk_bytes_ > 0) bytes_read_ += ApproxBytes(r);
        chunk.push_back(std::move(r));
      });
    });
    if (stopped) break;
    // A chunk shorter than asked is the last; a full one goes on after its
    // last record (the next may be empty).
    const bool last_chunk = !st.ok() || static_cast<int64_t>(chunk.size()) < query_.limit || !last;
    if (!last_chunk) query_.after = last;
    records_read_ += static_cast<int64_t>(chunk.size());
    if (chunk_bytes_ > 0 && records_read_ > 0) {
      const size_t each = std::max<size_t>(1, bytes_read_ / static_cast<size_t>(records_read_));
      query_.limit = std::clamp<int64_t>(static_cast<int64_t>(chunk_bytes_ / each), 1, most_);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!st.ok()) {
        error_ = st;  // what was read of the failed turn is not given
      } else if (!chunk.empty()) {
        ready_.push_back(std::move(chunk));
      }
      finished_ = last_chunk;
    }
    changed_.notify_all();
    if (last_chunk) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
}

StatusOr<std::vector<MessageRecord>> ExportReader::Next() {
  // Started here, not in the constructor; Next() is called from one thread
  // (httplib's worker for this export), so thread_ needs no lock.
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return !ready_.empty() || finished_; });
  if (!ready_.empty()) {
    std::vector<MessageRecord> chunk = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return chunk;
  }
  if (!error_.ok()) return error_;
  return std::vector<MessageRecord>();
}

}  // namespace mailtrail::web
