// LineReader: the lines of one plain or gzip-compressed log file, in order.
// Lines are cut by the LineSplitter the live FileStream uses too
// (agent/lines/line_splitter.h): CRLF ends a line; a line longer than
// `max_line` is reported once as overlong (its first max_line bytes) and
// skipped to its newline. A last line without a newline is still returned (a
// replayed file may end mid-write). A .gz file (told by its first bytes) is
// read through agent/lines' GzipReader; damage in it is kError after every line
// before it, and so is a truncated one (its cut last line is not returned).
// Not thread-safe; owns its file handle.
#ifndef MAILTRAIL_AGENT_REPLAY_LINE_READER_H_
#define MAILTRAIL_AGENT_REPLAY_LINE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/lines/gzip_file.h"
#include "agent/lines/line_splitter.h"
#include "base/file_system.h"
#include "base/status.h"

namespace mailtrail {

class LineReader {
 public:
  static StatusOr<std::unique_ptr<LineReader>> Open(const std::string& path, size_t max_line,
                                                    FileSystem* fs = RealFileSystem());

  enum class Result { kLine, kOverlong, kEnd, kError };
  // On kLine/kOverlong, `*line` is valid until the next call.
  Result Next(std::string_view* line);

  // Bytes consumed from the file on disk (compressed bytes for .gz).
  int64_t raw_offset() const { return gzip_ ? gzip_->compressed_offset() : offset_; }
  int64_t raw_size() const { return raw_size_; }
  const std::string& error() const { return error_; }

 private:
  LineReader(std::string path, size_t max_line) : path_(std::move(path)), splitter_(max_line) {}

  std::string path_;
  std::unique_ptr<ReadableFile> file_;
  GzipReader* gzip_ = nullptr;  // file_, when the file is compressed
  LineSplitter splitter_;
  LineSplitter::Chunk chunk_;
  std::vector<char> buf_;
  int64_t offset_ = 0;  // of the next byte to read (decompressed)
  int64_t raw_size_ = 0;
  bool eof_ = false;
  std::string error_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_REPLAY_LINE_READER_H_
