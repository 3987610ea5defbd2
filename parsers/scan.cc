#include "parsers/scan.h"

#include <string.h>  // memrchr

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "base/queue_id.h"

namespace mailtrail::scan {

size_t RFind(std::string_view s, std::string_view needle, size_t pos) {
  if (needle.size() > s.size()) return std::string_view::npos;
  const size_t last_start = std::min(pos, s.size() - needle.size());
  if (needle.empty()) return last_start;
  size_t anchor = 0;  // a space is common in log text: anchor on a rarer byte
  while (anchor + 1 < needle.size() && needle[anchor] == ' ') ++anchor;
  // Candidates for the anchor byte lie in [anchor, last_start + anchor].
  size_t end = last_start + anchor + 1;
  while (end > anchor) {
    const void* hit = memrchr(s.data() + anchor, needle[anchor], end - anchor);
    if (hit == nullptr) return std::string_view::npos;
    const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - s.data());
    const size_t start = at - anchor;
    if (std::memcmp(s.data() + start, needle.data(), needle.size()) == 0) return start;
    end = at;
  }
  return std::string_view::npos;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty() || s.size() > 32) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool HostAndIp(std::string_view* s, std::string_view* host, std::string_view* ip) {
  // Postfix prints "name[addr]"; the name is a validated DNS name or "unknown",
  // so it holds no brackets. The address ends at the first ']'.
  const size_t open = s->find('[');
  if (open == std::string_view::npos) return false;
  const size_t close = s->find(']', open);
  if (close == std::string_view::npos) return false;
  *host = s->substr(0, open);
  *ip = s->substr(open + 1, close - open - 1);
  if (host->find(' ') != std::string_view::npos) return false;
  s->remove_prefix(close + 1);
  return true;
}

void SplitReply(std::string_view reply, int* code, std::string_view* dsn, std::string_view* text) {
  *code = 0;
  *dsn = {};
  *text = reply;
  if (reply.size() >= 4 && reply[3] == ' ' && reply[0] >= '2' && reply[0] <= '5' &&
      reply[1] >= '0' && reply[1] <= '9' && reply[2] >= '0' && reply[2] <= '9') {
    *code = (reply[0] - '0') * 100 + (reply[1] - '0') * 10 + (reply[2] - '0');
    reply.remove_prefix(4);
    *text = reply;
  }
  // An enhanced status code: d.d{1,3}.d{1,3} followed by a space or the end.
  size_t i = 0;
  if (reply.size() >= 5 && reply[0] >= '2' && reply[0] <= '5' && reply[1] == '.') {
    i = 2;
    int dots = 1;
    while (i < reply.size() && ((reply[i] >= '0' && reply[i] <= '9') || reply[i] == '.')) {
      dots += reply[i] == '.';
      ++i;
    }
    if (dots == 2 && reply[i - 1] != '.' && (i == reply.size() || reply[i] == ' ')) {
      *dsn = reply.substr(0, i);
      *text = reply.substr(i < reply.size() ? i + 1 : i);
    }
  }
}

bool Address(std::string_view* s, std::string_view* out) {
  if (s->empty() || (*s)[0] != '<') return false;
  size_t i = 1;
  while (true) {
    // Outside quotes: the next '>' ends the value unless a '"' comes first
    // (two memchr, fast on the long plain runs of ordinary addresses).
    const size_t gt = s->find('>', i);
    if (gt == std::string_view::npos) return false;
    const size_t quote = s->substr(0, gt).find('"', i);
    // Postfix quotes local parts only: a '"' after an unquoted '@' is the
    // domain's own byte, and opened a quoted string that took the rest of
    // the line, a forged trailer's null sender winning (helper-123).
    if (quote == std::string_view::npos ||
        s->substr(i, quote - i).find('@') != std::string_view::npos) {
      *out = s->substr(1, gt - 1);
      s->remove_prefix(gt + 1);
      return true;
    }
    // Inside quotes (rare): to the closing '"', past '\\'-escaped characters.
    for (i = quote + 1; i < s->size() && (*s)[i] != '"'; ++i)
      if ((*s)[i] == '\\') ++i;
    if (i >= s->size()) return false;
    ++i;
  }
}

std::string_view Unbracket(std::string_view s) {
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') return s.substr(1, s.size() - 2);
  return s;
}

std::string_view LeadingQueueId(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && n <= kMaxQueueIdLength &&
         ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'A' && s[n] <= 'Z') ||
          (s[n] >= 'a' && s[n] <= 'z')))
    ++n;
  std::string_view id = s.substr(0, n);
  return IsQueueId(id) ? id : std::string_view();
}

}  // namespace mailtrail::scan
