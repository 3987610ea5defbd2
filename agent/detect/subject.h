// Subjects of bounces, made comparable (pure functions). A flood's bounces carry
// the same subject in many small variants: encoded words, "Re:"/"Fwd:" and NDR
// prefixes in several languages, case, numbers and ids that differ per copy.
#ifndef MAILTRAIL_AGENT_DETECT_SUBJECT_H_
#define MAILTRAIL_AGENT_DETECT_SUBJECT_H_

#include <string>
#include <string_view>

namespace mailtrail {

// The counting key of a subject: decoded (base/rfc2047.h); lower-cased (ASCII, Latin-1, Greek,
// Cyrillic); reply, forward and non-delivery prefixes removed ("Re:", "AW:",
// "Fwd:", "Undeliverable:", "Non remis :", ...); addresses -> "@", runs of digits
// and hex ids -> "#"; punctuation and whitespace runs -> one space; at most `cap`
// bytes (cut on a character boundary).
std::string NormalizeSubject(std::string_view raw, size_t cap = 160);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_SUBJECT_H_
