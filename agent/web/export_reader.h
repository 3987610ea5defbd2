// ExportReader: an export's records, read from the store by a thread of its
// own, a chunk or two ahead of the text being written for the client. The
// store's reading (SQLite's pages, the dictionary's texts, each record's
// recipients) and the CSV/JSON text of the chunk before run on two cores at
// once (docs/benchmarks.md, "Exports read a chunk ahead").
#ifndef MAILTRAIL_AGENT_WEB_EXPORT_READER_H_
#define MAILTRAIL_AGENT_WEB_EXPORT_READER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/store/store.h"
#include "agent/web/console_data.h"
#include "base/status.h"

namespace mailtrail::web {

class ExportReader {
 public:
  // Reads every match of `q` in order, at most `q.limit` records per turn of
  // the store (a connection of `store` is held for one turn only), keeping at
  // most `ahead` chunks not yet taken. `store` outlives the reader. Nothing
  // is read before the first Next() (a HEAD request asks for no body).
  // With `chunk_bytes`, a turn takes `first` records, and each later one as
  // many as make about `chunk_bytes` at the size of the records read so far:
  // a thousand records of 2,000 recipients each held 2.7 GB (helper-129).
  ExportReader(StoreAccess* store, SearchQuery q, int ahead = 2, size_t chunk_bytes = 0,
               int64_t first = 0);
  // Stops the reading (after the turn in progress; a turn that still waits
  // for a connection does not search) and waits for its thread.
  ~ExportReader();
  ExportReader(const ExportReader&) = delete;
  ExportReader& operator=(const ExportReader&) = delete;

  // The next chunk, oldest first, waiting for it. An empty chunk: the export
  // is over. An error: the store failed, and the export is cut there.
  StatusOr<std::vector<MessageRecord>> Next();

 private:
  void Run();
  bool stopping();
  StoreAccess* const store_;
  SearchQuery query_;  // `after` moves on chunk by chunk (the reading thread's)
  const size_t ahead_;
  const int64_t most_;  // q.limit: records a turn takes at most
  const size_t chunk_bytes_;
  size_t bytes_read_ = 0;
  int64_t records_read_ = 0;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::vector<MessageRecord>> ready_;
  Status error_;
  bool finished_ = false;  // nothing more will be added to ready_
  bool stop_ = false;
  std::thread thread_;  // started by the first Next()
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_EXPORT_READER_H_
