// GzipReader: a ReadableFile that reads the decompressed bytes of a gzip file
// (zlib, through the raw file's ReadAt). The one gzip reader of the project:
// the replay reads .gz logs with it (agent/replay/line_reader.h) and the live
// agent finishes a log rotated and compressed while it was stopped
// (mail.log.1.gz) from the saved offset (agent/tail/file_stream_restore.cc).
// Reads are meant to go forward; a read behind the current position starts the
// decompression over. Concatenated gzip members are read on.
// Damage: every byte decompressed before it is returned first, then the error
// (Corruption, "gzip: ..."). A stream that stops before its end marker (a
// truncated file, or one still being written) reads as ending there, and
// truncated() says so: the caller decides whether that is an error.
// Decompressed size is bounded by nothing but the file. Not thread-safe.
#ifndef MAILTRAIL_AGENT_LINES_GZIP_FILE_H_
#define MAILTRAIL_AGENT_LINES_GZIP_FILE_H_

#include <memory>
#include <vector>

#include "base/file_system.h"

namespace mailtrail {

// The two bytes every gzip member starts with.
bool HasGzipMagic(ReadableFile* file);
// The bytes of log `file` (`size` bytes long) holds: a gzip file's own count
// of them unpacked (its last member's trailer, modulo 4 GiB), never less
// than `size`; any other file's, `size`. Read from the file's first and last
// bytes only: a hint of a replay's size (Store::BeginBulkLoad).
int64_t LogBytes(ReadableFile* file, int64_t size);

class GzipReader : public ReadableFile {
 public:
  // `raw` is the compressed file.
  explicit GzipReader(std::unique_ptr<ReadableFile> raw);
  ~GzipReader() override;

  StatusOr<size_t> ReadAt(int64_t offset, char* buf, size_t n) override;
  // The raw file's id, and as size the decompressed bytes read so far (no
  // backlog is known before the end).
  StatusOr<FileInfo> Stat() override;

  // Compressed bytes consumed so far (for progress against the file's size).
  int64_t compressed_offset() const { return raw_offset_; }
  // The compressed data ended inside a member (checked once a read returned 0).
  bool truncated() const { return truncated_; }

 private:
  void Restart();
  StatusOr<size_t> Inflate(char* buf, size_t n);

  std::unique_ptr<ReadableFile> raw_;
  std::vector<char> in_;
  struct ZState;
  std::unique_ptr<ZState> z_;
  int64_t raw_offset_ = 0;
  int64_t pos_ = 0;
  bool end_ = false;
  bool truncated_ = false;
  bool in_member_ = false;  // inside a gzip member not yet ended
  Status pending_error_;    // damage found after bytes that were returned first
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_LINES_GZIP_FILE_H_
