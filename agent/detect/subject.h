// Subjects of bounces, made comparable (pure functions). A flood's bounces carry
// the same subject in many small variants: encoded words, "Re:"/"Fwd:" and NDR
// prefixes in several languages, case, numbers and ids that differ per copy.
#ifndef MAILTRAIL_AGENT_DETECT_SUBJECT_H_
#define MAILTRAIL_AGENT_DETECT_SUBJECT_H_

#include <string>
#include <string_view>

namespace mailtrail {

// Decodes RFC 2047 encoded words (=?charset?B|Q?text?=) to UTF-8: charsets
// UTF-8/US-ASCII, ISO-8859-1, ISO-8859-15 and Windows-1252. Whitespace between two
// encoded words is dropped (RFC 2047 6.2). A word it cannot decode stays as it is.
// Invalid UTF-8 in the result is replaced by U+FFFD.
std::string DecodeRfc2047(std::string_view raw);

// The counting key of a subject: decoded; lower-cased (ASCII, Latin-1, Greek,
// Cyrillic); reply, forward and non-delivery prefixes removed ("Re:", "AW:",
// "Fwd:", "Undeliverable:", "Non remis :", ...); addresses -> "@", runs of digits
// and hex ids -> "#"; punctuation and whitespace runs -> one space; at most `cap`
// bytes (cut on a character boundary).
std::string NormalizeSubject(std::string_view raw, size_t cap = 160);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_SUBJECT_H_
