#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/file_system.h"

namespace mailtrail {

namespace {

FileInfo FromStat(const struct stat& st) {
  FileInfo info;
  info.id = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  info.size = st.st_size;
  info.regular = S_ISREG(st.st_mode);
  info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  info.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return info;
}

Status Errno(const std::string& what) {
  const int e = errno;
  std::string m = what + ": " + std::strerror(e);
  return e == ENOENT ? Status::NotFound(m) : Status::IoError(m);
}

class PosixFile : public ReadableFile {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  StatusOr<size_t> ReadAt(int64_t offset, char* buf, size_t n) override {
    while (true) {
      const ssize_t r = ::pread(fd_, buf, n, offset);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return Errno(path_);
    }
  }
  StatusOr<FileInfo> Stat() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Errno(path_);
    return FromStat(st);
  }

 private:
  int fd_;
  std::string path_;
};

class PosixFileSystem : public FileSystem {
 public:
  StatusOr<FileInfo> Stat(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Errno(path);
    return FromStat(st);
  }
  StatusOr<std::unique_ptr<ReadableFile>> Open(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return Errno(path);
    return std::unique_ptr<ReadableFile>(new PosixFile(fd, path));
  }
  StatusOr<std::vector<std::string>> List(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return Errno(dir);
    std::vector<std::string> names;
    while (const struct dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
  }
};

}  // namespace

FileSystem* RealFileSystem() {
  static PosixFileSystem fs;  // stateless
  return &fs;
}

std::string AbsoluteLogPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(path), ec);
  if (ec) return path;
  p = p.lexically_normal();
  if (!p.has_filename()) return p.string();
  // weakly_canonical: the directory may not exist yet (the agent waits for it).
  const fs::path dir = fs::weakly_canonical(p.parent_path(), ec);
  return ec ? p.string() : (dir / p.filename()).string();
}

}  // namespace mailtrail
