// AsyncWriter: a RecordSink that batches records and writes them to a Store on
// its own thread (docs/style.md rule 8). The queue of batches is bounded: when the
// store is slower than the reader, OnRecord/Commit block (backpressure), memory
// does not grow; the live agent asks HasRoom() first, so as not to block. Batches waiting behind a
// write are written together in the next transaction (group commit). The first store error stops
// writing; Finish() reports it. With `auto_batches` (replay) a batch is cut every `batch_size`
// records; without it (the live agent) only Commit() cuts one, so that every batch carries the
// checkpoint that covers exactly its records.
#ifndef MAILTRAIL_AGENT_STORE_ASYNC_WRITER_H_
#define MAILTRAIL_AGENT_STORE_ASYNC_WRITER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/store/store.h"
#include "agent/track/tracker.h"
#include "base/clock.h"
#include "base/log.h"

namespace mailtrail {

class AsyncWriter : public RecordSink {
 public:
  AsyncWriter(Store* store, size_t batch_size = 2000, size_t max_batches = 4,
              bool auto_batches = true, const Clock* clock = nullptr);
  ~AsyncWriter() override;

  void OnRecord(MessageRecord&& record) override;
  // Queues the records so far with `checkpoint`, to be written in one transaction;
  // `blocks` (new or changed) are saved just before it: a crash in between makes
  // the same lines decide again, and they find the blocks already there.
  void Commit(CheckpointUpdate checkpoint, std::vector<Block> blocks = {});
  // True when saving blocks failed since the last call (they stay active in
  // memory; the agent saves them again). Clears the flag.
  bool TakeBlocksUnsaved();
  // Asks the writer thread to read the blocks that end after `from` from the
  // store (those other agents decided, in a shared store) and the rows of
  // `mine` (Store::LoadRefresh); TakeRefreshedBlocks() hands them over once
  // read, and says in `from` from when they were read.
  void RefreshBlocks(TimeUs from, std::vector<BlockId> mine);
  std::optional<std::vector<Block>> TakeRefreshedBlocks(TimeUs* from = nullptr);
  // Asks the writer thread to publish this agent's detection counts and read
  // the other agents' (Store::ExchangeCounts); TakeFleetCounts() hands them
  // over once read (nothing while the store does not answer).
  void ExchangeCounts(std::string agent, std::vector<WindowCount> mine, TimeUs since);
  std::optional<std::vector<WindowCount>> TakeFleetCounts();
  // Asks the writer thread to publish the answers this agent learned and read
  // the other agents' (Store::ExchangeAnswers); TakeFleetAnswers() hands over
  // the outcome once there: the exchange, and the answers not published (the
  // store did not answer, or no other agent is there to read them: the agent
  // keeps them for the next). One at a time: the next starts from the cursor
  // this one returns.
  struct FleetAnswers {
    bool ok = false;
    AnswerExchange exchange;           // ok: theirs, and the cursor past them
    std::vector<SharedAnswer> unsent;  // not ok, or alone: the request's, given back
  };
  void ExchangeAnswers(AnswerRequest request);
  std::optional<FleetAnswers> TakeFleetAnswers();
  // Asks the writer thread to save this agent's status row (Store::
  // SaveAgentStatus). Advisory: a store that cannot take it now is told the
  // next one; a failure is said at most once a minute, and stops nothing. Its
  // `records` is set by the writer: written before it, in queue order.
  void PublishStatus(AgentStatus status);
  // Where failures are said (each kind at most once a minute with a clock).
  // Before the first batch only.
  void set_log(Logger* log) { log_ = log; }
  size_t pending_records() const { return current_.size(); }
  // True when a Commit() would not wait: the queue of batches has room (or
  // writing stopped). The live agent reads no lines while it is false, so that
  // its loop never waits for the store (helper-95: a full spool held the
  // loop, its watchdog keep-alive, signals and the end of blocks).
  bool HasRoom() const;
  // The first write error so far (OK while all went well).
  Status error() const;
  // Flushes the partial batch, waits for the writer, joins it. Idempotent.
  Status Finish();
  // The writer's counters, read together.
  struct Stats {
    int64_t written = 0;  // records
    int64_t commits = 0;  // successful store writes (transactions)
    // Batches that joined a write because they waited behind another (the
    // writer was behind).
    int64_t joined = 0;
    // Written batches not freed yet: the reader frees them on its next commit,
    // the writer when it has nothing queued.
    size_t batches_held = 0;
    // How long store writes took (needs the clock): the last one and in all.
    TimeUs last_write_us = 0, total_write_us = 0;
    bool idle = false;  // nothing queued, nothing being written or asked
  };
  Stats stats() const;
  // Waits until `done` holds of stats(), checked again each time the writer
  // thread has done a piece of work (a write, a status row, freeing batches);
  // false if it did not within `timeout_ms` (a guard, as SpoolStore::
  // WaitDrained's) or the writer stopped on an error first.
  bool WaitUntil(const std::function<bool(const Stats&)>& done, int64_t timeout_ms) const;

 private:
  // Says `message` of `key` at most once a minute of the clock's time (every
  // time without a clock).
  void SayLimited(const char* key, const std::string& message, TimeUs mono_now);
  void Run();
  struct Batch {
    std::vector<MessageRecord> records;
    std::optional<CheckpointUpdate> checkpoint;
    std::vector<Block> blocks;
    // Set: read the blocks ending after refresh_from, and the rows of
    // refresh_mine, nothing else.
    bool refresh = false;
    TimeUs refresh_from = 0;
    std::vector<BlockId> refresh_mine = {};
    // Set: exchange detection counts, nothing else.
    struct Counts {
      std::string agent;
      std::vector<WindowCount> mine;
      TimeUs since = 0;
    };
    std::shared_ptr<Counts> counts = nullptr;
    // Set: exchange answers, nothing else.
    using Answers = AnswerRequest;
    std::shared_ptr<Answers> answers = nullptr;
    std::shared_ptr<AgentStatus> status = nullptr;  // set: save it, nothing else
    bool control() const {
      return refresh || counts != nullptr || answers != nullptr || status != nullptr;
    }
    // Two control batches asking the same (Push keeps the newer).
    bool SameKind(const Batch& o) const {
      return refresh == o.refresh && (counts != nullptr) == (o.counts != nullptr) &&
             (answers != nullptr) == (o.answers != nullptr) &&
             (status != nullptr) == (o.status != nullptr);
    }
  };
  void Push(Batch&& batch);
  void TakeFollowing(Batch* batch);  // with mu_ held

  Store* store_;
  const size_t batch_size_, max_batches_;
  const bool auto_batches_;
  std::vector<MessageRecord> current_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<Batch> queue_;
  size_t record_batches_ = 0;  // in queue_ but control ones: what max_batches_ bounds
  // Written batches, handed back so that the reading thread frees them: the
  // writer thread is the live agent's bottleneck, the reader has time to spare.
  std::vector<Batch> spent_;
  bool closing_ = false;
  bool working_ = false;  // a batch taken off the queue is being handled
  bool finished_ = false;
  Status error_;
  Stats stats_;  // but batches_held, which is spent_.size()
  const Clock* clock_;
  bool blocks_unsaved_ = false;
  std::optional<std::vector<Block>> refreshed_;
  TimeUs refreshed_from_ = 0;
  std::optional<std::vector<WindowCount>> fleet_counts_;
  std::optional<FleetAnswers> fleet_answers_;
  Logger* log_ = &StderrLog();
  std::thread thread_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_ASYNC_WRITER_H_
