#include "agent/journal/journal_reader.h"

#include <systemd/sd-journal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>

#include "parsers/line_parser.h"

namespace mailtrail {

namespace {

// As FileStream's max_line: a longer line is cut and counted, not parsed.
constexpr size_t kMaxLine = 64 * 1024;
// Entries examined per Poll at most, matching or not: a busy journal of other
// services' messages does not hold the event loop.
constexpr size_t kEntriesPerLine = 50;

Status Error(const std::string& what, int r) {
  return Status::IoError("journal: " + what + ": " + std::strerror(-r));
}

bool FieldNameChar(char c, bool first) {
  return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

// "2026-11-27T12:03:25.123456+00:00", as rsyslog's RFC 3339 template writes.
void AppendStamp(TimeUs t, std::string* out) {
  const time_t secs = static_cast<time_t>(t / kUsPerSecond);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(t % kUsPerSecond));
  out->append(buf);
}

}  // namespace

bool ValidJournalMatch(const std::string& rule) {
  const size_t eq = rule.find('=');
  if (eq == 0 || eq == std::string::npos || eq > 64) return false;
  for (size_t i = 0; i < eq; ++i)
    if (!FieldNameChar(rule[i], i == 0)) return false;
  return true;
}

StatusOr<std::unique_ptr<JournalReader>> JournalReader::Open(const JournalSource& source) {
  std::unique_ptr<JournalReader> r(new JournalReader());
  int rc;
  if (!source.directories.empty()) {
    if (source.directories.size() > 1 || !source.files.empty())
      return Status::InvalidArgument("journal: one directory, or files, not both");
    r->name_ = source.directories[0];
    rc = sd_journal_open_directory(&r->j_, source.directories[0].c_str(), 0);
  } else if (!source.files.empty()) {
    std::vector<const char*> paths;
    for (const auto& f : source.files) paths.push_back(f.c_str());
    paths.push_back(nullptr);
    r->name_ = source.files.size() == 1 ? source.files[0] : "the journal files";
    rc = sd_journal_open_files(&r->j_, paths.data(), 0);
  } else {
    r->name_ = "the system journal";
    rc = sd_journal_open(&r->j_, SD_JOURNAL_LOCAL_ONLY);
  }
  if (rc < 0) return Error("opening " + r->name_, rc);
  r->default_filter_ = source.matches.empty();
  if (source.writers) {
    r->writers_ = *source.writers;
    std::sort(r->writers_->begin(), r->writers_->end());
  }
  for (const std::string& m : source.matches) {
    if (!ValidJournalMatch(m))
      return Status::InvalidArgument("journal match must be FIELD=VALUE (FIELD in capitals): " + m);
    const size_t eq = m.find('=');
    if (!m.empty() && m.back() == '*') {
      r->prefix_rules_.push_back({m.substr(0, eq), m.substr(eq + 1, m.size() - eq - 2)});
    } else if ((rc = sd_journal_add_match(r->j_, m.data(), m.size())) < 0) {
      return Error("match " + m, rc);
    }
  }
  // Inotify on the directories: new files and entries are seen by
  // sd_journal_process() at the next Poll. Files opened by name are not
  // watched for changes: their new entries are read all the same, new files
  // are not looked for.
  r->watching_ = sd_journal_get_fd(r->j_) >= 0;
  return r;
}

JournalReader::~JournalReader() {
  if (j_) sd_journal_close(j_);
}

Status JournalReader::SeekHead() {
  current_unread_ = false;
  waits_ = 0;
  const int rc = sd_journal_seek_head(j_);
  return rc < 0 ? Error("seeking its head", rc) : Status::Ok();
}

Status JournalReader::SeekTime(TimeUs t) {
  current_unread_ = false;
  waits_ = 0;
  const int rc = sd_journal_seek_realtime_usec(j_, static_cast<uint64_t>(t));
  return rc < 0 ? Error("seeking a time", rc) : Status::Ok();
}

Status JournalReader::SeekTail() {
  current_unread_ = false;
  waits_ = 0;
  int rc = sd_journal_seek_tail(j_);
  if (rc < 0) return Error("seeking its tail", rc);
  // On the newest entry (if any), so that its cursor is the position now and
  // the next entry read is the first one written after it.
  rc = sd_journal_previous(j_);
  if (rc < 0) return Error("seeking its tail", rc);
  if (rc > 0) {
    char* c = nullptr;
    if ((rc = sd_journal_get_cursor(j_, &c)) < 0) return Error("reading a cursor", rc);
    cursor_ = c;
    std::free(c);
  }
  return Status::Ok();
}

Status JournalReader::SeekAfter(const std::string& cursor) {
  current_unread_ = false;
  waits_ = 0;
  int rc = sd_journal_seek_cursor(j_, cursor.c_str());
  if (rc < 0) return Error("seeking the saved cursor", rc);
  cursor_ = cursor;
  // The cursor's realtime ("t=HEX"): the seek finds the entry by its sequence
  // number only in files of its own sequence (journald's files share one;
  // systemd-journal-remote's each have their own), in the others by time, and
  // so lands on the first entry of the cursor's second there. Every entry up
  // to the cursor's own was read: step over them. If the cursor's entry is
  // gone (vacuumed), the first entry later than its second is the next.
  uint64_t t_cursor = 0;
  if (const size_t t = cursor.find(";t="); t != std::string::npos)
    t_cursor = std::strtoull(cursor.c_str() + t + 3, nullptr, 16);
  for (;;) {
    rc = sd_journal_next(j_);
    if (rc < 0) return Error("seeking the saved cursor", rc);
    if (rc == 0) return Status::Ok();  // at the end: what comes next is new
    if (sd_journal_test_cursor(j_, cursor.c_str()) > 0) return Status::Ok();
    uint64_t t = 0;
    if ((rc = sd_journal_get_realtime_usec(j_, &t)) < 0) return Error("reading a time stamp", rc);
    if (t > t_cursor) {
      current_unread_ = true;
      return Status::Ok();
    }
  }
}

bool JournalReader::Field(const char* name, std::string* value) {
  const void* data;
  size_t len;
  if (sd_journal_get_data(j_, name, &data, &len) < 0) return false;
  const size_t skip = std::strlen(name) + 1;  // "NAME="
  if (len < skip) return false;
  value->assign(static_cast<const char*>(data) + skip, len - skip);
  return true;
}

bool JournalReader::Matches() {
  if (default_filter_) {
    if (Field("SYSLOG_IDENTIFIER", &field_) && field_.rfind("postfix", 0) == 0) return true;
    return Field("SYSLOG_FACILITY", &field_) && field_ == "2";
  }
  // Alternatives within one field, every field matching.
  std::map<std::string, bool> by_field;
  for (const Rule& r : prefix_rules_) {
    bool& ok = by_field[r.field];
    if (!ok && Field(r.field.c_str(), &field_) && field_.rfind(r.prefix, 0) == 0) ok = true;
  }
  for (const auto& [field, ok] : by_field)
    if (!ok) return false;
  return true;
}

namespace {
// A host or program name as one token of the envelope: whatever would end it
// early or start the next part (a space, ':', '[', ']', control bytes) becomes
// '_'. Any client may write any field to the journal (sd_journal_send), so an
// identifier must not be able to carry a second tag or a message.
void AppendToken(std::string_view value, std::string* out) {
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    out->push_back(u <= ' ' || u == 0x7f || c == ':' || c == '[' || c == ']' ? '_' : c);
  }
}
bool AllDigits(const std::string& s) {
  if (s.empty() || s.size() > 10) return false;
  for (const char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
}  // namespace

// journald strips a syslog message's trailing whitespace and keeps the
// datagram as it came in SYSLOG_RAW. Postfix cuts its lines at 2000 bytes: a
// cut falling on spaces inside a quoted address came out shorter, no longer
// known as cut, and the trailer a sender forged before the spaces was read
// (helper-119 N4). The whitespace after MESSAGE in the raw datagram is put
// back; nothing else of it is taken (any client may set the field: at most
// it makes a line look cut, which drops its trailer).
void JournalReader::TakeBackStrippedSpace() {
  if (!Field("SYSLOG_RAW", &raw_) || raw_.size() <= field_.size() || field_.empty()) return;
  const size_t at = raw_.rfind(field_);
  if (at == std::string::npos) return;
  const size_t end = at + field_.size();
  for (size_t i = end; i < raw_.size(); ++i)
    if (raw_[i] != ' ' && raw_[i] != '\t' && raw_[i] != '\n' && raw_[i] != '\r') return;
  field_.append(raw_, end, std::string::npos);
  // The datagram's own line end is not Postfix's text.
  while (!field_.empty() && (field_.back() == '\n' || field_.back() == '\r')) field_.pop_back();
}

bool JournalReader::BuildLine(TimeUs realtime) {
  line_.clear();
  AppendStamp(realtime, &line_);
  line_ += ' ';
  if (Field("_HOSTNAME", &field_) && !field_.empty())
    AppendToken(field_, &line_);
  else
    line_ += "localhost";
  line_ += ' ';
  bool complete = true;
  bool postfix = false;
  const size_t program_at = line_.size();
  if (Field("SYSLOG_IDENTIFIER", &field_) && !field_.empty()) {
    postfix = field_.rfind("postfix", 0) == 0;
    AppendToken(field_, &line_);
  } else {
    complete = false;  // every syslog message has one
    if (Field("_COMM", &field_) && !field_.empty())
      AppendToken(field_, &line_);
    else
      line_ += "unknown";
  }
  program_.assign(line_, program_at);
  // journald gives every entry it receives a _UID: one without may still be
  // being linked (Poll).
  checked_ = writers_ && LinesCanChangeRecords(program_);
  if (checked_ && !Field("_UID", &field_)) complete = false;
  if ((Field("SYSLOG_PID", &field_) && AllDigits(field_)) ||
      (Field("_PID", &field_) && AllDigits(field_))) {
    line_ += '[';
    line_ += field_;
    line_ += ']';
  } else if (postfix) {
    complete = false;  // Postfix logs with LOG_PID: its lines always have one
  }
  line_ += ": ";
  if (!Field("MESSAGE", &field_)) return false;
  TakeBackStrippedSpace();
  for (char& c : field_)
    if (c == '\n' || c == '\r') c = ' ';
  line_ += field_;
  return complete;
}

bool JournalReader::WriterAllowed() {
  if (!checked_) return true;
  uint64_t uid = UINT64_MAX;
  if (Field("_UID", &field_) && AllDigits(field_)) uid = std::strtoull(field_.c_str(), nullptr, 10);
  if (uid <= UINT32_MAX &&
      std::binary_search(writers_->begin(), writers_->end(), static_cast<uint32_t>(uid)))
    return true;
  ++counters_.refused;
  counters_.last_refused =
      (uid == UINT64_MAX ? std::string("no _UID") : "uid " + std::to_string(uid)) + ", " + program_;
  if (Field("SYSLOG_PID", &field_) && AllDigits(field_))
    counters_.last_refused += "[" + field_ + "]";
  return false;
}

Status JournalReader::KeepCursor() {
  if (!keep_cursor_) return Status::Ok();
  char* c = nullptr;
  if (const int rc = sd_journal_get_cursor(j_, &c); rc < 0) return Error("reading a cursor", rc);
  cursor_ = c;
  std::free(c);
  return Status::Ok();
}

StatusOr<bool> JournalReader::Wait(TimeUs timeout) {
  if (!watching_) return Status::Unavailable("journal: " + name_ + " is not watched");
  const int rc = sd_journal_wait(j_, static_cast<uint64_t>(std::max<TimeUs>(timeout, 0)));
  if (rc < 0) return Error("waiting on " + name_, rc);
  return rc != SD_JOURNAL_NOP;
}

StatusOr<bool> JournalReader::IsNewest() {
  char* c = nullptr;
  int rc = sd_journal_get_cursor(j_, &c);
  if (rc < 0) return Error("reading a cursor", rc);
  const std::string here = c;
  std::free(c);
  if ((rc = sd_journal_next(j_)) < 0) return Error("reading " + name_, rc);
  if (rc == 0) return true;  // still on it (sd_journal_next moves only to an entry)
  // Back: one step, or by its cursor should another file have put an entry
  // between the two meanwhile.
  rc = sd_journal_previous(j_);
  if (rc > 0 && sd_journal_test_cursor(j_, here.c_str()) > 0) return false;
  if ((rc = sd_journal_seek_cursor(j_, here.c_str())) < 0 || (rc = sd_journal_next(j_)) < 0)
    return Error("finding the entry being read again", rc);
  if (sd_journal_test_cursor(j_, here.c_str()) <= 0)
    return Status::IoError("journal: the entry being read is gone from " + name_);
  return false;
}

bool JournalReader::WaitedEnough() const {
  if (waits_ < kWaitPolls) return false;
  return clock_ == nullptr || clock_->MonotonicNow() - first_wait_ >= kWaitTime;
}

Status JournalReader::Reposition() {
  if (!keep_cursor_) return Status::IoError("journal: no cursor kept to read on from");
  const int waits = waits_;
  const TimeUs first_wait = first_wait_;
  Status st = cursor_.empty() ? SeekHead() : SeekAfter(cursor_);
  waits_ = waits;
  first_wait_ = first_wait;
  return st;
}

StatusOr<size_t> JournalReader::Poll(LineHandler* handler, size_t max_lines, TimeUs until) {
  int rc = watching_ ? sd_journal_process(j_) : 0;
  if (rc < 0) return Error("following " + name_, rc);
  // Files came or went (a rotation renames the active file): an entry left
  // unread is found again after the last one taken.
  if (rc == SD_JOURNAL_INVALIDATE && current_unread_ && keep_cursor_) {
    if (Status st = Reposition(); !st.ok()) return st;
  }
  size_t lines = 0, examined = 0;
  const size_t max_examined = max_lines * kEntriesPerLine;
  bool repositioned = false;
  while (lines < max_lines && examined < max_examined) {
    const bool resumed = current_unread_;
    if (current_unread_) {
      current_unread_ = false;
    } else {
      rc = sd_journal_next(j_);
      if (rc < 0) return Error("reading " + name_, rc);
      if (rc == 0) break;
    }
    uint64_t realtime = 0;
    rc = sd_journal_get_realtime_usec(j_, &realtime);
    if (rc == -EADDRNOTAVAIL && resumed && !repositioned && keep_cursor_) {
      repositioned = true;  // its file went away under it (above)
      if (Status st = Reposition(); !st.ok()) return st;
      continue;
    }
    if (rc < 0) return Error("reading a time stamp", rc);
    if (until != 0 && static_cast<TimeUs>(realtime) > until) {
      current_unread_ = true;  // left for a later, wider read
      break;
    }
    ++examined;
    if (!Matches()) {
      if (Status st = KeepCursor(); !st.ok()) return st;
      ++counters_.entries;
      waits_ = 0;
      continue;
    }
    bool whole = BuildLine(static_cast<TimeUs>(realtime));
    if (!whole) {
      // A field it must have did not read (the header says why). An entry
      // with a later one after it was written whole before that one: read
      // again, it is what it is. The newest may still be being written.
      auto newest = IsNewest();
      if (!newest.ok()) return newest.status();
      if (*newest && !WaitedEnough()) {
        if (waits_++ == 0 && clock_) first_wait_ = clock_->MonotonicNow();
        ++counters_.waits;
        current_unread_ = true;
        break;
      }
      whole = !*newest && BuildLine(static_cast<TimeUs>(realtime));
      if (whole) ++counters_.completed;
    }
    waits_ = 0;
    if (Status st = KeepCursor(); !st.ok()) return st;
    ++counters_.entries;
    if (!WriterAllowed()) continue;
    if (!whole) ++counters_.incomplete;
    TailLine line;
    line.overlong = line_.size() > kMaxLine;
    line.bytes = std::string_view(line_).substr(0, kMaxLine);
    handler->OnLine(line);
    ++lines;
    ++counters_.lines;
  }
  return lines;
}

}  // namespace mailtrail
