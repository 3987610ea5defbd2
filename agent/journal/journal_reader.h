// JournalReader: Postfix's messages from the systemd journal (sd-journal), as
// the log lines the parsers read, with the journal cursor as the position.
//
// Each entry becomes "STAMP HOST IDENT[PID]: MESSAGE", STAMP being its
// __REALTIME_TIMESTAMP in RFC 3339 with microseconds (UTC). Why a line and not
// the stamp fed to the parser beside it: the envelope parser (host, program,
// pid, the instance's syslog_name) stays the one path every input takes, and an
// RFC 3339 stamp carries its year and zone, so the journal's own time goes
// through exactly and no year or zone is guessed (parsers/envelope.cc). The
// line is what rsyslog's RFC 3339 template writes for the same message.
//
// Which entries (Matches()): without match rules, those whose SYSLOG_IDENTIFIER
// begins with "postfix" (postfix/smtpd, multi-instance postfix-out/smtpd, a
// syslog_name of postfix-...) or whose SYSLOG_FACILITY is mail (2), which is
// what rsyslog writes to mail.log (amavis, a content filter's lines). With
// rules "FIELD=VALUE": an exact value is a journal match (sd_journal_add_match:
// values of one field are alternatives, fields must all match); "FIELD=PRE*"
// matches values beginning with PRE, likewise.
//
// Who wrote an entry (JournalSource::writers): an entry whose line can change a
// record (parsers' LinesCanChangeRecords) is handed on only if its _UID is
// one of the writers; the others are counted (counters().refused) and passed
// over (journal_writers.h says why).
//
// Threading: one owner thread. Time: the entries'.
// SECURITY: field bytes are untrusted (any local client may write any field).
// MESSAGE is handed on as it is, except that line breaks become spaces (one
// entry, one line); the host and program names have spaces, ':', '[' and ']'
// replaced, and a PID that is not digits is left out, so that they cannot end
// the envelope early and forge a tag or a message.
#ifndef MAILTRAIL_AGENT_JOURNAL_JOURNAL_READER_H_
#define MAILTRAIL_AGENT_JOURNAL_JOURNAL_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/tail/file_stream.h"
#include "base/civil_time.h"
#include "base/clock.h"
#include "base/status.h"

typedef struct sd_journal sd_journal;

namespace mailtrail {

struct JournalSource {
  // All empty: the local system's journal. Otherwise these files, and the
  // journal files in these directories (new ones there are noticed).
  std::vector<std::string> files;
  std::vector<std::string> directories;
  std::vector<std::string> matches;  // "FIELD=VALUE" or "FIELD=PREFIX*"; empty: the default
  // The users (_UID) an entry whose line can change a record must come from
  // (agent/journal/journal_writers.h); nullopt: anyone.
  std::optional<std::vector<uint32_t>> writers;
};

struct JournalCounters {
  int64_t entries = 0;  // examined
  int64_t lines = 0;    // matched and handed on
  // Polls that stopped at the newest entry because a field it must have did
  // not read yet (Poll); entries that lacked one and had it when read again
  // after a later entry was there; entries handed on without it.
  int64_t waits = 0;
  int64_t completed = 0;
  int64_t incomplete = 0;
  // Entries whose lines can change a record, from a user not among the
  // writers (or without a _UID): not handed on. `last_refused` names the last
  // one: "uid 1000, postfix/smtpd[4242]" (untrusted text: escape it).
  int64_t refused = 0;
  std::string last_refused;
};

// Whether `rule` is a valid match rule (FIELD is upper case letters, digits and
// underscores, not starting with a digit, as journal fields are).
bool ValidJournalMatch(const std::string& rule);

class JournalReader {
 public:
  static StatusOr<std::unique_ptr<JournalReader>> Open(const JournalSource& source);
  ~JournalReader();

  // Where to read from (call one before the first Poll): after the entry at
  // `cursor` (that one was read; a cursor whose entry is gone reads on from the
  // next there is), from the first entry, from the first at or after `t`, or
  // only what comes after the newest entry now (whose cursor cursor() is then).
  Status SeekAfter(const std::string& cursor);
  Status SeekHead();
  Status SeekTime(TimeUs t);
  Status SeekTail();

  // Hands the lines of new matching entries to `handler`, at most max_lines;
  // entries after `until` (0: no end) are left unread. Returns how many.
  //
  // A writer (journald, journal-remote) makes an entry visible before it
  // links the entry's new data objects, one after the other; an object caught
  // between the two stores that link it is bad to sd-journal, which skips it
  // as if the field were absent. So a line read at that instant could lack
  // its MESSAGE (and was lost: the journal tests' flake under load), its
  // SYSLOG_IDENTIFIER, or a new process's PID. A matching entry that lacks
  // one of them (a PID only where the identifier begins with "postfix":
  // Postfix logs with LOG_PID; a _UID where its writer is checked) is read again: at once if a
  // later entry is there (a writer finishes an entry before it appends the next), else at the next
  // Polls, the Poll stopping before it (unread, the cursor on the entry before), until kWaitPolls
  // Polls and kWaitTime on the clock (if set) have passed; then it is handed on as it is
  // (counters().incomplete), or, without its _UID, refused. Entries that do not match are not
  // waited for: a custom match rule on a field new with the entry can pass one over
  // (docs/install.md).
  StatusOr<size_t> Poll(LineHandler* handler, size_t max_lines, TimeUs until = 0);
  static constexpr int kWaitPolls = 3;
  static constexpr TimeUs kWaitTime = kUsPerSecond;
  // Whether the last Poll stopped at the newest entry to wait for it: a
  // reader that reads to the end (replay) polls again, after Wait().
  bool waiting() const { return waits_ > 0; }
  // The clock kWaitTime is measured on (not owned); without one only Polls count.
  void set_clock(const Clock* clock) { clock_ = clock; }

  // Blocks until the journal changes (new entries or files, as inotify tells)
  // or `timeout` (real time; sd-journal takes no clock) passes: true if it
  // changed, and the next Poll reads what came. A change seen by an earlier
  // Poll is not waited for again: call it after a Poll that read nothing.
  // Files opened by name are not watched (sd-journal): for them it waits out
  // the timeout. Unavailable if sd-journal gave no inotify descriptor at Open
  // (out of descriptors or watches). The live agent does not call it: its libuv
  // loop reads on a timer (logs.poll_interval) and must not block; it could
  // watch sd_journal_get_fd() with a uv_poll instead.
  StatusOr<bool> Wait(TimeUs timeout);

  // The last entry examined (handed on or not matching): resuming after it
  // reads nothing twice and loses nothing. "" before any.
  const std::string& cursor() const { return cursor_; }
  // A reader read once (replay) need not keep the cursor (a string per entry).
  void set_keep_cursor(bool keep) { keep_cursor_ = keep; }
  const JournalCounters& counters() const { return counters_; }
  // What was opened, for messages: "the system journal", a file, a directory.
  const std::string& name() const { return name_; }

 private:
  JournalReader() = default;
  struct Rule {
    std::string field, prefix;
  };
  bool Matches();
  bool Field(const char* name, std::string* value);
  // False if a field the entry must have could not be read (Poll).
  bool BuildLine(TimeUs realtime);
  // After BuildLine: whether the entry's writer may write its line; if not,
  // counts it.
  bool WriterAllowed();
  Status KeepCursor();  // the current entry's, when it is done with
  // Whether the current entry is the newest one; if not, the reader is back
  // on it.
  StatusOr<bool> IsNewest();
  bool WaitedEnough() const;
  // Back after the last entry taken (the current one's file went away),
  // keeping the wait's count.
  Status Reposition();

  sd_journal* j_ = nullptr;
  std::string name_;
  std::vector<Rule> prefix_rules_;  // grouped by field at Open
  bool default_filter_ = false;
  std::optional<std::vector<uint32_t>> writers_;  // sorted
  bool watching_ = false;                         // inotify set up (sd_journal_get_fd)
  bool keep_cursor_ = true;
  bool current_unread_ = false;  // positioned on an entry not handed on yet
  int waits_ = 0;                // Polls the current entry was waited for
  TimeUs first_wait_ = 0;        // on clock_, when the first of them stopped
  const Clock* clock_ = nullptr;
  std::string cursor_;
  std::string line_, field_, raw_;
  // Puts back the whitespace journald stripped off MESSAGE (field_).
  void TakeBackStrippedSpace();
  std::string program_;   // the line's program token (BuildLine)
  bool checked_ = false;  // its writer is checked (BuildLine)
  JournalCounters counters_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_JOURNAL_JOURNAL_READER_H_
