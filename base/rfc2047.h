// RFC 2047 encoded words ("=?charset?B|Q?text?=") and the charsets they use,
// decoded to UTF-8. Low in the tree (base/) because several readers of
// untrusted header text need it: the subject normalizer and the bounce
// classifier (agent/detect) and the web console (agent/web). Pure functions.
// SECURITY: the input is untrusted; the output is always valid UTF-8, still to
// be escaped by whoever prints it.
#ifndef MAILTRAIL_BASE_RFC2047_H_
#define MAILTRAIL_BASE_RFC2047_H_

#include <string>
#include <string_view>

namespace mailtrail {

// Decodes RFC 2047 encoded words (=?charset?B|Q?text?=) to UTF-8: charsets
// UTF-8/US-ASCII, ISO-8859-1, ISO-8859-15 and Windows-1252 here, a list of
// others (the ISO-8859 and Windows code pages, KOI8, the CJK ones) through
// iconv(3). Whitespace between two encoded words is dropped (RFC 2047 6.2),
// also after the '?' Postfix logs for a folded header's line break. A word it
// cannot decode stays as it is. Invalid UTF-8 in the result is replaced by U+FFFD.
std::string DecodeRfc2047(std::string_view raw);

// Appends `bytes` in `charset` (one of those above, any case; an RFC 2231
// "*language" suffix ignored) as UTF-8; false, appending nothing, for another.
bool CharsetToUtf8(std::string_view charset, std::string_view bytes, std::string* out);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_RFC2047_H_
