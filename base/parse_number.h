// The one integer parser and the one duration parser of the command line and
// the configuration (issue 20.3: there were four, and an unchecked atoi). Both
// take the whole text or nothing: "12x", " 12", "" and overflow are refused.
#ifndef MAILTRAIL_BASE_PARSE_NUMBER_H_
#define MAILTRAIL_BASE_PARSE_NUMBER_H_

#include <cstdint>
#include <string_view>

#include "base/civil_time.h"

namespace mailtrail {

// A decimal integer (optional leading '-') in [lo, hi] into `out`; false (and
// `out` untouched) when it is anything else.
bool ParseInteger(std::string_view text, int64_t lo, int64_t hi, int64_t* out);

// The unit a bare number means ("30" with kDays is 30 days); kNone: a unit is
// required.
enum class DurationUnit : int64_t {
  kNone = 0,
  kMilliseconds = 1000,
  kSeconds = kUsPerSecond,
  kMinutes = 60 * kUsPerSecond,
  kHours = 3600 * kUsPerSecond,
  kDays = 86400 * kUsPerSecond,
};

// "250ms", "90s", "30m", "1h", "2d", or a bare number in `bare_unit`, into
// microseconds in [lo, hi]; false when malformed, negative or out of range.
bool ParseDuration(std::string_view text, DurationUnit bare_unit, TimeUs lo, TimeUs hi,
                   TimeUs* out);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_PARSE_NUMBER_H_
