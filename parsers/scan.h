// Small anchored scanners over string_view, shared by the daemon parsers. Each
// consumes from the front of `*s` and returns false (leaving `*s` unspecified)
// when the expected text is not there. No regexes, no backtracking.
#ifndef MAILTRAIL_PARSERS_SCAN_H_
#define MAILTRAIL_PARSERS_SCAN_H_

#include <cstdint>
#include <string_view>

namespace mailtrail::scan {

inline bool Consume(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

// Reads up to (not including) `delim`, consuming the delimiter too.
inline bool Until(std::string_view* s, std::string_view delim, std::string_view* out) {
  const size_t p = s->find(delim);
  if (p == std::string_view::npos) return false;
  *out = s->substr(0, p);
  s->remove_prefix(p + delim.size());
  return true;
}

// string_view::rfind(needle, pos), found faster: libstdc++'s compares the
// needle at every position going back, and the parsers search backwards over
// whole trailers and header values on most lines (issue 23's profile). Here
// memrchr finds the candidates for the needle's first byte that is not a space.
size_t RFind(std::string_view s, std::string_view needle, size_t pos = std::string_view::npos);

bool ParseInt(std::string_view s, int64_t* out);
bool ParseDouble(std::string_view s, double* out);

// "HOST[IP]" at the front of `*s` (IP may be "unknown"): splits on the LAST '['
// before the first ']' that ends the token. Stops after ']'.
bool HostAndIp(std::string_view* s, std::string_view* host, std::string_view* ip);

// "text (code) (dsn) rest": splits "550 5.1.1 text" into its parts when present.
void SplitReply(std::string_view reply, int* code, std::string_view* dsn, std::string_view* text);

// An address "<...>" at the front of `*s`, as Postfix and amavisd-new log it:
// a local part that holds specials (space, ',', '>', '"', ...) is written as a
// quoted string with '"' and '\\' escaped by '\\' (Postfix's quote_822_local),
// so the value ends at the first '>' outside quotes. Consumes through that '>'
// and sets `*out` to what lies between the brackets. False (nothing consumed)
// when `*s` does not start with '<' or no such '>' follows: then the line is
// not what it claims to be. docs/security.md rule 1: an attacker's quoted local part
// ("a>, status=sent"@x) stays one value.
bool Address(std::string_view* s, std::string_view* out);

// Strips one pair of enclosing angle brackets.
std::string_view Unbracket(std::string_view s);

// The queue id at the front of `s` (terminated by anything but id characters).
std::string_view LeadingQueueId(std::string_view s);

}  // namespace mailtrail::scan

#endif  // MAILTRAIL_PARSERS_SCAN_H_
