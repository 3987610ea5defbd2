// Blocks as Postfix tables, each written whole to a temporary file in the same
// directory and renamed over the old one (never a partial table, also after a
// crash in the middle).
// - AccessMapAction: a check_client_access table of the blocked IPs (and CIDRs
//   on octet boundaries, as access(5) matches "1.2.3"), built with postmap into
//   lmdb: or hash: — smtpd notices a changed table by itself, no reload.
// - HeaderChecksAction: a pcre: header_checks table, one line per blocked
//   subject (HeaderChecksLine: the whole subject, case as written), every
//   regex metacharacter escaped, answered with REJECT (550; the
//   policy reply does not apply); Postfix reads it at reload, so
//   `postfix reload` follows a change, at most once per reload_interval. A
//   reload restarts qmgr (mail in delivery waits for the next queue run), so
//   an agent that starts and finds the table as it should be, reloaded since
//   it was written (the PATH.reloaded stamp), neither writes nor reloads.
// Keys are validated (IpAddress/Cidr) and replies fixed by the configuration.
#ifndef MAILTRAIL_ACTIONS_POSTFIX_POSTFIX_TABLES_H_
#define MAILTRAIL_ACTIONS_POSTFIX_POSTFIX_TABLES_H_

#include <string>

#include "actions/action.h"

namespace mailtrail {

struct PostfixTableOptions {
  std::string path;           // the table's source file; lmdb/hash add .lmdb/.db
  std::string type = "lmdb";  // access map: lmdb | hash
  std::string reply;          // e.g. "450 4.7.1 Service temporarily unavailable"
  std::string config_dir = "/etc/postfix";
  std::string postmap = "/usr/sbin/postmap";
  std::string postfix = "/usr/sbin/postfix";
  TimeUs reload_interval = 60 * kUsPerSecond;  // header_checks: reloads at most this often
  bool reload = true;                          // header_checks: run `postfix reload`
  // postmap and `postfix reload` run on the agent's loop: one that hangs is
  // stopped after this, and the table is retried as any failure is (two of
  // them stay within systemd's 30 s watchdog).
  int tool_timeout_ms = 10000;
  // header_checks: subjects never refused ([blocks] allow_subjects as
  // written). A block's line that would refuse one is not written: the line
  // of a subject seen as '?'s or cut matches subjects of other keys
  // ("R??ckl??ufer" matches "Rückläufer", helper-152 F5).
  std::vector<std::string> protected_subjects;
};

class AccessMapAction : public Action {
 public:
  explicit AccessMapAction(PostfixTableOptions o) : o_(std::move(o)) {}
  const char* name() const override { return "access map"; }
  Status Apply(const DesiredBlocks& desired, TimeUs now) override;
  // The table's text for `desired` (pure; for tests).
  std::string Render(const DesiredBlocks& desired, int* skipped) const;

 private:
  PostfixTableOptions o_;
  TimeUs last_build_ = -1;  // at most one rebuild per second
};

// The action of every header_checks line.
extern const char* const kHeaderChecksAction;

class HeaderChecksAction : public Action {
 public:
  explicit HeaderChecksAction(PostfixTableOptions o) : o_(std::move(o)) {}
  const char* name() const override { return "header_checks"; }
  Status Apply(const DesiredBlocks& desired, TimeUs now) override;
  std::string Render(const DesiredBlocks& desired) const;

 private:
  bool RefusesAProtectedSubject(const std::string& line) const;
  PostfixTableOptions o_;
  std::string written_;  // the content in place
  bool reload_due_ = false;
  bool started_ = false;  // the table on disk was looked at (first Apply)
  TimeUs last_reload_ = -1;
};

// `text` as a PCRE literal inside /.../: every metacharacter and the delimiter
// escaped, control bytes as \xHH.
std::string PcreEscape(const std::string& text);

// Postfix logs at most 200 bytes of a header ("Subject: " and 191 of its text,
// cleanup_act_log's "%.200s"): a subject seen that long may have been cut.
constexpr size_t kLoggedSubjectMax = 191;

// The header_checks line for one subject as Postfix logged it (untrusted:
// every metacharacter escaped, whitespace and line breaks only ever become
// [[:space:]]+, so one subject is always one line). It matches a Subject:
// header (the name in any case) whose text is exactly this subject: the same
// characters in the same case (the trailing `i` flag turns off pcre tables'
// default case-blindness), any run of digits where it has a number (a word
// the normalised subject counts as "#": with letters in it, as many digits
// or more; a word with fewer digits keeps them as written), any whitespace or line fold
// where it has whitespace (but inside a B-encoded word: base64 as written),
// a '?' or what Postfix logs as one (a line break, a tab, an 8-bit byte),
// whitespace allowed at both ends. A subject of kLoggedSubjectMax bytes or
// more may be cut in the log: matched as a prefix (`exact` false), with the
// whitespace it ends in required (a cut in padding would otherwise leave a
// prefix as wide as its first words). "" for a subject with nothing in it.
struct HeaderCheck {
  std::string line;
  bool exact = true;
};
HeaderCheck HeaderChecksLine(const std::string& raw_subject);
// What `check` matches, in words (for `blocks explain`).
std::string DescribeHeaderCheck(const HeaderCheck& check);

}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_POSTFIX_POSTFIX_TABLES_H_
