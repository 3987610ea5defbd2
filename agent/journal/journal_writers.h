// Who may write Postfix's lines to the journal (docs/security.md rule 9).
//
// Any local user can log a line tagged "postfix/smtpd" (logger(1), syslog(3),
// sd_journal_send): forged smtpd, cleanup and bounce lines would make records
// of mail that never came, and a forged flood of bounces "from" a partner's
// address would have the agent block it. A log file cannot tell who wrote a
// line; the journal can: journald stores the sender's user as _UID, taken from
// the socket's credentials, which the kernel lets a process claim only for its
// own user ids. So the journal input takes the lines that can change a record
// (LinesCanChangeRecords: Postfix's daemons, amavis) only from the users named
// in `[input] journal_writers` — by default root, postfix and amavis, the users
// Postfix's daemons and amavisd-new run as — and counts and reports the others.
#ifndef MAILTRAIL_AGENT_JOURNAL_JOURNAL_WRITERS_H_
#define MAILTRAIL_AGENT_JOURNAL_JOURNAL_WRITERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailtrail {

// The default of [input] journal_writers and --journal-writer.
extern const std::vector<std::string> kDefaultJournalWriters;
// "*" (anyone: the check is off), a user name, or a numeric user id.
constexpr char kAnyJournalWriter[] = "*";

// Whether `name` is "*", a user id (digits) or a plausible user name.
bool ValidJournalWriter(const std::string& name);

struct ResolvedWriters {
  // nullopt: anyone ("*" was named). Else the user ids, sorted, unique.
  std::optional<std::vector<uint32_t>> uids;
  // What was resolved, for the agent's start message: "root (0), postfix
  // (107); amavis is no user here".
  std::string description;
  // No user at all, or a name given (not the default's amavis) that is no
  // user here: every Postfix line of theirs would be refused (helper-96).
  bool doubtful = false;
};

// Looks the names up in the user database (getpwnam_r); none: the default's. Names that are no user
// here are left out and said in the description: amavis where it is not
// installed. Numbers are taken as they are (the journal of another machine,
// whose users have other ids).
ResolvedWriters ResolveJournalWriters(const std::vector<std::string>& given);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_JOURNAL_JOURNAL_WRITERS_H_
