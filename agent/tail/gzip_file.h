// A ReadableFile that reads the decompressed bytes of a gzip file (zlib,
// through the raw file's ReadAt), so that a log rotated and compressed while the
// agent was stopped (mail.log.1.gz) can be finished from the saved offset.
// Reads are meant to go forward; a read behind the current position starts the
// decompression over. Decompressed size is bounded by nothing but the file.
#ifndef MAILTRAIL_AGENT_TAIL_GZIP_FILE_H_
#define MAILTRAIL_AGENT_TAIL_GZIP_FILE_H_

#include <memory>

#include "base/file_system.h"

namespace mailtrail {

// `raw` is the compressed file. Stat() reports the raw file's id, and as size the
// decompressed bytes read so far (no backlog is known before the end).
std::unique_ptr<ReadableFile> GzipFile(std::unique_ptr<ReadableFile> raw);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TAIL_GZIP_FILE_H_
