// What smtpd's disconnect line counts ("ehlo=1 mail=2 rcpt=2 data=1/2 quit=1
// commands=7/8"), read once per session for the tracker's session end
// (docs/postfix-logs.md: which of a session's messages were accepted).
#ifndef MAILTRAIL_AGENT_TRACK_SESSION_COUNTERS_H_
#define MAILTRAIL_AGENT_TRACK_SESSION_COUNTERS_H_

#include <cstdint>
#include <string_view>

namespace mailtrail {

struct SessionCounters {
  int64_t mail = -1;      // MAIL commands that succeeded; -1: not named
  int64_t data = -1;      // DATA commands that succeeded; -1: not named, or BDAT
  bool all_data = false;  // DATA ran and always succeeded
};

// Pure. Not for BDAT: smtpd counts every chunk a success, LAST or not, and a
// transaction without its LAST chunk is dropped (before Postfix 3.10 without
// a line), so the DATA counts cannot say what was accepted: `data` stays -1.
// No DATA named beside a MAIL that succeeded: none was sent (a callout), 0.
SessionCounters ReadCounters(std::string_view counters);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_SESSION_COUNTERS_H_
