#include "base/queue_id.h"

namespace mailtrail {

namespace {
bool IsUpperHex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }
bool IsLongIdChar(char c) {
  if (c >= '0' && c <= '9') return true;
  if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  switch (c | 0x20) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
      return false;
    default:
      return true;
  }
}
}  // namespace

bool IsShortQueueId(std::string_view s) {
  if (s.size() < 6 || s.size() > 12) return false;
  for (char c : s)
    if (!IsUpperHex(c)) return false;
  return true;
}

bool IsLongQueueId(std::string_view s) {
  if (s.size() < 12 || s.size() > kMaxQueueIdLength) return false;
  bool has_z = false;
  for (char c : s) {
    if (!IsLongIdChar(c)) return false;
    has_z |= c == 'z';
  }
  return has_z;
}

size_t QueueIdPrefixLength(std::string_view s) {
  // One pass on the hot path (every line): stop at the first character that no
  // queue id holds; only then run the exact checks.
  size_t n = 0;
  const size_t limit = s.size() < kMaxQueueIdLength + 1 ? s.size() : kMaxQueueIdLength + 1;
  while (n < limit) {
    const char c = s[n];
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) break;
    ++n;
  }
  if (n == 0 || n == s.size() || s[n] != ':') return 0;
  return IsQueueId(s.substr(0, n)) ? n : 0;
}

}  // namespace mailtrail
