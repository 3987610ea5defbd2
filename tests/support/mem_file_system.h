// MemFileSystem: an in-memory FileSystem for tailer tests. Files are inodes with
// shared contents, names point at inodes, and open files keep their inode alive
// after rename or unlink, as on POSIX. Inode numbers can be reused on purpose
// (Create with `reuse_ino`, or reuse_freed_inodes(): the lowest number of a
// file neither named nor open, as ext4 and tmpfs do) to test fingerprinting.
// Modification times are a logical clock, every change later than the last,
// or with coarse_mtimes() ticks that move only on Tick(): the changes in
// between share one time, as they share a kernel clock tick.
#ifndef MAILTRAIL_TESTS_SUPPORT_MEM_FILE_SYSTEM_H_
#define MAILTRAIL_TESTS_SUPPORT_MEM_FILE_SYSTEM_H_

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/file_system.h"

namespace mailtrail {

class MemFileSystem : public FileSystem {
 public:
  struct Inode {
    uint64_t ino = 0;
    std::string data;
    int64_t mtime = 0;  // a logical clock (see above)
    int64_t ctime = 0;  // the same clock, at every change (which `touch -d` cannot set)
  };

  int lists = 0;  // directory listings asked for (a scan's cost)
  void reuse_freed_inodes() { reuse_freed_ = true; }
  void coarse_mtimes() { coarse_ = true; }
  void Tick() { ++tick_; }

  // A new empty file at `path` (replacing the name if taken).
  void Create(const std::string& path, uint64_t reuse_ino = 0) {
    auto node = std::make_shared<Inode>();
    node->ino = reuse_ino ? reuse_ino : (reuse_freed_ ? FreedIno() : 0);
    if (node->ino == 0) node->ino = next_ino_++;
    node->mtime = node->ctime = Now();
    names_[path] = node;
    all_.push_back(node);
  }
  void Append(const std::string& path, const std::string& bytes) {
    if (!names_.count(path)) Create(path);
    names_[path]->data += bytes;
    names_[path]->mtime = names_[path]->ctime = Now();
  }
  void Rename(const std::string& from, const std::string& to) {
    names_[to] = names_[from];
    names_.erase(from);
    names_[to]->ctime = Now();
  }
  void Truncate(const std::string& path) {
    names_[path]->data.clear();
    names_[path]->mtime = names_[path]->ctime = Now();
  }
  // Its first `size` bytes kept, the same inode: a crash lost its unsynced end.
  void CutTo(const std::string& path, size_t size) {
    names_[path]->data.resize(size);
    names_[path]->mtime = names_[path]->ctime = Now();
  }
  // As `cp` (and logrotate's copytruncate) does: a new inode with the same bytes,
  // modified now.
  void Copy(const std::string& from, const std::string& to) {
    Create(to);
    names_[to]->data = names_[from]->data;
  }
  // As `gzip` and `touch -r` do: the modification time of another file.
  void CopyMtime(const std::string& from, const std::string& to) {
    names_[to]->mtime = names_[from]->mtime;
    names_[to]->ctime = Now();
  }
  // As `touch -d`: any modification time, the change itself now.
  void SetMtime(const std::string& path, int64_t mtime) {
    names_[path]->mtime = mtime;
    names_[path]->ctime = Now();
  }
  void Unlink(const std::string& path) { names_.erase(path); }
  // `link` names the same inode as `target` (a symlink, as far as Stat/Open see).
  void Symlink(const std::string& target, const std::string& link) {
    names_[link] = names_[target];
  }
  std::string Read(const std::string& path) { return names_[path]->data; }
  uint64_t InoOf(const std::string& path) { return names_[path]->ino; }

  StatusOr<FileInfo> Stat(const std::string& path) override {
    auto it = names_.find(path);
    if (it == names_.end()) return Status::NotFound(path);
    return Info(*it->second);
  }
  StatusOr<std::vector<std::string>> List(const std::string& dir) override {
    ++lists;
    std::vector<std::string> out;
    const std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    for (const auto& [path, node] : names_)
      if (path.rfind(prefix, 0) == 0 && path.find('/', prefix.size()) == std::string::npos)
        out.push_back(path.substr(prefix.size()));
    return out;
  }
  StatusOr<std::unique_ptr<ReadableFile>> Open(const std::string& path) override {
    auto it = names_.find(path);
    if (it == names_.end()) return Status::NotFound(path);
    return std::unique_ptr<ReadableFile>(new File(it->second));
  }

 private:
  static FileInfo Info(const Inode& n) {
    FileInfo info;
    info.id = {1, n.ino};
    info.size = static_cast<int64_t>(n.data.size());
    info.mtime_ns = n.mtime;
    info.ctime_ns = n.ctime;
    return info;
  }
  class File : public ReadableFile {
   public:
    explicit File(std::shared_ptr<Inode> node) : node_(std::move(node)) {}
    StatusOr<size_t> ReadAt(int64_t offset, char* buf, size_t n) override {
      const auto& d = node_->data;
      if (offset >= static_cast<int64_t>(d.size())) return size_t{0};
      const size_t k = std::min(n, d.size() - static_cast<size_t>(offset));
      std::memcpy(buf, d.data() + offset, k);
      return k;
    }
    StatusOr<FileInfo> Stat() override { return Info(*node_); }

   private:
    std::shared_ptr<Inode> node_;
  };

  int64_t Now() { return coarse_ ? tick_ : ++clock_; }
  // The lowest inode number no name and no open file holds any more (0: none).
  uint64_t FreedIno() {
    uint64_t lowest = 0;
    for (auto it = all_.begin(); it != all_.end();) {
      if (auto node = it->lock()) {
        ++it;
        continue;
      }
      it = all_.erase(it);
    }
    for (uint64_t ino = 100; ino < next_ino_ && lowest == 0; ++ino) {
      bool used = false;
      for (const auto& w : all_)
        if (auto node = w.lock(); node && node->ino == ino) used = true;
      if (!used) lowest = ino;
    }
    return lowest;
  }

  std::map<std::string, std::shared_ptr<Inode>> names_;
  std::vector<std::weak_ptr<Inode>> all_;  // every inode created, to find freed numbers
  uint64_t next_ino_ = 100;
  int64_t clock_ = 0;
  bool reuse_freed_ = false, coarse_ = false;
  int64_t tick_ = 1;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_MEM_FILE_SYSTEM_H_
