// ParseLine: one log line -> one Event. Pure: no I/O, no clock, no globals
// (docs/architecture.md). Bounded work per line; never fails on any input bytes.
#ifndef MAILTRAIL_PARSERS_LINE_PARSER_H_
#define MAILTRAIL_PARSERS_LINE_PARSER_H_

#include <string_view>

#include "parsers/envelope.h"
#include "parsers/event.h"

namespace mailtrail {

// Lines longer than this are not parsed (counted as unparsable by the caller).
constexpr size_t kMaxLineLength = 64 * 1024;

Event ParseLine(std::string_view line, const ParseContext& ctx);

// Whether lines of `program` (a syslog tag before "[pid]": postfix/smtpd,
// postfix-out/qmgr, amavis) can change a record: the lines of every program
// with '/' (Postfix's, any syslog_name), and amavis's, except those of the
// Postfix programs whose lines carry nothing for tracking (sendmail, postdrop,
// postqueue, postlog: they run as whoever invokes them). The journal input
// takes such lines only from the users allowed to write them
// (agent/journal/journal_writers.h, docs/security.md rule 9).
bool LinesCanChangeRecords(std::string_view program);

// Whether a line's daemon (Event::daemon) is amavisd-new, the one program
// read that is not Postfix's.
bool IsAmavis(std::string_view daemon);

// A cleanup header/body event (kHeader) whose line splits more than one way:
// the header text and the client's HELO both come before and after the
// trailer and either may imitate one (docs/security.md rule 1). Given the client that
// smtpd logged for the message, re-reads `*ev` with the rightmost split whose
// " from HOST[IP]" is that client. False (and `*ev` unchanged) when none is,
// and for a line Postfix cut (Event::cut: its trailer is not read).
bool ReparseHeaderFor(std::string_view client_ip, Event* ev);

// The scan of an amavis line that amavis split, from its last part's event
// (kAmavisPart: its envelope) and the whole message its parts make again
// (AmavisParts). Its views point into `whole`. kScan, kNoise (a
// per-recipient line), or kUnknown for a line the amavis parser refuses.
Event ParseJoinedAmavis(const Event& last_part, std::string_view whole);

// ParseLine for one input stream, with the year of yearless stamps (BSD syslog,
// maillog_file) worked out: the first dated line takes the year of a reference
// moment (a file's mtime, the clock), or the year before when its month is later
// than the reference's (a log is not written in the future); after that the
// year advances when the month goes from December to January. Lines that carry
// their year (RFC 3339) are left alone. Pure: the reference is given.
class DatedLineParser {
 public:
  DatedLineParser(int utc_offset_seconds, int ref_year, int ref_month);
  // The year is known (given by the user, or restored): no guess.
  static DatedLineParser WithYear(int utc_offset_seconds, int year);
  // Where a parser stood (year, last_month(), last_time()), restored after a
  // restart: a January line then still moves a December year on, and a
  // December straggler stays last year's.
  static DatedLineParser Resume(int utc_offset_seconds, int year, int last_month, TimeUs last_time);

  Event Parse(std::string_view line);
  // A December line this far behind the January line before it is last
  // year's: a clock stepped back over New Year (postlogd's stamps a second
  // apart; fake-hwclock after a reboot; a wrong NTP source). Further behind,
  // it is this year's: a log quiet from January to December.
  static constexpr TimeUs kStepBackOverNewYear = 7 * 86400 * kUsPerSecond;
  int year() const { return ctx_.year; }
  int last_month() const { return rollover_.last_month(); }  // 0: none yet
  TimeUs last_time() const { return last_time_; }

 private:
  ParseContext ctx_;
  YearRollover rollover_;
  TimeUs last_time_ = 0;  // of the last dated line taken as this year's
  bool year_known_;
  int ref_month_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_PARSERS_LINE_PARSER_H_
