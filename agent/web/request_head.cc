#include "agent/web/request_head.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mailtrail::web {

std::optional<std::string_view> HeaderValue(std::string_view head, std::string_view lower_name) {
  size_t at = head.find("\r\n");  // past the request line
  while (at != std::string_view::npos && at + 2 < head.size()) {
    at += 2;
    size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(at, end - at);
    at = end;
    if (line.size() <= lower_name.size() || line[lower_name.size()] != ':') continue;
    bool same = true;
    for (size_t i = 0; i < lower_name.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(line[i])) == lower_name[i];
    if (!same) continue;
    std::string_view v = line.substr(lower_name.size() + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  }
  return std::nullopt;
}

namespace {

// A line ended by a bare LF: cpp-httplib 0.11.4 splits lines there too, so a
// header after one (Content-Length, Transfer-Encoding) was unseen here and
// read there (helper-151). No browser or proxy sends one.
bool HasBareLf(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return true;
  return false;
}

// Whether cpp-httplib reads a body for the request's method whatever its
// head says (expect_content): without a length it reads until the client
// closes, holding a worker for the read timeout (helper-151).
bool ExpectsABody(std::string_view head) {
  const std::string_view method = head.substr(0, head.find(' '));
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "PRI" ||
         method == "DELETE";
}

}  // namespace

HeadCheck WaitForRequestHead(int fd, size_t max_bytes, int timeout_ms,
                             const std::function<bool()>& keep_going, std::string* head,
                             size_t max_body) {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<char> buf(max_bytes + max_body + 1);
  size_t seen = 0;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return HeadCheck::kTooSlow;
    if (keep_going && !keep_going()) return HeadCheck::kClosed;
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    // In slices, so that a server stopping does not wait for slow heads.
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 200)));
    if (ready == 0) continue;
    if (ready < 0) return HeadCheck::kClosed;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n <= 0) return HeadCheck::kClosed;
    const std::string_view got(buf.data(), static_cast<size_t>(n));
    // Only CRLF ends a head: cpp-httplib 0.11.4 skips a line ending in a
    // bare LF and reads on (a bare "\n\n" let the head grow unbounded).
    if (const size_t end = got.find("\r\n\r\n"); end != std::string_view::npos) {
      const std::string_view text = got.substr(0, end + 4);
      if (HasBareLf(text)) return HeadCheck::kMalformed;
      size_t body = 0;
      if (max_body > 0) {
        if (HeaderValue(text, "transfer-encoding")) return HeadCheck::kLengthRequired;
        if (const auto length = HeaderValue(text, "content-length")) {
          if (length->empty() || length->size() > 9 ||
              length->find_first_not_of("0123456789") != std::string_view::npos)
            return HeadCheck::kMalformed;
          body = std::stoul(std::string(*length));
          if (body > max_body) return HeadCheck::kBodyTooLarge;
        } else if (ExpectsABody(text)) {
          return HeadCheck::kLengthRequired;
        }
      }
      if (text.size() + body <= got.size()) {
        if (head) head->assign(text);
        return HeadCheck::kArrived;
      }
      if (p.revents & (POLLRDHUP | POLLHUP)) return HeadCheck::kClosed;
      if (static_cast<size_t>(n) == seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      seen = static_cast<size_t>(n);
      continue;  // its body is on the way
    }
    if (HasBareLf(got)) return HeadCheck::kMalformed;
    // The client closed its side: the rest of the head never comes (peeking
    // sees the same bytes again, so only the poll tells).
    if (p.revents & (POLLRDHUP | POLLHUP)) return HeadCheck::kClosed;
    if (static_cast<size_t>(n) > max_bytes) return HeadCheck::kTooLarge;
    if (static_cast<size_t>(n) == seen) {
      // Nothing new since the last look (poll says readable while unread
      // bytes wait): look again a little later.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    seen = static_cast<size_t>(n);
  }
}

bool AsksForSeveralRanges(std::string_view head) {
  size_t at = 0;
  while (at < head.size()) {
    size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(at, end - at);
    at = end + 2;
    if (line.size() < 6) continue;
    std::string name(line.substr(0, 6));
    for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (name == "range:" && line.find(',') != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace mailtrail::web
