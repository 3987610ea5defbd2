#include "agent/replay/line_reader.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace mailtrail {

namespace {
constexpr size_t kChunk = 1 << 20;

// CRLF line ends (a log copied from Windows): the CR ends the line, it is not
// part of its last field (a status text, a queue id).
void StripCr(std::string_view* line) {
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
}
}  // namespace

StatusOr<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path, size_t max_line) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::IoError(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::IoError(path + ": not a regular file");
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return Status::IoError(path + ": " + std::strerror(errno));
  gzbuffer(gz, 256 * 1024);
  std::unique_ptr<LineReader> r(new LineReader());
  r->gz_ = gz;
  r->path_ = path;
  r->max_line_ = max_line;
  r->raw_size_ = st.st_size;
  r->buf_.resize(max_line + kChunk);
  return r;
}

LineReader::~LineReader() {
  if (gz_) gzclose(static_cast<gzFile>(gz_));
}

int64_t LineReader::raw_offset() const { return gzoffset(static_cast<gzFile>(gz_)); }

bool LineReader::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const size_t room = buf_.size() - end_;
  if (room == 0) return false;
  const int n = gzread(static_cast<gzFile>(gz_), buf_.data() + end_, static_cast<unsigned>(room));
  if (n < 0) {
    int errnum = 0;
    error_ = path_ + ": " + gzerror(static_cast<gzFile>(gz_), &errnum);
    eof_ = true;
    return false;
  }
  if (n == 0) {
    eof_ = true;
    int errnum = 0;
    const char* msg = gzerror(static_cast<gzFile>(gz_), &errnum);
    if (errnum != Z_OK && errnum != Z_STREAM_END) error_ = path_ + ": " + msg;
    return false;
  }
  end_ += static_cast<size_t>(n);
  return true;
}

LineReader::Result LineReader::Next(std::string_view* line) {
  size_t scanned = begin_;
  while (true) {
    const char* nl =
        static_cast<const char*>(std::memchr(buf_.data() + scanned, '\n', end_ - scanned));
    if (nl != nullptr) {
      const size_t len = static_cast<size_t>(nl - (buf_.data() + begin_));
      *line = std::string_view(buf_.data() + begin_, len);
      begin_ += len + 1;
      if (len > max_line_) {
        *line = line->substr(0, 200);
        return Result::kOverlong;
      }
      StripCr(line);
      return Result::kLine;
    }
    if (end_ - begin_ > max_line_) {
      // Overlong: report its head once, then drop bytes up to the newline.
      *line = std::string_view(buf_.data() + begin_, 200);
      std::string head(*line);
      while (true) {
        begin_ = end_ = 0;
        if (!Fill()) break;
        const char* n2 = static_cast<const char*>(std::memchr(buf_.data(), '\n', end_));
        if (n2 != nullptr) {
          begin_ = static_cast<size_t>(n2 - buf_.data()) + 1;
          break;
        }
      }
      overlong_head_ = std::move(head);
      *line = overlong_head_;
      return Result::kOverlong;
    }
    scanned = end_;
    const size_t before = begin_;
    if (!Fill()) {
      if (!error_.empty()) return Result::kError;
      if (end_ > begin_) {  // a last line without a newline
        *line = std::string_view(buf_.data() + begin_, end_ - begin_);
        begin_ = end_;
        if (line->size() > max_line_) {
          *line = line->substr(0, 200);
          return Result::kOverlong;
        }
        StripCr(line);
        return Result::kLine;
      }
      return Result::kEnd;
    }
    scanned -= before;  // Fill() moved the unread bytes to the front
  }
}

}  // namespace mailtrail
