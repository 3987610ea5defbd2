// AsyncWriter: a RecordSink that batches records and writes them to a Store on
// its own thread (STYLE.md rule 8). The queue of batches is bounded: when the
// store is slower than the reader, OnRecord blocks (backpressure), memory does not
// grow. The first store error stops writing; Finish() reports it.
#ifndef MAILTRAIL_AGENT_REPLAY_ASYNC_WRITER_H_
#define MAILTRAIL_AGENT_REPLAY_ASYNC_WRITER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/store/store.h"
#include "agent/track/tracker.h"

namespace mailtrail {

class AsyncWriter : public RecordSink {
 public:
  AsyncWriter(Store* store, size_t batch_size = 2000, size_t max_batches = 4);
  ~AsyncWriter() override;

  void OnRecord(MessageRecord&& record) override;
  // Flushes the partial batch, waits for the writer, joins it. Idempotent.
  Status Finish();
  int64_t written() const;

 private:
  void Run();
  void Push(std::vector<MessageRecord>&& batch);

  Store* store_;
  const size_t batch_size_, max_batches_;
  std::vector<MessageRecord> current_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<MessageRecord>> queue_;
  bool closing_ = false;
  bool finished_ = false;
  Status error_;
  int64_t written_ = 0;
  std::thread thread_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_REPLAY_ASYNC_WRITER_H_
