// FileStream's restart: finding each saved file again (by inode and
// fingerprint, as a copy, or compressed), and the files rotated in and out while
// the agent was stopped or between two polls (file_stream.h says what is
// guaranteed).
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/lines/gzip_file.h"
#include "agent/tail/file_stream.h"
#include "agent/tail/file_stream_source.h"
#include "agent/tail/rotated_name.h"
#include "base/hash.h"

namespace mailtrail {

// A saved file compressed while we were stopped (logrotate's compress): a new
// inode, so it is recognized by the fingerprint of its decompressed start.

std::unique_ptr<FileStream::Source> FileStream::OpenCompressed(const std::string& path,
                                                               uint32_t fingerprint_len) {
  auto raw = fs_->Open(path);
  if (!raw.ok()) return nullptr;
  auto info = (*raw)->Stat();
  if (!info.ok()) return nullptr;
  auto src = std::make_unique<Source>(options_.max_line);
  src->file = std::make_unique<GzipReader>(std::move(*raw));
  src->compressed = true;
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
    if (!src || src->fingerprint != pos.fingerprint || ReadAlready(src->id, c)) continue;
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

bool FileStream::TellsItsCopy(const StreamPosition& pos) const {
  const int64_t covers = std::min<int64_t>(options_.fingerprint_bytes,
                                           pos.offset > 0 ? pos.offset : kMinUnreadFingerprint);
  return pos.fingerprint_len > 0 && pos.fingerprint_len >= covers;
}

bool FileStream::StartOf(const std::string& name, uint32_t len, uint64_t* fp) {
  if (IsGzipName(name)) {
    std::unique_ptr<Source> src = OpenCompressed(name, len);
    if (src) *fp = src->fingerprint;
    return src != nullptr;
  }
  std::unique_ptr<Source> src = OpenFile(name);
  if (!src) return false;
  auto info = src->file->Stat();
  return info.ok() && Fingerprint(src->file.get(), info->size, len, fp).ok();
}

bool FileStream::ReadAlready(const FileId& id, const std::string& name) {
  for (const auto& d : draining_)
    if (d->id == id) return true;
  for (const auto& f : finished_) {
    if (f.position.id != id) continue;
    // Closed, its inode number may have gone to a new file since (ext4,
    // tmpfs): the same file only if it still begins as it did.
    uint64_t fp = 0;
    if (f.position.fingerprint_len == 0 || !StartOf(name, f.position.fingerprint_len, &fp) ||
        fp == f.position.fingerprint)
      return true;
  }
  return false;
}

std::unique_ptr<FileStream::Source> FileStream::FindCopy(const std::vector<std::string>& candidates,
                                                         const StreamPosition& pos,
                                                         std::string* name) {
  // Nothing read yet (the agent busy with rotated files) is no reason to lose
  // the copy, which then holds all of it (helper-137).
  if (!TellsItsCopy(pos)) return nullptr;
  for (const auto& c : candidates) {
    if (c == path_) continue;  // the truncated original, whatever it holds now
    auto info = fs_->Stat(c);
    if (!info.ok() || !info->regular || info->id == pos.id || info->size < pos.offset ||
        ReadAlready(info->id, c))
      continue;
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

bool FileStream::BeginsAsAFileRead(const std::string& name) {
  // A start proves something when it is long enough ("Nov 27 10:0" begins
  // many files), or all there is (all we read) of a short file: its whole
  // first line, time, host and process id included, which no other file
  // begins with.
  const int64_t enough = std::min<int64_t>(options_.fingerprint_bytes, kMinUnreadFingerprint);
  std::vector<std::pair<uint64_t, uint32_t>> known;  // fingerprint, its length
  auto add = [&](uint64_t fp, uint32_t len, int64_t all) {
    if (len > 0 && (len >= enough || (all > 0 && len >= all))) known.emplace_back(fp, len);
  };
  auto add_open = [&](Source* src) {
    // A .gz does not change, and reading its start again would make the
    // next read decompress it again up to where it stood.
    if (src->compressed) {
      if (src->fingerprint_len > 0) known.emplace_back(src->fingerprint, src->fingerprint_len);
      return;
    }
    // Its start now, not what it held when opened: one opened empty (the log
    // just made) has no fingerprint yet, and its .gz all of its lines.
    std::string head(options_.fingerprint_bytes, '\0');
    auto got = ReadUpTo(src->file.get(), 0, head.data(), head.size());
    if (!got.ok()) return;
    const bool whole = *got < head.size();  // its end reached
    if (*got >= static_cast<size_t>(enough) || (whole && *got > 0))
      known.emplace_back(Fnv1a64(std::string_view(head.data(), *got)), static_cast<uint32_t>(*got));
  };
  if (current_) add_open(current_.get());
  for (const auto& d : draining_) add_open(d.get());
  for (const auto& f : finished_)
    add(f.position.fingerprint, f.position.fingerprint_len, f.position.offset);
  for (const auto& p : read_before_) add(p.fingerprint, p.fingerprint_len, p.offset);
  // An empty file is nobody's copy: what it gets (the syslog daemon writing
  // on until it reopens the log) is new.
  if (!IsGzipName(name)) {
    auto info = fs_->Stat(name);
    if (!info.ok() || info->size == 0) return false;
  }
  for (const auto& [fingerprint, len] : known) {
    uint64_t fp = 0;
    if (StartOf(name, len, &fp) && fp == fingerprint) return true;
  }
  return false;
}

std::vector<FileStream::NamedSource> FileStream::UnreadRotated(
    const std::vector<std::string>& candidates, int64_t since, const FileId* at_path, TimeUs now) {
  std::vector<std::pair<int64_t, std::string>> between;
  for (const auto& c : candidates) {
    // Only rotated names: another log beside ours (mail.log.err) is written
    // all the time and is not ours to read.
    if (c == path_ || !IsRotatedNameOf(c, path_)) continue;  // rotated_name.h
    auto info = fs_->Stat(c);
    // `<`: a file written in the same clock tick as our last look at the
    // current file may hold lines we never saw (a rotated-away file we had
    // finished is a read one, skipped below).
    if (!info.ok() || !info->regular || info->mtime_ns < since) continue;
    // Files open are told by their inode (it cannot be reused while open);
    // files read and closed only by their start (BeginsAsAFileRead), as
    // their inode numbers may have been given to new files since.
    if ((at_path && info->id == *at_path) || (current_ && current_->id == info->id) ||
        std::any_of(draining_.begin(), draining_.end(),
                    [&info](const auto& d) { return d->id == info->id; }))
      continue;
    // While compressing, both mail.log.1 and mail.log.1.gz exist: the plain one.
    if (IsGzipName(c) && std::find(candidates.begin(), candidates.end(),
                                   c.substr(0, c.size() - 3)) != candidates.end())
      continue;
    // gzip keeps the modification time, so the .gz of a file we read
    // (logrotate without delaycompress) is as new as it; a copy (copytruncate)
    // is newer still.
    if (BeginsAsAFileRead(c)) continue;
    // An empty one holds nothing yet: what it gets (the syslog daemon
    // writing on until it reopens the log) is newer than the others' lines.
    between.emplace_back(info->size == 0 ? INT64_MAX : info->mtime_ns, c);
  }
  // Two written in one clock tick (rotations milliseconds apart, times
  // kept by a restore from a backup) tie: then by name, logrotate's
  // numbered ones (.2 before .1) by their number, any other with numbers
  // compared as numbers, which is the order of dated names (-20261127).
  std::sort(between.begin(), between.end(), [this](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    // A strict order: other names first, then logrotate's by number.
    const int64_t na = RotationNumber(a.second, path_), nb = RotationNumber(b.second, path_);
    if ((na >= 0) != (nb >= 0)) return na < 0;
    if (na >= 0) return na > nb;
    return NaturalLess(a.second, b.second);
  });
  std::vector<NamedSource> out;
  for (const auto& [mtime, name] : between) {
    std::unique_ptr<Source> src =
        IsGzipName(name) ? OpenCompressed(name, options_.fingerprint_bytes) : OpenFile(name);
    if (!src) continue;
    src->Reset(0);
    src->last_growth = now;
    out.emplace_back(name, std::move(src));
  }
  return out;
}

void FileStream::Restore(TimeUs now) {
  // Where a saved file may be now: the path itself, or a rotated name beside it.
  const std::vector<std::string> candidates = Candidates();
  auto at_path = fs_->Stat(path_);
  // The file that was current at the checkpoint, if it was rotated away while
  // we were stopped: when it was last written.
  int64_t current_rotated_at = 0;  // 0: not rotated away (or not known when)
  bool empty_rotated_saved = false;
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
    if (pos.fingerprint_len == 0 && pos.offset == 0) {
      // A rotated file still empty when saved: nothing of it was read, and its
      // inode number proves nothing either (a file made since, even the .gz of
      // another, may have it). Whatever it got since is new: it is modified
      // after the checkpoint, so the files read whole below include it. One
      // still empty now is held on to, in case the syslog daemon writes to it
      // yet (it was lost then: the model test, seed 16666).
      empty_rotated_saved = true;
      for (const auto& c : candidates) {
        auto info = fs_->Stat(c);
        if (c == path_ || !info.ok() || info->id != pos.id || !info->regular || info->size != 0)
          continue;
        if (std::unique_ptr<Source> src = OpenFile(c)) {
          src->Reset(0);
          src->last_growth = now;
          draining_.push_back(std::move(src));
        }
        break;
      }
      continue;
    }
    std::unique_ptr<Source> found;
    std::string found_name;
    int64_t cut_to = -1;  // shorter than what was read, its start the same: its size
    for (const auto& c : candidates) {
      auto info = fs_->Stat(c);
      if (!info.ok() || info->id != pos.id) continue;
      // Shorter than what was read: the same file only if it still begins as
      // it did, over its whole fingerprint (its end lost in a crash); a
      // truncated one does not (its copy is found below).
      const bool shorter = info->size < pos.offset;
      if (shorter && (pos.fingerprint_len == 0 || info->size < pos.fingerprint_len)) continue;
      std::unique_ptr<Source> src = OpenFile(c);
      uint64_t fp = 0;
      if (src && Fingerprint(src->file.get(), info->size, pos.fingerprint_len, &fp).ok() &&
          fp == pos.fingerprint) {
        found = std::move(src);
        found_name = c;
        if (shorter) cut_to = info->size;
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
      AddRestoreNote(is_current, "the file read to byte " + std::to_string(pos.offset) +
                                     " is gone (replaced while stopped)");
      continue;
    }
    if (cut_to >= 0) {
      warning_ += (warning_.empty() ? "" : "; ") + found_name + ": " +
                  ResumeCutShort(found.get(), cut_to, pos.offset);
      AddRestoreNote(is_current, found_name + " on from its end, byte " + std::to_string(cut_to) +
                                     " (shorter than the " + std::to_string(pos.offset) +
                                     " bytes read)");
    } else {
      AddRestoreNote(is_current, found_name + " on from byte " + std::to_string(pos.offset));
      ResumeAt(found.get(), pos, found_name);
    }
    if (at_path.ok() && at_path->id == found->id && !current_) {
      current_ = std::move(found);
    } else {
      found->last_growth = now;
      draining_.push_back(std::move(found));
    }
  }
  // What the checkpoint had seen stays seen, also when none of its files is
  // found: the next checkpoint must not know less.
  if (!restore_.empty()) newest_mtime_ = std::max(newest_mtime_, restore_.back().newest_mtime_ns);
  if (empty_rotated_saved && current_rotated_at == 0 && !restore_.empty())
    current_rotated_at = restore_.back().newest_mtime_ns;
  restore_.clear();
  // Rotated more than once while stopped: the files modified after the newest
  // write the checkpoint had seen, and rotated away since (mail.log.1 when the
  // saved file is now mail.log.2.gz) were never read: all of them, oldest
  // first. By modification time, which rename and gzip keep, so older
  // generations (mail.log.3.gz) are never read again whatever the naming.
  if (current_rotated_at != 0) {
    for (auto& [name, src] : UnreadRotated(candidates, current_rotated_at,
                                           at_path.ok() ? &at_path->id : nullptr, now)) {
      ++counters_.rotated_while_stopped;
      AddRestoreNote(false, name + " whole (rotated in and out while stopped)");
      draining_.push_back(std::move(src));
    }
  }
  // Whatever has the name now and was not saved arrived while we were stopped:
  // all of it is new.
  if (!current_) {
    current_ = OpenFile(path_);
    if (current_) {
      current_->Reset(0);
      AddRestoreNote(true, path_ + " from its start (new since)");
    }
  }
}

void FileStream::ResumeAt(Source* src, const StreamPosition& pos, const std::string& name) {
  src->Reset(pos.offset);
  // The bytes before the offset, read once (a .gz is decompressed up to the
  // offset once, and read on forward from there).
  char tail[64];
  const auto n = static_cast<size_t>(std::clamp<int64_t>(pos.offset, 0, sizeof tail));
  auto got = ReadUpTo(src->file.get(), pos.offset - static_cast<int64_t>(n), tail, n);
  if (n == 0 || !got.ok() || *got != n) return;
  // Saved in the middle of a line (a first start at a line being written, the
  // rest of an overlong line being skipped): on from the next newline, as the
  // reader would have gone (helper-147: half a line was handed on).
  if (tail[n - 1] != '\n') src->lines.StartMidLine();
  if (pos.tail_len == 0 ||
      (pos.tail_len == n && Fnv1a64(std::string_view(tail, n)) == pos.tail_hash))
    return;
  // Cut below what was read and written again past it while stopped (a crash
  // lost its unsynced end, then the log grew at boot; also when compressed
  // since): where the cut was is not known. On from here, and said: reading
  // it again from its start would make every record before the cut twice.
  ++counters_.cut_short;
  warning_ += (warning_.empty() ? "" : "; ") + name + ": the bytes before byte " +
              std::to_string(pos.offset) +
              " are not those read before the restart: its end was cut and written again while "
              "the agent was stopped (a crash?); on from there, lines written between the cut "
              "and byte " +
              std::to_string(pos.offset) + ", if any, are skipped";
}

void FileStream::AddRestoreNote(bool current, const std::string& note) {
  // What is done with the current file first: a long note is cut at its end
  // (helper-135 finding 6: after many rotations it was the part cut).
  std::string& to = current ? restore_note_ : restore_note_rotated_;
  to += (to.empty() ? "" : "; ") + note;
}

std::string FileStream::TakeRestoreNote() {
  std::string note = std::exchange(restore_note_, {});
  if (!restore_note_rotated_.empty())
    note += (note.empty() ? "" : "; ") + std::exchange(restore_note_rotated_, {});
  return note;
}

}  // namespace mailtrail
