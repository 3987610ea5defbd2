// Text helpers for untrusted bytes: escaping for JSON and for our own log lines,
// case folding, bounded copies. Pure functions.
#ifndef MAILTRAIL_BASE_TEXT_H_
#define MAILTRAIL_BASE_TEXT_H_

#include <string>
#include <string_view>

namespace mailtrail {

// Appends `s` as a JSON string literal (with quotes). Invalid UTF-8 bytes become
// U+FFFD so the output is always valid JSON.
void AppendJsonString(std::string* out, std::string_view s);

// Printable ASCII kept; everything else as \xNN; at most `max_len` input bytes
// (then "..."). For messages about untrusted input.
std::string EscapeForLog(std::string_view s, size_t max_len = 200);

std::string AsciiLower(std::string_view s);

// Lower case for case-insensitive matching of untrusted UTF-8: ASCII, and the
// capitals of Latin-1, Latin Extended-A, Greek and Cyrillic (what MySQL's
// LOWER() also maps); every other byte, invalid UTF-8 included, is kept.
std::string LowerUtf8(std::string_view s);

// `s` cut to at most `max_len` bytes, never inside a UTF-8 sequence.
std::string_view TruncateUtf8(std::string_view s, size_t max_len);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_TEXT_H_
