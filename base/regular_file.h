// Reading a small file whole, safely: only a regular file is opened for reading
// (a FIFO, a device or a socket named like the file would block the reader
// forever), and a file larger than the caller's bound is refused by its size
// before a byte is read.
//
// SECURITY: the paths may be under directories others can write (Postfix's
// queue). The file is opened with O_NONBLOCK (opening a FIFO then returns at
// once) and checked with fstat on that same descriptor, so there is no window
// between the check and the read in which another file could be swapped in.
#ifndef MAILTRAIL_BASE_REGULAR_FILE_H_
#define MAILTRAIL_BASE_REGULAR_FILE_H_

#include <cstddef>
#include <string>

#include "base/status.h"

namespace mailtrail {

struct ReadFileOptions {
  size_t max_bytes = 1 << 20;  // a larger file: InvalidArgument, nothing read
  bool no_follow = false;      // a symbolic link: refused (ELOOP)
  // Added to the EACCES message, e.g. which privilege reading needs.
  std::string access_hint;
};

// The bytes of the regular file `path`. NotFound when it does not exist;
// InvalidArgument when it is not a regular file or is larger than max_bytes;
// IoError otherwise. Messages name the path, escaped.
StatusOr<std::string> ReadRegularFile(const std::string& path, const ReadFileOptions& options);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_REGULAR_FILE_H_
