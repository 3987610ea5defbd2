#include "base/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/text.h"

namespace mailtrail {

namespace {

// Closes the descriptor on every return path.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

StatusOr<std::string> ReadRegularFile(const std::string& path, const ReadFileOptions& options) {
  const std::string name = EscapeForLog(path);
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait for one.
  const int flags =
      O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (options.no_follow ? O_NOFOLLOW : 0);
  Fd f{::open(path.c_str(), flags)};
  if (f.fd < 0) {
    const int e = errno;
    std::string why = "cannot open " + name + ": " + std::strerror(e);
    if (e == EACCES && !options.access_hint.empty()) why += " (" + options.access_hint + ")";
    return e == ENOENT ? Status::NotFound(why) : Status::IoError(why);
  }
  struct stat st;
  if (::fstat(f.fd, &st) != 0)
    return Status::IoError("cannot stat " + name + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(name + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > options.max_bytes)
    return Status::InvalidArgument(name + " is larger than " + std::to_string(options.max_bytes) +
                                   " bytes (" + std::to_string(st.st_size) + ")");
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("cannot read " + name + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    // The file may grow after the fstat: the bound holds for what is read too.
    if (out.size() + static_cast<size_t>(n) > options.max_bytes)
      return Status::InvalidArgument(name + " is larger than " + std::to_string(options.max_bytes) +
                                     " bytes");
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace mailtrail
