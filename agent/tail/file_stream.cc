#include "agent/tail/file_stream.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "agent/tail/file_stream_source.h"
#include "base/hash.h"

namespace mailtrail {

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
  p.offset = src.read_offset - static_cast<int64_t>(src.lines.pending());
  return p;
}

bool FileStream::TailOf(ReadableFile* file, int64_t offset, uint64_t* hash, uint32_t* len) {
  char tail[64];
  const auto n = static_cast<size_t>(std::clamp<int64_t>(offset, 0, sizeof tail));
  auto got = ReadUpTo(file, offset - static_cast<int64_t>(n), tail, n);
  if (n == 0 || !got.ok() || *got != n) return false;  // shorter than `offset` now
  *hash = Fnv1a64(std::string_view(tail, n));
  *len = static_cast<uint32_t>(n);
  return true;
}

StreamPosition FileStream::Saved(const Source& src) const {
  StreamPosition p = PositionOf(src);
  // Not of a .gz: reading back would decompress it again from its start.
  if (!src.compressed && !TailOf(src.file.get(), p.offset, &p.tail_hash, &p.tail_len))
    p.tail_len = 0;
  return p;
}

std::vector<StreamPosition> FileStream::positions() const {
  if (!started_) return restore_;
  std::vector<StreamPosition> out;
  // Finished files whose last write shares the newest time seen: without them
  // a restart could not tell them from files rotated in while it was stopped
  // (Restore reads those whole), and read them again.
  for (const auto& f : finished_) out.push_back(f.position);
  for (const auto& d : draining_) out.push_back(Saved(*d));
  // The current file last. With none (the path missing: logrotate's
  // nocreate, or no log yet) an empty one, read from nothing: a restart then
  // knows the stream had started and reads whatever comes from its start, as
  // it does for a current file saved while still empty (Restore).
  out.push_back(current_ ? Saved(*current_) : StreamPosition{});
  out.back().newest_mtime_ns = newest_mtime_;
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
  auto got = ReadUpTo(file, 0, head.data(), len);
  if (!got.ok()) return got.status();
  *fp = Fnv1a64(std::string_view(head.data(), *got));
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
  auto src = std::make_unique<Source>(options_.max_line);
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
    if (n.ok() && *n == 1 && last != '\n') src->lines.StartMidLine();
  }
  return src;
}

void FileStream::Emit(LineHandler* handler, const SplitLine& line) {
  ++counters_.lines;
  counters_.bytes += static_cast<int64_t>(line.raw_size) + 1;
  if (line.overlong) ++counters_.overlong;
  handler->OnLine({line.bytes, line.offset, line.overlong});
}

void FileStream::FlushPartial(Source* src, LineHandler* handler, size_t* emitted) {
  SplitLine line;
  if (src->lines.Finish(src->read_offset, &line)) {
    Emit(handler, line);
    ++*emitted;
  }
}

StatusOr<bool> FileStream::Drain(Source* src, LineHandler* handler, size_t max_lines,
                                 size_t* emitted) {
  while (true) {
    if (*emitted >= max_lines) return false;
    auto n = src->file->ReadAt(src->read_offset, buf_.data(), buf_.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return true;
    // A line may stop part-way (max_lines): then read_offset only advances past
    // what was consumed.
    LineSplitter::Chunk chunk{std::string_view(buf_.data(), *n), src->read_offset};
    SplitLine line;
    while (*emitted < max_lines && src->lines.Next(&chunk, &line)) {
      Emit(handler, line);
      ++*emitted;
    }
    src->read_offset = chunk.offset + static_cast<int64_t>(chunk.pos);
  }
}

Status FileStream::CheckTruncated(Source* src, TimeUs now) {
  // copytruncate: the file is shorter than what was read, or was rewritten past
  // our offset already, which its first bytes tell.
  auto info = src->file->Stat();
  if (!info.ok()) return info.status();
  Seen(*info);
  const bool same_start = SameStart(src, info->size);
  if (info->size < src->read_offset && same_start && src->fingerprint_len > 0 &&
      info->size >= src->fingerprint_len) {
    // Shorter, and still its first bytes (a truncated file has fewer, or
    // others): the same file, its end lost, not a copytruncate.
    warning_ += (warning_.empty() ? "" : "; ") + path_ + ": " +
                ResumeCutShort(src, info->size, src->read_offset);
    return Status::Ok();
  }
  if (info->size < src->read_offset || !same_start) {
    ++counters_.truncations;
    // What was written after our last read is in the copy beside it only
    // (mail.log.1): drain the copy on from where we stood, before the start
    // of the truncated file.
    if (src == current_.get()) {
      std::string name;
      const std::vector<std::string> candidates = Candidates();
      const StreamPosition pos = PositionOf(*src);
      std::unique_ptr<Source> copy = FindCopy(candidates, pos, &name);
      if (!copy && TellsItsCopy(pos)) copy = FindCompressed(candidates, pos, &name);
      if (copy) {
        ++counters_.copies_resumed;
        copy->read_offset = src->read_offset;
        copy->lines = std::move(src->lines);
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
  if (!started_) return;
  auto named = fs_->Stat(path_);
  if (current_ && named.ok() && named->id == current_->id) return;
  if (!named.ok() && named.status().code() != Status::Code::kNotFound) return;
  // Another file has the name now (rename rotation, delete + recreate, symlink
  // swap), or none (logrotate's nocreate). Take hold of the new one at once;
  // the old file is drained before it (draining_ is read first), and so are
  // the files rotated in and out since our last look, which no poll saw at
  // the path (helper-135 finding 3).
  std::unique_ptr<Source> next;
  if (named.ok()) {
    next = OpenPath(false);
    if (!next) return;
  } else {
    // Missing (nocreate), the scan below runs at most once a second: every
    // write to another log in the directory wakes the agent (helper-145: 45
    // scans a second, 6% of a core with 500 files beside the log).
    if (now - missing_scanned_at_ < kUsPerSecond) return;
    missing_scanned_at_ = now;
  }
  // What the last poll saw, before this one looks at the old file again: a
  // file rotated past us was made after it (the old file may have been
  // written to since, later still).
  const int64_t since = newest_mtime_;
  // It may also have been truncated since the last poll (its copy then joins
  // the files being read, and is no unread file); from now on it is only
  // drained, so look now.
  if (current_) static_cast<void>(CheckTruncated(current_.get(), now));
  // Nothing seen yet (a first start before the log exists): every rotated
  // file is history, none was rotated past us.
  std::vector<NamedSource> between;
  if (since > 0) between = UnreadRotated(Candidates(), since, next ? &next->id : nullptr, now);
  // The path missing and nothing rotated through it: the old file stays
  // current until a new one comes (it may still be written to meanwhile).
  if (!next && between.empty()) return;
  if (current_) {
    if (next) ++counters_.rotations;
    current_->last_growth = now;
    draining_.push_back(std::move(current_));
  }
  for (auto& [name, src] : between) {
    ++counters_.rotated_between_polls;
    draining_.push_back(std::move(src));
  }
  // Without one, the next poll opens whatever comes to the path from its start.
  current_ = std::move(next);
}

StatusOr<size_t> FileStream::Poll(TimeUs now, LineHandler* handler, size_t max_lines) {
  size_t emitted = 0;
  if (!started_ && !restore_.empty()) {
    Restore(now);
    started_ = true;
  } else if (!started_) {
    current_ = OpenPath(true);
    // Only what the path holds at the first poll is history: a file that
    // appears after a poll found none there is new, all of it. One that is
    // there but cannot be opened yet (its mode) is history all the same.
    started_ = current_ || fs_->Stat(path_).status().code() == Status::Code::kNotFound;
  }
  // A new file at the path (or the first one since it went missing).
  FollowName(now);
  // Truncated (copytruncate)? Before the rotated files are read: its copy joins them.
  if (current_) {
    if (Status st = CheckTruncated(current_.get(), now); !st.ok()) return st;
  }
  // A rotated file opened empty and not read yet (the ones before it fill
  // max_lines) gets its fingerprint as it grows: saved with an empty one, a
  // restart took what it got as written after the checkpoint, and lost it
  // when newer writes were seen (the model test, seed 13847).
  for (auto& d : draining_) {
    if (d->compressed || d->fingerprint_len >= options_.fingerprint_bytes) continue;
    if (auto info = d->file->Stat(); info.ok()) SameStart(d.get(), info->size);
  }
  // Rotated files first: their lines are older.
  for (auto it = draining_.begin(); it != draining_.end();) {
    Source* d = it->get();
    const int64_t before = d->read_offset;
    if (auto info = d->file->Stat(); info.ok()) Seen(*info);
    auto done = Drain(d, handler, max_lines, &emitted);
    if (!done.ok()) return done.status();
    // A rotated file read on after the rotation (the syslog daemon wrote to
    // it before it reopened the log) has a fingerprint that covers what was
    // read, as the current file's, so that a restart knows it again.
    ExtendFingerprint(d);
    if (!*done) return emitted;
    if (d->read_offset != before) d->last_growth = now;
    if (now - d->last_growth >= options_.rotate_wait) {
      FlushPartial(d, handler, &emitted);
      if (auto info = d->file->Stat(); info.ok())
        finished_.push_back({Saved(*d), WrittenAt(*info)});
      it = draining_.erase(it);
    } else {
      ++it;
    }
  }
  // A finished file written before the newest time seen is older than any
  // file a restart would read whole: it need not be kept.
  // Its start is still remembered a while: a copy or a .gz of it made by a
  // tool that does not keep the modification time (`gzip -c f > f.gz`) is
  // as new as the files rotated past us, and must not pass for one.
  for (auto it = finished_.begin(); it != finished_.end();) {
    if (it->mtime_ns >= newest_mtime_) {
      ++it;
      continue;
    }
    read_before_.push_back(it->position);
    if (read_before_.size() > kReadBefore) read_before_.erase(read_before_.begin());
    it = finished_.erase(it);
  }
  if (!current_) return emitted;
  auto done = Drain(current_.get(), handler, max_lines, &emitted);
  if (!done.ok()) return done.status();
  // A checkpoint's fingerprint covers what was read, so that a copy of this
  // file can be told by it (FindCopy).
  ExtendFingerprint(current_.get());
  return emitted;
}

std::string FileStream::ResumeCutShort(Source* src, int64_t size, int64_t read) {
  ++counters_.cut_short;
  src->Reset(size);
  // Its last line is torn: what is written next is glued to it.
  char last = '\n';
  auto n = src->file->ReadAt(size - 1, &last, 1);
  const bool torn = n.ok() && *n == 1 && last != '\n';
  if (torn) src->lines.StartMidLine();
  return "shorter (" + std::to_string(size) + " bytes) than what was read of it (" +
         std::to_string(read) +
         " bytes) and still begins as it did: its end was lost (a crash before it was "
         "written out?); on from its end now" +
         (torn ? ", past its torn last line" : "") +
         ", not from its start (where it was cut is not known: lines written since the cut "
         "are skipped)";
}

void FileStream::ExtendFingerprint(Source* src) {
  if (src->fingerprint_len < options_.fingerprint_bytes && src->fingerprint_len < src->read_offset)
    SameStart(src, src->read_offset);
}

}  // namespace mailtrail
