// FNV-1a, 64 bits: the one non-cryptographic hash of the project (dictionary
// keys stored in SQLite, file fingerprints stored in checkpoints, in-memory map
// keys). Stored values depend on it: do not change it.
#ifndef MAILTRAIL_BASE_HASH_H_
#define MAILTRAIL_BASE_HASH_H_

#include <cstdint>
#include <string_view>

namespace mailtrail {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;

// Hashes `s`, continuing from `h` (chain calls to hash several pieces).
inline uint64_t Fnv1a64(std::string_view s, uint64_t h = kFnvOffset) {
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_HASH_H_
