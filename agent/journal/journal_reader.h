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
#include <string>
#include <utility>
#include <vector>

#include "agent/tail/file_stream.h"
#include "base/civil_time.h"
#include "base/status.h"

typedef struct sd_journal sd_journal;

namespace mailtrail {

struct JournalSource {
  // All empty: the local system's journal. Otherwise these files, and the
  // journal files in these directories (new ones there are noticed).
  std::vector<std::string> files;
  std::vector<std::string> directories;
  std::vector<std::string> matches;  // "FIELD=VALUE" or "FIELD=PREFIX*"; empty: the default
};

struct JournalCounters {
  int64_t entries = 0;  // examined
  int64_t lines = 0;    // matched and handed on
  // Polls that stopped at an entry whose MESSAGE could not be read yet, and
  // entries handed on without one after kMessageWaits such Polls.
  int64_t message_waits = 0;
  int64_t without_message = 0;
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
  // A matching entry whose MESSAGE cannot be read ends the Poll, unread, and
  // is read again by the next one, up to kMessageWaits Polls; then it is
  // handed on without a message. Why: a writer (journald, journal-remote)
  // makes an entry visible before it links the entry's new data objects, and
  // sd-journal skips a data object caught in between as bad, as if the field
  // were absent. A syslog message always has a MESSAGE, and it is nearly
  // always a new object: without this wait a line read at that moment was
  // handed on empty and lost (a record short of a field, under load). The
  // writers link an entry's objects in the order they appended them, and a
  // syslog entry's own fields (SYSLOG_IDENTIFIER, SYSLOG_PID) come before its
  // MESSAGE: a new MESSAGE that reads means they are linked too. Only an
  // entry whose MESSAGE repeats an earlier one's can still show a new
  // process's SYSLOG_PID as absent (docs/install.md, "the journal").
  StatusOr<size_t> Poll(LineHandler* handler, size_t max_lines, TimeUs until = 0);
  static constexpr int kMessageWaits = 10;
  // Whether the last Poll stopped at an entry whose MESSAGE it waits for: a
  // reader that reads to the end (replay) polls again, after Wait().
  bool waiting_for_message() const { return message_waits_ > 0; }

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
  // False if the entry's MESSAGE could not be read (the line has none).
  bool BuildLine(TimeUs realtime);
  Status KeepCursor();  // the current entry's, when it is done with

  sd_journal* j_ = nullptr;
  std::string name_;
  std::vector<Rule> prefix_rules_;  // grouped by field at Open
  bool default_filter_ = false;
  bool watching_ = false;  // inotify set up (sd_journal_get_fd)
  bool keep_cursor_ = true;
  bool current_unread_ = false;  // positioned on an entry not handed on yet
  int message_waits_ = 0;        // Polls the current entry's MESSAGE was waited for
  std::string cursor_;
  std::string line_, field_;
  JournalCounters counters_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_JOURNAL_JOURNAL_READER_H_
