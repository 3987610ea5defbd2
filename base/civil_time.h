// Calendar arithmetic on UTC civil times, and RFC 3339 formatting. Pure functions.
#ifndef MAILTRAIL_BASE_CIVIL_TIME_H_
#define MAILTRAIL_BASE_CIVIL_TIME_H_

#include <cstdint>
#include <string>

namespace mailtrail {

// Microseconds since the Unix epoch, UTC. The one time type of the project.
using TimeUs = int64_t;
constexpr TimeUs kUsPerSecond = 1'000'000;

// Every time a log stamp can name lies within this many microseconds of the
// epoch (about 31,700 years): the parsers read RFC 3339 years 0000 to 9999,
// with any offset. A sum of such a time and any grace period or timeout still
// fits in a TimeUs, so a saved state may hold any time up to it.
constexpr TimeUs kLogTimeLimit = int64_t{1'000'000} * 1'000'000 * 1'000'000;

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
int64_t DaysFromCivil(int year, int month, int day);

// Seconds since the epoch of a UTC civil time.
int64_t EpochSeconds(int year, int month, int day, int hour, int minute, int second);

// "2026-11-27T11:21:18Z" (whole seconds: the contract of docs/record.md).
std::string FormatRfc3339(TimeUs t);

// Parses "2026-11-27", "2026-11-27T11:21:18Z", "2026-11-27 11:21:18" and offsets
// ("+01:00"). Returns false on anything else.
bool ParseRfc3339(const std::string& text, TimeUs* out);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_CIVIL_TIME_H_
