// The bound on a request's head that cpp-httplib 0.11.4 (Debian 12's) lacks:
// it limits each header line to 8 KiB but not their number, and its read
// timeout is per read, not per request. So a client streaming header lines
// grew the server's memory without bound (before any credential check), and
// one trickling a line every few seconds held a worker for ever (helper-64).
// The server looks at what has arrived (MSG_PEEK: nothing is consumed) until
// the head's blank line is there, and closes the connection when the head is
// larger than `max_bytes` or has not arrived within `timeout_ms`.
#ifndef MAILTRAIL_AGENT_WEB_REQUEST_HEAD_H_
#define MAILTRAIL_AGENT_WEB_REQUEST_HEAD_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mailtrail::web {

// kMalformed: a line of the head ended by a bare LF (cpp-httplib ends lines
// there, this check at CRLF only).
// kBodyTooLarge: a Content-Length over `max_body`; kLengthRequired: a body
// of no stated length (Transfer-Encoding, or a POST, PUT, PATCH or DELETE
// with no Content-Length), which could trickle for ever.
enum class HeadCheck {
  kArrived,
  kTooLarge,
  kTooSlow,
  kClosed,
  kMalformed,
  kBodyTooLarge,
  kLengthRequired
};

// Waits for a whole request head (ended by CRLF CRLF) on `fd` without
// reading it, and copies it to `head` when given; gives up (kClosed) as soon
// as `keep_going` says no (the server stopping), asked at least every
// 200 ms, or when the client closed its side before the head was whole.
// With `max_body`, the body its Content-Length states must have arrived too,
// within the same time: a head that stated a body it never sent held a
// worker for the read timeout, past the slow-head bounds (helper-129).
HeadCheck WaitForRequestHead(int fd, size_t max_bytes, int timeout_ms,
                             const std::function<bool()>& keep_going = {},
                             std::string* head = nullptr, size_t max_body = 0);

// The value of the first header `lower_name` (lower case) in a raw head,
// without its leading and trailing spaces, as sent: cpp-httplib 0.11.4
// percent-decodes every header value it parses ("p%6Fp" is "pop").
std::optional<std::string_view> HeaderValue(std::string_view head, std::string_view lower_name);

// Whether a head asks for several byte ranges (a Range header with a
// comma): cpp-httplib 0.11.4 builds such an answer in memory, 540 MB for
// 2,700 ranges of a 199 KB file (helper-68). The console serves none.
bool AsksForSeveralRanges(std::string_view head);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_REQUEST_HEAD_H_
