#include "agent/tail/file_stream.h"

#include "agent/tail/gzip_file.h"
#include "base/hash.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

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

FileStream::FileStream(std::string path, FileSystem* fs, FileStreamOptions options)
    : path_(std::move(path)), fs_(fs), options_(options) {
  buf_.resize(std::max<size_t>(options_.read_chunk, 4096));
}

FileStream::~FileStream() = default;

void FileStream::RestoreTo(const std::vector<StreamPosition>& saved) { restore_ = saved; }

StreamPosition FileStream::PositionOf(const Source& src) const {
  StreamPosition p;
  p.id = src.id;
  p.fingerprint = src.fingerprint;
  p.fingerprint_len = src.fingerprint_len;
  p.offset = src.read_offset - static_cast<int64_t>(src.partial.size());
  return p;
}

std::vector<StreamPosition> FileStream::positions() const {
  if (!started_) return restore_;
  std::vector<StreamPosition> out;
  for (const auto& d : draining_) out.push_back(PositionOf(*d));
  if (current_) {
    out.push_back(PositionOf(*current_));
    out.back().newest_mtime_ns = newest_mtime_;
  }
  return out;
}

int64_t FileStream::backlog_bytes() const {
  int64_t n = 0;
  auto add = [&n](const Source& s) {
    auto info = s.file->Stat();
    if (info.ok() && info->size > s.read_offset) n += info->size - s.read_offset;
  };
  for (const auto& d : draining_) add(*d);
  if (current_) add(*current_);
  return n;
}

StreamPosition FileStream::position() const {
  const auto all = positions();
  return all.empty() ? StreamPosition() : all.back();
}

Status FileStream::Fingerprint(ReadableFile* file, int64_t size, uint32_t len, uint64_t* fp) {
  len = static_cast<uint32_t>(std::min<int64_t>(len, size));
  std::string head(len, '\0');
  size_t got = 0;
  while (got < len) {
    auto n = file->ReadAt(static_cast<int64_t>(got), head.data() + got, len - got);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    got += *n;
  }
  *fp = Fnv1a64(std::string_view(head.data(), got));
  return Status::Ok();
}

bool FileStream::SameStart(Source* src, int64_t size) {
  uint64_t fp = 0;
  if (src->fingerprint_len > 0) {
    if (!Fingerprint(src->file.get(), size, src->fingerprint_len, &fp).ok()) return true;
    if (fp != src->fingerprint) return false;
  }
  // A file opened (nearly) empty gets its full fingerprint once it has grown.
  const uint32_t want = static_cast<uint32_t>(std::min<int64_t>(options_.fingerprint_bytes, size));
  if (want > src->fingerprint_len && Fingerprint(src->file.get(), size, want, &fp).ok()) {
    src->fingerprint = fp;
    src->fingerprint_len = want;
  }
  return true;
}

std::unique_ptr<FileStream::Source> FileStream::OpenFile(const std::string& path) {
  auto f = fs_->Open(path);
  if (!f.ok()) return nullptr;
  auto info = (*f)->Stat();  // of what was opened, not of what the name is now
  if (!info.ok() || !info->regular) return nullptr;
  auto src = std::make_unique<Source>();
  src->id = info->id;
  src->fingerprint_len =
      static_cast<uint32_t>(std::min<int64_t>(options_.fingerprint_bytes, info->size));
  if (!Fingerprint(f->get(), info->size, src->fingerprint_len, &src->fingerprint).ok())
    return nullptr;
  src->file = std::move(*f);
  return src;
}

std::unique_ptr<FileStream::Source> FileStream::OpenPath(bool first) {
  std::unique_ptr<Source> src = OpenFile(path_);
  if (!src) return nullptr;
  int64_t offset = 0;
  if (first && options_.start_at_end) {
    auto info = src->file->Stat();
    if (!info.ok()) return nullptr;
    offset = info->size;
  }
  src->Reset(offset);
  if (offset > 0) {
    // Starting at the end: skip the rest of a line being written, if any.
    char last = '\n';
    auto n = src->file->ReadAt(offset - 1, &last, 1);
    src->skipping = n.ok() && *n == 1 && last != '\n';
  }
  return src;
}

// A saved file compressed while we were stopped (logrotate's compress): a new
// inode, so it is recognized by the fingerprint of its decompressed start.
namespace {
bool IsGzipName(const std::string& name) {
  return name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
}
}  // namespace

std::unique_ptr<FileStream::Source> FileStream::OpenCompressed(const std::string& path,
                                                               uint32_t fingerprint_len) {
  auto raw = fs_->Open(path);
  if (!raw.ok()) return nullptr;
  auto info = (*raw)->Stat();
  if (!info.ok()) return nullptr;
  auto src = std::make_unique<Source>();
  src->file = GzipFile(std::move(*raw));
  src->id = info->id;
  src->fingerprint_len = fingerprint_len;
  // Of the decompressed start: what the plain file began with.
  if (!Fingerprint(src->file.get(), INT64_MAX, fingerprint_len, &src->fingerprint).ok())
    return nullptr;
  return src;
}

std::unique_ptr<FileStream::Source> FileStream::FindCompressed(
    const std::vector<std::string>& candidates, const StreamPosition& pos, std::string* name) {
  // An empty fingerprint (the file was empty when saved) would match any file:
  // such a file is found by its modification time instead (Restore).
  if (pos.fingerprint_len == 0) return nullptr;
  for (const auto& c : candidates) {
    if (!IsGzipName(c)) continue;
    auto src = OpenCompressed(c, pos.fingerprint_len);
    if (!src || src->fingerprint != pos.fingerprint) continue;
    *name = c;
    return src;
  }
  return nullptr;
}

std::vector<std::string> FileStream::Candidates() const {
  const size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  std::vector<std::string> candidates = {path_};
  if (auto names = fs_->List(dir); names.ok()) {
    for (const auto& n : *names)
      if (n != base && n.rfind(base, 0) == 0) candidates.push_back(dir + n);
  }
  return candidates;
}

std::unique_ptr<FileStream::Source> FileStream::FindCopy(const std::vector<std::string>& candidates,
                                                         const StreamPosition& pos,
                                                         std::string* name) {
  // The fingerprint must cover what was read (or its full length): a few bytes
  // shared by chance ("Nov 27 ") prove nothing.
  const int64_t covers = std::min<int64_t>(options_.fingerprint_bytes, pos.offset);
  if (pos.offset == 0 || pos.fingerprint_len < covers) return nullptr;
  for (const auto& c : candidates) {
    if (c == path_) continue;  // the truncated original, whatever it holds now
    auto info = fs_->Stat(c);
    if (!info.ok() || !info->regular || info->id == pos.id || info->size < pos.offset) continue;
    std::unique_ptr<Source> src = OpenFile(c);
    uint64_t fp = 0;
    if (src && Fingerprint(src->file.get(), info->size, pos.fingerprint_len, &fp).ok() &&
        fp == pos.fingerprint) {
      *name = c;
      return src;
    }
  }
  return nullptr;
}

void FileStream::Restore(TimeUs now) {
  // Where a saved file may be now: the path itself, or a rotated name beside it.
  const std::vector<std::string> candidates = Candidates();
  auto at_path = fs_->Stat(path_);
  std::vector<std::string> used;  // names of the saved files found
  // The file that was current at the checkpoint, if it was rotated away while
  // we were stopped: when it was last written.
  int64_t current_rotated_at = 0;  // 0: not rotated away (or not known when)
  for (const StreamPosition& pos : restore_) {
    const bool is_current = &pos == &restore_.back();
    if (is_current && pos.offset == 0 && pos.fingerprint_len == 0) {
      // Saved while still empty: nothing of it was read, and with no bytes to
      // fingerprint its inode number proves nothing (a file made since may
      // have reused it). Whatever was modified after the checkpoint is new:
      // the file at the path from its start, and any rotated away meanwhile.
      current_rotated_at = pos.newest_mtime_ns;
      continue;
    }
    std::unique_ptr<Source> found;
    std::string found_name;
    for (const auto& c : candidates) {
      auto info = fs_->Stat(c);
      if (!info.ok() || info->id != pos.id || info->size < pos.offset) continue;
      std::unique_ptr<Source> src = OpenFile(c);
      uint64_t fp = 0;
      if (src && Fingerprint(src->file.get(), info->size, pos.fingerprint_len, &fp).ok() &&
          fp == pos.fingerprint) {
        found = std::move(src);
        found_name = c;
        break;
      }
    }
    // Not the same inode: copied (copytruncate, maybe compressed since) while
    // we were stopped. The copy holds what was read and what came after it.
    if (!found) found = FindCompressed(candidates, pos, &found_name);
    if (!found) found = FindCopy(candidates, pos, &found_name);
    if (is_current && !(at_path.ok() && at_path->id == pos.id && found_name == path_)) {
      // It is no longer the file at the path: rotated (at least once) while
      // we were stopped. Whatever was modified after what we had seen is new.
      current_rotated_at = pos.newest_mtime_ns;
      if (found && current_rotated_at == 0) {  // a checkpoint from before newest_mtime_ns
        if (auto info = fs_->Stat(found_name); info.ok()) current_rotated_at = info->mtime_ns;
      }
    }
    if (!found) {
      ++counters_.replaced_while_stopped;
      continue;
    }
    used.push_back(found_name);
    found->Reset(pos.offset);
    if (at_path.ok() && at_path->id == found->id && !current_) {
      current_ = std::move(found);
    } else {
      found->last_growth = now;
      draining_.push_back(std::move(found));
    }
  }
  restore_.clear();
  // Rotated more than once while stopped: the files modified after the newest
  // write the checkpoint had seen, and rotated away since (mail.log.1 when the
  // saved file is now mail.log.2.gz) were never read: all of them, oldest
  // first. By modification time, which rename and gzip keep, so older
  // generations (mail.log.3.gz) are never read again whatever the naming.
  if (current_rotated_at != 0) {
    std::vector<std::pair<int64_t, std::string>> between;
    for (const auto& c : candidates) {
      if (c == path_ || std::find(used.begin(), used.end(), c) != used.end()) continue;
      auto info = fs_->Stat(c);
      // `<`: a file written in the same clock tick as our last look at the
      // current file may hold lines we never saw (a rotated-away file we had
      // finished is a saved one, never here).
      if (!info.ok() || !info->regular || info->mtime_ns < current_rotated_at) continue;
      if (at_path.ok() && info->id == at_path->id) continue;
      // While compressing, both mail.log.1 and mail.log.1.gz exist: the plain one.
      if (IsGzipName(c) && std::find(candidates.begin(), candidates.end(),
                                     c.substr(0, c.size() - 3)) != candidates.end())
        continue;
      between.emplace_back(info->mtime_ns, c);
    }
    std::sort(between.begin(), between.end());
    for (const auto& [mtime, name] : between) {
      std::unique_ptr<Source> src =
          IsGzipName(name) ? OpenCompressed(name, options_.fingerprint_bytes) : OpenFile(name);
      if (!src) continue;
      src->Reset(0);
      src->last_growth = now;
      ++counters_.rotated_while_stopped;
      draining_.push_back(std::move(src));
    }
  }
  // Whatever has the name now and was not saved arrived while we were stopped:
  // all of it is new.
  if (!current_) {
    current_ = OpenFile(path_);
    if (current_) current_->Reset(0);
  }
}

void FileStream::Emit(LineHandler* handler, std::string_view bytes, int64_t offset, bool overlong) {
  ++counters_.lines;
  counters_.bytes += static_cast<int64_t>(bytes.size()) + 1;
  if (overlong) ++counters_.overlong;
  // CRLF line ends (a log copied from Windows, a relay that adds them): the CR
  // ends the line, it is not part of its last field.
  if (!bytes.empty() && bytes.back() == '\r') bytes.remove_suffix(1);
  handler->OnLine({bytes, offset, overlong});
}

void FileStream::FlushPartial(Source* src, LineHandler* handler, size_t* emitted) {
  if (!src->partial.empty() && !src->skipping) {
    Emit(handler, src->partial, src->partial_offset, false);
    ++*emitted;
  }
  src->partial_offset = src->read_offset;
  src->partial.clear();
  src->skipping = false;
}

StatusOr<bool> FileStream::Drain(Source* src, LineHandler* handler, size_t max_lines,
                                 size_t* emitted) {
  while (true) {
    if (*emitted >= max_lines) return false;
    auto n = src->file->ReadAt(src->read_offset, buf_.data(), buf_.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return true;
    std::string_view chunk(buf_.data(), *n);
    const int64_t chunk_offset = src->read_offset;
    size_t pos = 0;
    // Whole lines first; a line may stop part-way (max_lines): then read_offset
    // only advances past what was consumed.
    while (pos < chunk.size()) {
      const size_t nl = chunk.find('\n', pos);
      const std::string_view piece =
          chunk.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      if (nl == std::string_view::npos) {
        // No newline yet: keep it (bounded), or cut an overlong line.
        if (!src->skipping) {
          if (src->partial.empty()) src->partial_offset = chunk_offset + static_cast<int64_t>(pos);
          src->partial.append(piece);
          if (src->partial.size() > options_.max_line) {
            Emit(handler, std::string_view(src->partial).substr(0, options_.max_line),
                 src->partial_offset, true);
            ++*emitted;
            src->partial.clear();
            src->skipping = true;
          }
        }
        pos = chunk.size();
        break;
      }
      if (src->skipping) {
        src->skipping = false;  // the rest of a cut line ends here
      } else {
        std::string_view line = piece;
        int64_t line_offset = chunk_offset + static_cast<int64_t>(pos);
        if (!src->partial.empty()) {
          src->partial.append(piece);
          line = src->partial;
          line_offset = src->partial_offset;
        }
        const bool overlong = line.size() > options_.max_line;
        Emit(handler, overlong ? line.substr(0, options_.max_line) : line, line_offset, overlong);
        ++*emitted;
        src->partial.clear();
      }
      pos = nl + 1;
      src->partial_offset = chunk_offset + static_cast<int64_t>(pos);
      if (*emitted >= max_lines) break;
    }
    src->read_offset = chunk_offset + static_cast<int64_t>(pos);
  }
}

Status FileStream::CheckTruncated(Source* src, TimeUs now) {
  // copytruncate: the file is shorter than what was read, or was rewritten past
  // our offset already, which its first bytes tell.
  auto info = src->file->Stat();
  if (!info.ok()) return info.status();
  Seen(*info);
  if (info->size < src->read_offset || !SameStart(src, info->size)) {
    ++counters_.truncations;
    // What was written after our last read is in the copy beside it only
    // (mail.log.1): drain the copy on from where we stood, before the start
    // of the truncated file.
    if (src == current_.get()) {
      std::string name;
      const std::vector<std::string> candidates = Candidates();
      const StreamPosition pos = PositionOf(*src);
      std::unique_ptr<Source> copy = FindCopy(candidates, pos, &name);
      if (!copy && pos.offset > 0) copy = FindCompressed(candidates, pos, &name);
      if (copy) {
        ++counters_.copies_resumed;
        copy->read_offset = src->read_offset;
        copy->partial = std::move(src->partial);
        copy->partial_offset = src->partial_offset;
        copy->skipping = src->skipping;
        copy->last_growth = now;
        draining_.push_back(std::move(copy));
      }
    }
    src->Reset(0);
    src->fingerprint_len = 0;
    SameStart(src, info->size);
  }
  return Status::Ok();
}

void FileStream::FollowName(TimeUs now) {
  auto named = fs_->Stat(path_);
  if (!named.ok() || !current_ || named->id == current_->id) return;
  // Another file has the name now (rename rotation, delete + recreate, symlink
  // swap). Take hold of it at once, so that even a quick second rotation cannot
  // hide it; the old file is drained before it (draining_ is read first).
  std::unique_ptr<Source> next = OpenPath(false);
  if (!next) return;
  ++counters_.rotations;
  // It may also have been truncated since the last poll; from now on it is only
  // drained, so look now.
  static_cast<void>(CheckTruncated(current_.get(), now));
  current_->last_growth = now;
  draining_.push_back(std::move(current_));
  current_ = std::move(next);
}

StatusOr<size_t> FileStream::Poll(TimeUs now, LineHandler* handler, size_t max_lines) {
  size_t emitted = 0;
  if (!started_ && !restore_.empty()) {
    Restore(now);
    started_ = true;
  } else if (!current_) {
    current_ = OpenPath(!started_);
    if (current_) started_ = true;
  }
  FollowName(now);
  // Truncated (copytruncate)? Before the rotated files are read: its copy joins them.
  if (current_) {
    if (Status st = CheckTruncated(current_.get(), now); !st.ok()) return st;
  }
  // Rotated files first: their lines are older.
  for (auto it = draining_.begin(); it != draining_.end();) {
    Source* d = it->get();
    const int64_t before = d->read_offset;
    if (auto info = d->file->Stat(); info.ok()) Seen(*info);
    auto done = Drain(d, handler, max_lines, &emitted);
    if (!done.ok()) return done.status();
    if (!*done) return emitted;
    if (d->read_offset != before) d->last_growth = now;
    if (now - d->last_growth >= options_.rotate_wait) {
      FlushPartial(d, handler, &emitted);
      it = draining_.erase(it);
    } else {
      ++it;
    }
  }
  if (!current_) return emitted;
  auto done = Drain(current_.get(), handler, max_lines, &emitted);
  if (!done.ok()) return done.status();
  // A checkpoint's fingerprint covers what was read, so that a copy of this
  // file can be told by it (FindCopy).
  if (current_->fingerprint_len < options_.fingerprint_bytes &&
      current_->fingerprint_len < current_->read_offset)
    SameStart(current_.get(), current_->read_offset);
  return emitted;
}

}  // namespace mailtrail
