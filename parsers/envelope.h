// The syslog envelope: timestamp, host, program[pid]. Handles BSD syslog
// ("Nov  7 11:21:14"), Postfix's maillog_file ("Nov 07 11:21:14") and RFC 3339
// ("2026-11-27T11:21:14.573590+01:00", also "Z"). Pure.
#ifndef MAILTRAIL_PARSERS_ENVELOPE_H_
#define MAILTRAIL_PARSERS_ENVELOPE_H_

#include <string_view>

#include "parsers/event.h"

namespace mailtrail {

// What a yearless or zoneless timestamp means. Set by the reader of a file: the
// year comes from --year or the file's mtime and rolls over Dec -> Jan (see
// YearRollover), the offset from the configured time zone.
struct ParseContext {
  int year = 1970;
  int utc_offset_seconds = 0;  // local time = UTC + offset

  // Memo of the last calendar day converted: nearly every line repeats it. It
  // changes no result, only saves the arithmetic; owned by the context's reader.
  struct DayMemo {
    int year = 0, month = 0, day = 0;
    int64_t days = 0;
  };
  mutable DayMemo day_memo;
};

// Fills time, month, host, program, daemon, pid and message of `ev`.
// Returns false (ev->kind = kUnparsable) when the line has no valid envelope.
bool ParseEnvelope(std::string_view line, const ParseContext& ctx, Event* ev);

// Tracks month order through a file: when a yearless line's month goes back
// (Dec -> Jan), the year advances, up to kLastYear (the last an RFC 3339 stamp
// can name, so that every time stays within civil_time.h's kLogTimeLimit: a
// file of lines that go Dec, Jan, Dec, Jan... would otherwise count the years
// on without end). Small state owned by one reader.
class YearRollover {
 public:
  static constexpr int kLastYear = 9999;
  enum class Seen {
    kThisYear,  // ctx->year is the line's
    kRolled,    // ctx->year was advanced for this line: parse it again (once a year)
    kLastYear,  // a December line after January: if it is within a week of
                // the last line (a straggler), parse it with ctx->year - 1;
                // if not, call ThisYears(12)
  };
  // Whether a line of `month` would advance the year.
  bool WouldRoll(int month, const ParseContext& ctx) const {
    return month != 0 && last_month_ >= 11 && month <= 2 && month < last_month_ &&
           ctx.year < kLastYear;
  }
  Seen Observe(int month, ParseContext* ctx) {
    if (month == 0) return Seen::kThisYear;  // RFC 3339 lines carry their own year
    if (WouldRoll(month, *ctx)) {
      ++ctx->year;
      last_month_ = month;
      return Seen::kRolled;
    }
    // Processes stamp their own lines (postlogd): one of December may follow
    // one of January by a second. It is last year's, and it must not make the
    // next January line roll the year again.
    if (month == 12 && last_month_ == 1) return Seen::kLastYear;
    last_month_ = month;
    return Seen::kThisYear;
  }
  void ThisYears(int month) { last_month_ = month; }
  int last_month() const { return last_month_; }

 private:
  int last_month_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_PARSERS_ENVELOPE_H_
