#include "agent/web/export_stream.h"

#include <utility>

#include "agent/track/record_json.h"
#include "agent/web/api_json.h"

namespace mailtrail::web {

namespace {
// A chunk's records are about 16 MiB (the first 50 records, then as many as
// that size makes), and its text is written on every MiB: a thousand records
// of 2,000 recipients each, and their text, held 2.7 GB (helper-129).
constexpr size_t kChunkBytes = size_t{16} << 20, kWriteBytes = size_t{1} << 20;
constexpr int64_t kFirstChunk = 50;
}  // namespace

ExportStream::ExportStream(ExportLimiter* limiter, StoreAccess* store, SearchQuery q, bool csv)
    : place_(limiter),
      reader_(std::make_unique<ExportReader>(store, std::move(q), 2, kChunkBytes, kFirstChunk)),
      csv_(csv) {}

void ExportStream::Place::GiveBack() {
  if (limiter_ != nullptr) limiter_->Finish();
  limiter_ = nullptr;
}

void ExportStream::End() {
  reader_.reset();  // its thread stops first: the place covers the store's reading
  place_.GiveBack();
}

bool ExportStream::Provide(httplib::DataSink& sink) {
  if (done_ || reader_ == nullptr) {
    End();
    sink.done();
    return true;
  }
  out_.clear();
  if (csv_ && !header_sent_) out_ = CsvHeader();
  header_sent_ = true;
  auto chunk = reader_->Next();
  if (!chunk.ok()) {
    End();
    return false;
  }
  if (chunk->empty()) {
    done_ = true;
    End();  // all read: what is left is writing the last bytes
  }
  for (const MessageRecord& r : *chunk) {
    if (csv_) {
      AppendCsvRows(r, &out_);
    } else {
      AppendRecordJson(r, &out_);
      out_.push_back('\n');
    }
    if (out_.size() >= kWriteBytes) {
      if (!sink.write(out_.data(), out_.size())) return false;
      out_.clear();
    }
  }
  return out_.empty() || sink.write(out_.data(), out_.size());
}

}  // namespace mailtrail::web
