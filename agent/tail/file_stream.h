// FileStream: one log path as one endless stream of lines, whatever happens to
// the files behind it (the model of mtail's filestream and Vector's file source).
//
// Poll() reads what is new and handles:
//  - rename rotation (logrotate create, `postfix logrotate`) and symlink swaps:
//    the path names another file -> it is opened at once, the old one is
//    drained first, then the new one is read from its start. Files rotated in
//    and out between two polls (logrotate run twice while the agent works
//    through a backlog) are found beside the path, as at a restart, and read
//    whole in between (UnreadRotated);
//  - copytruncate: the file got shorter than what was read (or its first bytes
//    changed) -> its copy beside it (same first bytes, another inode) is read
//    on from where we stood, then the file from 0. Across a restart the copy
//    is found the same way and resumed at the checkpoint;
//  - delete + recreate: like a rename.
// After a rotation the old file stays open and is still read until it has not
// grown for `rotate_wait` (a syslog daemon may write to it until it reopens its
// log), and only then is its unterminated last line, if any, handed on. Keeping
// it open also keeps its inode number from being reused meanwhile.
// Files are identified by (dev, inode) plus a fingerprint of their first bytes,
// which also catches a reused inode across a restart (RestoreTo()).
// Lines are cut by agent/lines' LineSplitter, as the replay's LineReader cuts
// them: partial lines wait for their newline; a line longer than max_line is
// cut, its head emitted once with `overlong` set, the rest skipped; CRLF ends a
// line. A .gz file is read through agent/lines' GzipReader.
//
// Threading: one owner thread. Time: none (the caller decides when to poll).
// SECURITY: line bytes are untrusted and handed on unchanged; nothing here
// interprets them.
#ifndef MAILTRAIL_AGENT_TAIL_FILE_STREAM_H_
#define MAILTRAIL_AGENT_TAIL_FILE_STREAM_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/lines/line_splitter.h"
#include "base/civil_time.h"
#include "base/file_system.h"
#include "base/status.h"

namespace mailtrail {

struct TailLine {
  std::string_view bytes;  // without the newline; valid during the callback only
  int64_t offset = 0;      // of the line's first byte in its file
  bool overlong = false;   // cut at max_line
};

class LineHandler {
 public:
  virtual ~LineHandler() = default;
  virtual void OnLine(const TailLine& line) = 0;
};

// Where a stream stands: enough to resume exactly after a restart.
struct StreamPosition {
  FileId id;
  uint64_t fingerprint = 0;  // of the first fingerprint_len bytes
  uint32_t fingerprint_len = 0;
  int64_t offset = 0;  // just after the last line handed on
  // The newest modification time of any of the stream's files seen so far (set
  // on the current file's position): a file rotated away while the agent was
  // stopped and modified after this was never read.
  int64_t newest_mtime_ns = 0;
  // Of the tail_len (at most 64) bytes just before `offset` (0: not known, a
  // .gz, a checkpoint from before 2026-12-07). A log cut below what was read
  // (a crash lost its unsynced end) and written again past it while the agent
  // was stopped begins as it did and is long enough: only these bytes tell.
  uint64_t tail_hash = 0;
  uint32_t tail_len = 0;
};

struct FileStreamOptions {
  size_t max_line = 64 * 1024;
  size_t read_chunk = 1 << 20;
  uint32_t fingerprint_bytes = 256;
  bool start_at_end = true;  // first start without a saved position
  TimeUs rotate_wait = 5 * kUsPerSecond;
};

struct FileStreamCounters {
  int64_t lines = 0, bytes = 0, rotations = 0, truncations = 0, overlong = 0,
          replaced_while_stopped = 0,
          rotated_while_stopped = 0,  // whole files read that rotated in and out while stopped
      rotated_between_polls = 0,      // the same while running, between two polls
      copies_resumed = 0,             // copytruncate: the copy read on from where we stood
      cut_short = 0;                  // the same file shorter than what was read: its end was lost
};

class FileStream {
 public:
  FileStream(std::string path, FileSystem* fs, FileStreamOptions options = {});
  ~FileStream();

  // Resume from saved positions at the first Poll() (call before it): the files
  // are found by inode and fingerprint at the path or beside it (mail.log.1,
  // mail.log-20261127...), so a file rotated while the agent was stopped is
  // finished before the new one is read from its start; files rotated in and
  // out meanwhile (two rotations or more: mail.log.1 when the saved file is
  // now mail.log.2.gz) are read whole in between, oldest first.
  void RestoreTo(const std::vector<StreamPosition>& saved);
  void RestoreTo(const StreamPosition& pos) { RestoreTo(std::vector<StreamPosition>{pos}); }

  // Hands every new complete line to `handler`, at most `max_lines` (the rest
  // waits for the next call: backpressure). Returns how many were handed on.
  // A missing path is not an error: the stream waits for it. Only what the
  // path holds at the first poll is history (start_at_end skips it, also once
  // a file there that could not be opened can be): a file that appears
  // later is read from its start. `now` (monotonic)
  // only times how long rotated files are still read.
  StatusOr<size_t> Poll(TimeUs now, LineHandler* handler, size_t max_lines = SIZE_MAX);

  // After the last line handed on, for a checkpoint stored with its records:
  // rotated files still being drained first, the current file last (an empty
  // position while the path is missing: a restart reads what comes there
  // from its start). Empty before the first Poll() without a restore.
  std::vector<StreamPosition> positions() const;
  // The current file's (the last of positions()).
  StreamPosition position() const;
  // Rotated files still open.
  size_t draining() const { return draining_.size(); }
  // Bytes written to the open files and not read yet.
  int64_t backlog_bytes() const;
  const FileStreamCounters& counters() const { return counters_; }
  // What the first Poll() after RestoreTo() did, for the log, the current
  // file first ("/var/log/mail.log from its start (new since);
  // /var/log/mail.log.1 on from byte 4096"); empty afterwards and without a
  // restore. File names are untrusted text.
  std::string TakeRestoreNote();
  // What the agent says as a warning, once, while running: the file lost its
  // end (cut short below what was read). Empty when nothing happened.
  std::string TakeWarning() { return std::exchange(warning_, {}); }
  const std::string& path() const { return path_; }

 private:
  struct Source;
  std::unique_ptr<Source> OpenPath(bool first);
  std::unique_ptr<Source> OpenFile(const std::string& path);
  StreamPosition PositionOf(const Source& src) const;
  // PositionOf with the tail hash, for a checkpoint.
  StreamPosition Saved(const Source& src) const;
  // The hash of the (up to 64) bytes before `offset` of `file`; false if unread.
  static bool TailOf(ReadableFile* file, int64_t offset, uint64_t* hash, uint32_t* len);
  // Finds each saved file again (by inode and fingerprint, or among .gz files by
  // the fingerprint of their decompressed start).
  void Restore(TimeUs now);
  void AddRestoreNote(bool current, const std::string& note);
  // The same file, shorter than `read` bytes (a crash lost its unsynced end):
  // on from its end `size`, past its torn last line. Reading it again from
  // its start would make every record in it twice (helper-135).
  std::string ResumeCutShort(Source* src, int64_t size, int64_t read);
  // Resumes `src` at `pos`: past the line it stands in when that is the middle
  // of one, and with a warning when the bytes before it are not those read
  // (pos.tail_hash): cut and written again past it while stopped.
  void ResumeAt(Source* src, const StreamPosition& pos, const std::string& name);
  // A .gz file as a source, fingerprinted over its decompressed start.
  std::unique_ptr<Source> OpenCompressed(const std::string& path, uint32_t fingerprint_len);
  std::unique_ptr<Source> FindCompressed(const std::vector<std::string>& candidates,
                                         const StreamPosition& pos, std::string* name);
  void FollowName(TimeUs now);
  // The rotated files beside the path (mail.log.1, mail.log-20261127.gz)
  // modified at or after `since` and never read: rotated in and out unseen,
  // oldest first, each ready to be read from its start. Not the file at the
  // path (`at_path`), nor one being read or read already, nor a copy or the .gz of one.
  using NamedSource = std::pair<std::string, std::unique_ptr<Source>>;
  std::vector<NamedSource> UnreadRotated(const std::vector<std::string>& candidates, int64_t since,
                                         const FileId* at_path, TimeUs now);
  // Whether the file `name` (plain or .gz) begins as a file being read or
  // read already: its copy or its compressed form.
  bool BeginsAsAFileRead(const std::string& name);
  // Truncated: start over at 0; the current file's copy, if any, is drained first.
  Status CheckTruncated(Source* src, TimeUs now);
  // The path and the names beside it a rotated file may have (mail.log.1, ...).
  std::vector<std::string> Candidates() const;
  // A plain copy of the saved file under another inode (copytruncate); a
  // compressed one is found by FindCompressed.
  std::unique_ptr<Source> FindCopy(const std::vector<std::string>& candidates,
                                   const StreamPosition& pos, std::string* name);
  // Whether `pos`'s fingerprint can tell its copy: it covers what was read (or
  // its full length), or, nothing read yet, at least kMinUnreadFingerprint
  // bytes. A few bytes shared by chance ("Nov 27 ") prove nothing.
  bool TellsItsCopy(const StreamPosition& pos) const;
  static constexpr int64_t kMinUnreadFingerprint = 64;
  // A file being read or read already (nobody's copy): `id` is the inode of
  // `name`.
  bool ReadAlready(const FileId& id, const std::string& name);
  // The fingerprint of the first `len` bytes of `name` (decompressed for a .gz).
  bool StartOf(const std::string& name, uint32_t len, uint64_t* fp);
  Status Fingerprint(ReadableFile* file, int64_t size, uint32_t len, uint64_t* fp);
  // Whether the first bytes still match the fingerprint (extending a short one).
  bool SameStart(Source* src, int64_t size);
  // Makes the fingerprint cover what was read of `src` (up to its full length).
  void ExtendFingerprint(Source* src);
  // Reads `src` to its end; false when max_lines stopped it early.
  StatusOr<bool> Drain(Source* src, LineHandler* handler, size_t max_lines, size_t* emitted);
  void Emit(LineHandler* handler, const SplitLine& line);
  void FlushPartial(Source* src, LineHandler* handler, size_t* emitted);

  std::string path_;
  FileSystem* fs_;
  FileStreamOptions options_;
  FileStreamCounters counters_;
  std::unique_ptr<Source> current_;
  std::vector<std::unique_ptr<Source>> draining_;  // rotated away, still read
  // Rotated away and read to their end, last written when the newest write
  // seen was (positions() says why).
  struct Finished {
    StreamPosition position;
    int64_t mtime_ns;
  };
  std::vector<Finished> finished_;
  // Files finished longer ago, the last kReadBefore, by their start only
  // (BeginsAsAFileRead): not in the checkpoint.
  std::vector<StreamPosition> read_before_;
  static constexpr size_t kReadBefore = 64;
  bool started_ = false;
  std::vector<StreamPosition> restore_;
  std::string restore_note_, restore_note_rotated_;  // the current file's, the others
  std::string warning_;
  std::vector<char> buf_;
  // Of the stat before each read, never after it: whatever was written since
  // is later (or in the same tick), so a file rotated away with it counts as
  // unread after a restart.
  // When a file was last written, as far as the kernel's clock says: its
  // mtime, unless set past its ctime (`touch -d +1h`), which would raise
  // newest_mtime_ into the future and hide every file rotated past us until
  // the clock got there (helper-145 C).
  static int64_t WrittenAt(const FileInfo& info) {
    return info.ctime_ns > 0 ? std::min(info.mtime_ns, info.ctime_ns) : info.mtime_ns;
  }
  void Seen(const FileInfo& info) { newest_mtime_ = std::max(newest_mtime_, WrittenAt(info)); }
  int64_t newest_mtime_ = 0;                   // see StreamPosition::newest_mtime_ns
  TimeUs missing_scanned_at_ = INT64_MIN / 2;  // FollowName's last scan while the path was missing
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TAIL_FILE_STREAM_H_
