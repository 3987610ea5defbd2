// FileStream's open files (internal to agent/tail): shared by its reading
// (file_stream.cc) and its finding saved files again (file_stream_restore.cc).
#ifndef MAILTRAIL_AGENT_TAIL_FILE_STREAM_SOURCE_H_
#define MAILTRAIL_AGENT_TAIL_FILE_STREAM_SOURCE_H_

#include <memory>
#include <string>

#include "agent/lines/line_splitter.h"
#include "agent/tail/file_stream.h"

namespace mailtrail {

// Reads `n` bytes of `file` at `at` into `buf`, fewer at its end: how many.
inline StatusOr<size_t> ReadUpTo(ReadableFile* file, int64_t at, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    auto r = file->ReadAt(at + static_cast<int64_t>(got), buf + got, n - got);
    if (!r.ok()) return r.status();
    if (*r == 0) break;
    got += *r;
  }
  return got;
}

// One open file of the stream: the current one, or a rotated one being drained.
struct FileStream::Source {
  explicit Source(size_t max_line) : lines(max_line) {}

  std::unique_ptr<ReadableFile> file;
  FileId id;
  uint64_t fingerprint = 0;
  uint32_t fingerprint_len = 0;
  int64_t read_offset = 0;  // next byte to read
  LineSplitter lines;       // keeps the bytes after the last newline
  TimeUs last_growth = 0;
  // A .gz read through GzipReader: a read behind where it stands decompresses
  // it again from its start.
  bool compressed = false;

  void Reset(int64_t offset) {
    read_offset = offset;
    lines.Reset(offset);
  }
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TAIL_FILE_STREAM_SOURCE_H_
