#include "base/queue_id.h"

#include <array>
#include <cstdint>

namespace mailtrail {

namespace {
constexpr bool IsUpperHex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }
constexpr bool IsLongIdChar(char c) {
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
  if (s.size() < 6 || s.size() > kMaxShortQueueIdLength) return false;
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

// What each byte may be in a queue id, as bits: one table look-up per byte on
// the hot path (every line) instead of a chain of range tests (issue 23).
constexpr uint8_t kIdChar = 1, kNotShort = 2, kZ = 4, kVowel = 8;
constexpr std::array<uint8_t, 256> kIdClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    if (IsUpperHex(ch) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      // Upper-case hex may be in both forms; 'A' and 'E' are vowels all the same.
      t[c] = kIdChar | (IsUpperHex(ch) ? 0 : kNotShort) | (c == 'z' ? kZ : 0) |
             (IsLongIdChar(ch) ? 0 : kVowel);
    }
  }
  return t;
}();

size_t QueueIdPrefixLength(std::string_view s) {
  // One pass, deciding both id forms as it goes.
  const size_t limit = s.size() < kMaxQueueIdLength + 1 ? s.size() : kMaxQueueIdLength + 1;
  uint8_t seen = 0;
  size_t n = 0;
  for (; n < limit; ++n) {
    const uint8_t k = kIdClass[static_cast<unsigned char>(s[n])];
    if (k == 0) break;
    seen |= k;
  }
  if (n == 0 || n == s.size() || s[n] != ':') return 0;
  if (!(seen & kNotShort) && n >= 6 && n <= kMaxShortQueueIdLength) return n;
  // A long id: 12..23 characters, no vowels, with a 'z'.
  if (!(seen & kZ) || n < 12 || (seen & kVowel)) return 0;
  return n;
}

}  // namespace mailtrail
