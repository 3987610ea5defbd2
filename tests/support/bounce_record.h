// The bounce the detector tests feed: a null-sender record from a client,
// closed `at` seconds after kDetectT0 (log time), on syslog host `host`.
#ifndef MAILTRAIL_TESTS_SUPPORT_BOUNCE_RECORD_H_
#define MAILTRAIL_TESTS_SUPPORT_BOUNCE_RECORD_H_

#include <cstdint>
#include <string>

#include "agent/track/record.h"

namespace mailtrail {

inline constexpr TimeUs kDetectT0 = 1795780000LL * kUsPerSecond;

inline TimeUs Sec(double s) { return kDetectT0 + static_cast<TimeUs>(s * kUsPerSecond); }

inline MessageRecord Bounce(const std::string& ip, const std::string& subject, double at,
                            const std::string& host = "mx") {
  MessageRecord r;
  r.host = host;
  // Unique per client and millisecond: bounces from several IPs at once.
  r.qid = "Q" + std::to_string(static_cast<int64_t>(at * 1000)) + ip;
  r.client_ip = ip;
  r.has_client = true;
  r.sender = "";
  r.subject = subject;
  r.first_seen = Sec(at);
  r.last_seen = r.first_seen + 1000;
  return r;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_BOUNCE_RECORD_H_
