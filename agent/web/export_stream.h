// ExportStream: one export of /api/v1/export, chunk by chunk as httplib asks
// for them (its content provider): the text of each chunk of records
// (ExportReader), and its place among the exports ExportLimiter lets run at
// once, given back as soon as its last chunk is read (or the store failed)
// rather than when the server has finished with the connection: a client
// that read the whole export and starts the next one at once found the
// place still taken on a loaded machine.
#ifndef MAILTRAIL_AGENT_WEB_EXPORT_STREAM_H_
#define MAILTRAIL_AGENT_WEB_EXPORT_STREAM_H_

#include <httplib.h>

#include <memory>
#include <string>

#include "agent/web/export_limiter.h"
#include "agent/web/export_reader.h"

namespace mailtrail::web {

class ExportStream {
 public:
  // Takes the place `limiter` just gave (ExportLimiter::TryStart said
  // kStart): it is given back by End() or the destructor, whichever first,
  // also when this constructor fails. Reads `q`'s matches from `store` (which
  // outlives this), `q.limit` a turn; writes CSV or JSON lines.
  ExportStream(ExportLimiter* limiter, StoreAccess* store, SearchQuery q, bool csv);
  ~ExportStream() { End(); }
  ExportStream(const ExportStream&) = delete;
  ExportStream& operator=(const ExportStream&) = delete;

  // Writes the next chunk to `sink` (httplib's content provider): true to be
  // asked again; false cuts the stream (the store failed, or the client went
  // away), and the client sees it incomplete.
  bool Provide(httplib::DataSink& sink);
  // Stops the reader and gives the place back. Idempotent.
  void End();

 private:
  // The place, given back once (first, so that it is given back if the
  // reader cannot be made).
  class Place {
   public:
    explicit Place(ExportLimiter* limiter) : limiter_(limiter) {}
    ~Place() { GiveBack(); }
    Place(const Place&) = delete;
    Place& operator=(const Place&) = delete;
    void GiveBack();

   private:
    ExportLimiter* limiter_;  // null once given back
  };
  Place place_;
  std::unique_ptr<ExportReader> reader_;
  const bool csv_;
  bool header_sent_ = false;
  bool done_ = false;
  // A chunk's text. Kept, with its capacity, from chunk to chunk: a fresh
  // buffer of a megabyte each time cost page faults and copies as it grew
  // (about a fifth of a JSONL export's time).
  std::string out_;
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_EXPORT_STREAM_H_
