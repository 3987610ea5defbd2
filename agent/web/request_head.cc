#include "agent/web/request_head.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

namespace mailtrail::web {

HeadCheck WaitForRequestHead(int fd, size_t max_bytes, int timeout_ms,
                             const std::function<bool()>& keep_going, std::string* head) {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<char> buf(max_bytes + 1);
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
      if (head) head->assign(got.substr(0, end + 4));
      return HeadCheck::kArrived;
    }
    if (got.find("\n\n") != std::string_view::npos) return HeadCheck::kMalformed;
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
