#include "agent/replay/line_reader.h"

#include <utility>

namespace mailtrail {

namespace {
constexpr size_t kChunk = 1 << 20;

// The real file system's messages name the path already; zlib's do not.
std::string Named(const std::string& path, const std::string& message) {
  return message.rfind(path + ":", 0) == 0 ? message : path + ": " + message;
}
}  // namespace

StatusOr<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path, size_t max_line,
                                                       FileSystem* fs) {
  auto info = fs->Stat(path);
  if (!info.ok()) return Status::IoError(Named(path, info.status().message()));
  if (!info->regular) return Status::IoError(path + ": not a regular file");
  auto file = fs->Open(path);
  if (!file.ok()) return Status::IoError(Named(path, file.status().message()));
  std::unique_ptr<LineReader> r(new LineReader(path, max_line));
  r->raw_size_ = info->size;
  if (HasGzipMagic(file->get())) {
    auto gz = std::make_unique<GzipReader>(std::move(*file));
    r->gzip_ = gz.get();
    r->file_ = std::move(gz);
  } else {
    r->file_ = std::move(*file);
  }
  r->buf_.resize(kChunk);
  return r;
}

LineReader::Result LineReader::Next(std::string_view* line) {
  SplitLine l;
  while (true) {
    if (splitter_.Next(&chunk_, &l)) break;
    if (!error_.empty()) return Result::kError;
    if (eof_) return Result::kEnd;
    auto n = file_->ReadAt(offset_, buf_.data(), buf_.size());
    if (!n.ok()) {
      error_ = Named(path_, n.status().message());
      return Result::kError;
    }
    if (*n == 0) {
      eof_ = true;
      if (gzip_ != nullptr && gzip_->truncated()) {
        error_ = path_ + ": gzip: unexpected end of file (truncated)";
        return Result::kError;
      }
      if (splitter_.Finish(offset_, &l)) break;  // a last line without a newline
      return Result::kEnd;
    }
    chunk_ = {std::string_view(buf_.data(), *n), offset_};
    offset_ += static_cast<int64_t>(*n);
  }
  *line = l.bytes;
  return l.overlong ? Result::kOverlong : Result::kLine;
}

}  // namespace mailtrail
