// LineReader: the lines of one plain or gzip-compressed log file, in order.
// Lines are bounded: a line longer than `max_line` is reported once as overlong
// (its first bytes kept for the message) and skipped to its newline. A last line
// without a newline is still returned (a replayed file may end mid-write).
// Not thread-safe; owns its file handle.
#ifndef MAILTRAIL_AGENT_REPLAY_LINE_READER_H_
#define MAILTRAIL_AGENT_REPLAY_LINE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace mailtrail {

class LineReader {
 public:
  static StatusOr<std::unique_ptr<LineReader>> Open(const std::string& path, size_t max_line);
  ~LineReader();

  enum class Result { kLine, kOverlong, kEnd, kError };
  // On kLine/kOverlong, `*line` is valid until the next call.
  Result Next(std::string_view* line);

  // Bytes consumed from the file on disk (compressed bytes for .gz).
  int64_t raw_offset() const;
  int64_t raw_size() const { return raw_size_; }
  const std::string& error() const { return error_; }

 private:
  LineReader() = default;
  bool Fill();

  void* gz_ = nullptr;  // gzFile; zlib reads plain files transparently
  std::string path_;
  size_t max_line_ = 0;
  int64_t raw_size_ = 0;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::string error_;
  std::string overlong_head_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_REPLAY_LINE_READER_H_
