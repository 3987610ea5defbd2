// FileStream's open files (internal to agent/tail): shared by its reading
// (file_stream.cc) and its finding saved files again (file_stream_restore.cc).
#ifndef MAILTRAIL_AGENT_TAIL_FILE_STREAM_SOURCE_H_
#define MAILTRAIL_AGENT_TAIL_FILE_STREAM_SOURCE_H_

#include <memory>
#include <string>

#include "agent/tail/file_stream.h"

namespace mailtrail {

// One open file of the stream: the current one, or a rotated one being drained.
struct FileStream::Source {
  std::unique_ptr<ReadableFile> file;
  FileId id;
  uint64_t fingerprint = 0;
  uint32_t fingerprint_len = 0;
  int64_t read_offset = 0;     // next byte to read
  std::string partial;         // bytes after the last newline
  int64_t partial_offset = 0;  // file offset of partial[0]
  bool skipping = false;       // inside a line whose head was already handed on
  TimeUs last_growth = 0;

  void Reset(int64_t offset) {
    read_offset = partial_offset = offset;
    partial.clear();
    skipping = false;
  }
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TAIL_FILE_STREAM_SOURCE_H_
