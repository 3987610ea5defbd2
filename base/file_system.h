// FileSystem: the file access the tailer needs, behind an interface so tests run
// on an in-memory fake (tests/support/mem_file_system.h) with rotations, inode
// reuse and truncation under their control (docs/style.md rule 6).
#ifndef MAILTRAIL_BASE_FILE_SYSTEM_H_
#define MAILTRAIL_BASE_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace mailtrail {

// Which file, whatever its name: a rotated file keeps its id, a recreated one
// gets a new id (or, rarely, the old inode number: hence the fingerprint).
struct FileId {
  uint64_t dev = 0, ino = 0;
  bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
  bool operator!=(const FileId& o) const { return !(*this == o); }
};

struct FileInfo {
  FileId id;
  int64_t size = 0;
  bool regular = true;
  int64_t mtime_ns = 0;  // last modification (rename keeps it; gzip keeps it)
  // The inode's last change (a write, a rename, touch): the kernel's clock,
  // which no program sets, unlike mtime (`touch -d`). 0: not known.
  int64_t ctime_ns = 0;
};

// An open file; stays readable after it is renamed or unlinked.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to `n` bytes at `offset`; 0 at end of file.
  virtual StatusOr<size_t> ReadAt(int64_t offset, char* buf, size_t n) = 0;
  virtual StatusOr<FileInfo> Stat() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Follows symbolic links. NotFound when nothing is there.
  virtual StatusOr<FileInfo> Stat(const std::string& path) = 0;
  virtual StatusOr<std::unique_ptr<ReadableFile>> Open(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, in no particular order.
  virtual StatusOr<std::vector<std::string>> List(const std::string& dir) = 0;
};

// The real one (POSIX open/pread/fstat). Thread-compatible.
FileSystem* RealFileSystem();

// A log path as the checkpoint keys it: absolute, `.`/`..` and repeated
// slashes gone, and its directory's symbolic links resolved (the file's own
// name is kept: a symlink swap is a rotation to follow). "mail.log" run from
// /var/log and "/var/log/./mail.log" are the same log.
std::string AbsoluteLogPath(const std::string& path);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_FILE_SYSTEM_H_
