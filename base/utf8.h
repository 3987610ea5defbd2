// UTF-8 code points: appending one, reading one (invalid bytes read as U+FFFD),
// and making untrusted bytes valid UTF-8. Pure functions; used by the RFC 2047
// decoder (base/rfc2047.h) and the subject normalizer (agent/detect/subject.h).
#ifndef MAILTRAIL_BASE_UTF8_H_
#define MAILTRAIL_BASE_UTF8_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace mailtrail {

// Appends code point `cp` (at most U+10FFFF) encoded as UTF-8.
void AppendUtf8(std::string* out, uint32_t cp);

// Reads one UTF-8 code point at s[*i] (*i < s.size()) and moves past it; U+FFFD
// (one byte consumed) for anything invalid: overlong, surrogate, truncated.
uint32_t NextCodePoint(std::string_view s, size_t* i);

// `s` with every invalid byte replaced by U+FFFD.
std::string ValidUtf8(std::string_view s);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_UTF8_H_
