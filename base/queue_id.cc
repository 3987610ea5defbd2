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
  // One pass on the hot path (every line), deciding both id forms as it goes.
  const size_t limit = s.size() < kMaxQueueIdLength + 1 ? s.size() : kMaxQueueIdLength + 1;
  bool short_ok = true, long_ok = true, has_z = false;
  size_t n = 0;
  for (; n < limit; ++n) {
    const char c = s[n];
    if (c >= '0' && c <= '9') continue;
    if (c >= 'A' && c <= 'F') continue;  // upper-case hex: both forms may hold it
    if (c >= 'A' && c <= 'Z') {
      short_ok = false;
    } else if (c >= 'a' && c <= 'z') {
      short_ok = false;
      has_z |= c == 'z';
    } else {
      break;
    }
  }
  if (n == 0 || n == s.size() || s[n] != ':') return 0;
  if (short_ok && n >= 6 && n <= 12) return n;
  // A long id: 12..20 characters, no vowels, with a 'z'.
  if (!has_z || n < 12) return 0;
  for (size_t i = 0; i < n && long_ok; ++i) long_ok = IsLongIdChar(s[i]);
  return long_ok ? n : 0;
}

}  // namespace mailtrail
