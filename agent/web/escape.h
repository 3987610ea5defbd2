// Escaping of untrusted text (every value from the log) for the contexts the
// web console writes it into. Pure functions.
//
// SECURITY: subjects, addresses, HELO names and status texts are chosen by
// strangers. HTML gets every markup character escaped (text and attribute
// values alike); CSV cells that a spreadsheet would run as a formula are
// neutralised (OWASP "CSV injection").
#ifndef MAILTRAIL_AGENT_WEB_ESCAPE_H_
#define MAILTRAIL_AGENT_WEB_ESCAPE_H_

#include <string>
#include <string_view>

namespace mailtrail::web {

// & < > " ' as entities; control characters (but tab) as U+FFFD; invalid UTF-8
// bytes as U+FFFD; bidirectional controls and zero-width characters shown as
// "<U+202E>", so that text cannot be made to read as other text. Safe in
// element text and in quoted attribute values.
std::string HtmlEscape(std::string_view s);

// One CSV cell (RFC 4180): quoted when it holds , ; tab " CR or LF (the
// separators spreadsheets use); its start, and each place after one of
// , ; | tab CR LF (where a spreadsheet of another locale splits it, quotes
// or not), past spaces, gets a ' before = + - @ tab or CR, so that no
// spreadsheet reads a formula in it.
std::string CsvCell(std::string_view s);

// Percent-encoding of a query parameter value or a path segment: everything
// but A-Z a-z 0-9 - . _ ~ is encoded.
std::string UrlEncode(std::string_view s);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_ESCAPE_H_
