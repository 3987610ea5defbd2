#include "agent/store/async_writer.h"

#include <chrono>
#include <iterator>

#include "base/text.h"

namespace mailtrail {

AsyncWriter::AsyncWriter(Store* store, size_t batch_size, size_t max_batches, bool auto_batches,
                         const Clock* clock)
    : store_(store),
      batch_size_(batch_size),
      max_batches_(max_batches),
      auto_batches_(auto_batches),
      clock_(clock) {
  current_.reserve(batch_size_);
  thread_ = std::thread([this] { Run(); });
}

AsyncWriter::~AsyncWriter() { static_cast<void>(Finish()); }

void AsyncWriter::OnRecord(MessageRecord&& record) {
  current_.push_back(std::move(record));
  if (auto_batches_ && current_.size() >= batch_size_) {
    Push({std::move(current_), std::nullopt, {}});
    current_ = {};
    current_.reserve(batch_size_);
  }
}

void AsyncWriter::RefreshBlocks(TimeUs from, std::vector<BlockId> mine) {
  Batch b;
  b.refresh = true;
  b.refresh_from = from;
  b.refresh_mine = std::move(mine);
  Push(std::move(b));
}

std::optional<std::vector<Block>> AsyncWriter::TakeRefreshedBlocks(TimeUs* from) {
  std::lock_guard<std::mutex> lock(mu_);
  if (from != nullptr) *from = refreshed_from_;
  auto out = std::move(refreshed_);
  refreshed_.reset();
  return out;
}

void AsyncWriter::ExchangeCounts(std::string agent, std::vector<WindowCount> mine, TimeUs since) {
  Batch b;
  b.counts =
      std::make_shared<Batch::Counts>(Batch::Counts{std::move(agent), std::move(mine), since});
  Push(std::move(b));
}

void AsyncWriter::ExchangeAnswers(AnswerRequest request) {
  Batch b;
  b.answers = std::make_shared<AnswerRequest>(std::move(request));
  Push(std::move(b));
}

std::optional<AsyncWriter::FleetAnswers> AsyncWriter::TakeFleetAnswers() {
  std::lock_guard<std::mutex> lock(mu_);
  auto out = std::move(fleet_answers_);
  fleet_answers_.reset();
  return out;
}

void AsyncWriter::PublishStatus(AgentStatus status) {
  Batch b;
  b.status = std::make_shared<AgentStatus>(std::move(status));
  Push(std::move(b));
}

std::optional<std::vector<WindowCount>> AsyncWriter::TakeFleetCounts() {
  std::lock_guard<std::mutex> lock(mu_);
  auto out = std::move(fleet_counts_);
  fleet_counts_.reset();
  return out;
}

bool AsyncWriter::TakeBlocksUnsaved() {
  std::lock_guard<std::mutex> lock(mu_);
  const bool was = blocks_unsaved_;
  blocks_unsaved_ = false;
  return was;
}

void AsyncWriter::Commit(CheckpointUpdate checkpoint, std::vector<Block> blocks) {
  Push({std::move(current_), std::move(checkpoint), std::move(blocks)});
  current_ = {};
  current_.reserve(batch_size_);
}

bool AsyncWriter::HasRoom() const {
  std::lock_guard<std::mutex> lock(mu_);
  return record_batches_ < max_batches_ || !error_.ok();
}

Status AsyncWriter::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void AsyncWriter::Push(Batch&& batch) {
  std::vector<Batch> spent;  // freed here, after the lock
  std::unique_lock<std::mutex> lock(mu_);
  // Control batches are a few bytes, never wait and take no room, so that a
  // Commit() after them in the same step does not wait (helper-102: they
  // filled the room HasRoom() had seen). One of each kind waits at most: a
  // newer one replaces it (the latest refresh, counts or status is what
  // matters), so they cannot pile up behind a slow or stuck store.
  cv_.wait(lock, [&] { return batch.control() || record_batches_ < max_batches_ || !error_.ok(); });
  spent.swap(spent_);
  if (!error_.ok()) return;  // writing stopped: drop, Finish() reports the error
  if (batch.control()) {
    // A newer status row goes at the back, behind the record batches queued
    // before it, whose records it counts (helper-104 F5); a newer refresh or
    // exchange takes the older's place, so that a steadily slow store still
    // reaches it (helper-106).
    for (auto queued = queue_.begin(); queued != queue_.end(); ++queued)
      if (queued->control() && queued->SameKind(batch)) {
        if (batch.status == nullptr) {
          *queued = std::move(batch);
          return;
        }
        queue_.erase(queued);
        break;
      }
  } else {
    ++record_batches_;
  }
  queue_.push_back(std::move(batch));
  cv_.notify_all();
}

void AsyncWriter::Run() {
  while (true) {
    {
      // Nothing queued: this thread is idle, so it frees what the reader has
      // not (a log gone quiet after a burst must not keep its batches).
      std::vector<Batch> spent;
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty() && !spent_.empty()) {
        spent.swap(spent_);
        cv_.notify_all();  // batches_held is 0 now (WaitUntil)
      }
    }
    Batch batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (working_ && queue_.empty()) {
        working_ = false;
        cv_.notify_all();  // idle (WaitUntil)
      }
      cv_.wait(lock, [this] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;
      working_ = true;
      batch = std::move(queue_.front());
      queue_.pop_front();
      if (!batch.control()) {
        --record_batches_;
        TakeFollowing(&batch);
      }
    }
    if (batch.counts) {
      auto theirs =
          store_->ExchangeCounts(batch.counts->agent, batch.counts->mine, batch.counts->since);
      std::lock_guard<std::mutex> lock(mu_);
      if (theirs.ok()) {
        fleet_counts_ = std::move(*theirs);
      } else {
        // Detection goes on with this agent's counts alone meanwhile; said at
        // most once a minute (it is tried again every few seconds).
        SayLimited("writer.counts",
                   "fleet-wide counts not exchanged (" +
                       EscapeForLog(theirs.status().message(), 300) + ")",
                   clock_ ? clock_->MonotonicNow() : 0);
      }
      cv_.notify_all();
      continue;
    }
    if (batch.answers) {
      // The time it runs, not the time it was queued behind records: how long
      // the others' presences stood still is measured on it.
      if (clock_) batch.answers->mono_now = clock_->MonotonicNow();
      auto x = store_->ExchangeAnswers(*batch.answers);
      FleetAnswers result;
      result.ok = x.ok();
      if (x.ok()) result.exchange = std::move(*x);
      if (!x.ok() || result.exchange.alone) result.unsent = std::move(batch.answers->mine);
      std::lock_guard<std::mutex> lock(mu_);
      const TimeUs mono = clock_ ? clock_->MonotonicNow() : 0;
      if (!x.ok())
        SayLimited(
            "writer.answers",
            "fleet-wide answers not exchanged (" + EscapeForLog(x.status().message(), 300) + ")",
            mono);
      else if (!result.exchange.warning.empty())
        SayLimited("writer.answers",
                   "fleet-wide answers published, the other agents' not read (" +
                       EscapeForLog(result.exchange.warning, 300) + ")",
                   mono);
      fleet_answers_ = std::move(result);
      cv_.notify_all();
      continue;
    }
    if (batch.status) {
      {
        // Records written so far, the batches queued before this one included.
        std::lock_guard<std::mutex> lock(mu_);
        batch.status->records = stats_.written;
      }
      if (Status st = store_->SaveAgentStatus(*batch.status); !st.ok()) {
        SayLimited("writer.status",
                   "agent status not saved (" + EscapeForLog(st.message(), 300) + ")",
                   clock_ ? clock_->MonotonicNow() : 0);
      }
      std::lock_guard<std::mutex> lock(mu_);
      cv_.notify_all();  // room in the queue
      continue;
    }
    if (batch.refresh) {
      auto blocks = store_->LoadRefresh(batch.refresh_from, batch.refresh_mine);
      std::lock_guard<std::mutex> lock(mu_);
      if (blocks.ok()) {  // unreachable store: next time
        refreshed_ = std::move(*blocks);
        refreshed_from_ = batch.refresh_from;
      }
      cv_.notify_all();
      continue;
    }
    const TimeUs t0 = clock_ ? clock_->MonotonicNow() : 0;
    if (!batch.blocks.empty()) {
      // A store that cannot take blocks now (a server outage) must not stop the
      // records: they are spooled; the blocks stay active in the agent's memory
      // and are saved again with a later batch.
      if (Status bs = store_->SaveBlocks(batch.blocks); !bs.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        blocks_unsaved_ = true;
        SayLimited("writer.blocks",
                   "saving " + std::to_string(batch.blocks.size()) + " block(s) failed (" +
                       EscapeForLog(bs.message(), 300) +
                       "); they stay active and are saved again later",
                   t0);
      }
    }
    Status st = store_->WriteBatch(batch.records, batch.checkpoint ? &*batch.checkpoint : nullptr);
    const TimeUs took = clock_ ? clock_->MonotonicNow() - t0 : 0;
    std::lock_guard<std::mutex> lock(mu_);
    stats_.last_write_us = took;
    stats_.total_write_us += took;
    if (!st.ok()) {
      error_ = st;
      queue_.clear();
      record_batches_ = 0;
    } else {
      stats_.written += static_cast<int64_t>(batch.records.size());
      ++stats_.commits;
    }
    spent_.push_back(std::move(batch));
    cv_.notify_all();
  }
}

// Group commit: when the writer has fallen behind, the record batches queued
// behind `batch` join it in one transaction. Fewer, larger transactions cost the
// store less per record (fewer commits, WAL syncs and checkpoints; the live
// agent keeps up with about 10% more, docs/benchmarks.md), so a writer that
// falls behind catches up instead of staying behind; an idle writer still
// commits each batch on its own, within the flush interval.
// A batch joins only if the merged one still ends with a checkpoint exactly
// when its last part did: the checkpoint written must cover every record in it.
// The joined checkpoint updates are applied in order (appended changes stay).
void AsyncWriter::TakeFollowing(Batch* batch) {
  while (!queue_.empty()) {
    Batch& next = queue_.front();
    if (next.control() || next.checkpoint.has_value() != batch->checkpoint.has_value()) return;
    batch->records.insert(batch->records.end(), std::make_move_iterator(next.records.begin()),
                          std::make_move_iterator(next.records.end()));
    std::move(next.blocks.begin(), next.blocks.end(), std::back_inserter(batch->blocks));
    if (batch->checkpoint) batch->checkpoint->Then(std::move(*next.checkpoint));
    spent_.push_back(std::move(next));  // an emptied shell: freed with the others
    ++stats_.joined;
    --record_batches_;
    queue_.pop_front();
  }
}

Status AsyncWriter::Finish() {
  if (finished_) return error_;
  // Live mode writes only what a checkpoint covers: records not committed are
  // dropped here and made again from the last checkpoint after a restart.
  if (auto_batches_ && !current_.empty()) Push({std::move(current_), std::nullopt, {}});
  current_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  thread_.join();
  finished_ = true;
  return error_;
}

AsyncWriter::Stats AsyncWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.batches_held = spent_.size();
  s.idle = queue_.empty() && !working_;
  return s;
}

bool AsyncWriter::WaitUntil(const std::function<bool(const Stats&)>& done,
                            int64_t timeout_ms) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto holds = [&] {
    Stats s = stats_;
    s.batches_held = spent_.size();
    s.idle = queue_.empty() && !working_;
    return done(s);
  };
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
               [&] { return holds() || !error_.ok(); });
  return holds();
}

void AsyncWriter::SayLimited(const char* key, const std::string& message, TimeUs mono_now) {
  if (clock_ == nullptr) {
    log_->Warn(message);
  } else {
    log_->Limited(LogLevel::kWarn, key, message, mono_now);
  }
}

}  // namespace mailtrail
