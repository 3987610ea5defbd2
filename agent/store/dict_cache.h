// DictCache: text -> dictionary id, bounded. Two generations: when the current
// one is full it becomes the old one (the older is dropped) and lookups that hit
// the old generation move the entry back; so hot texts (the host, a relay, a
// flood's subject) survive turnovers. Holds at most 2 * capacity entries.
//
// Beside it, a fixed-size Bloom filter of every text ever inserted answers
// "certainly never seen" for texts that fell out of the cache, so that a new
// text needs no lookup in the table (most misses are new texts: subjects,
// message-specific addresses). Not thread-safe; owned by the store's writer.
#ifndef MAILTRAIL_AGENT_STORE_DICT_CACHE_H_
#define MAILTRAIL_AGENT_STORE_DICT_CACHE_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/hash.h"

namespace mailtrail {

class DictCache {
 public:
  static constexpr size_t kBloomBits = size_t{1} << 23;  // 1 MiB: ~1% false positives at 800k

  explicit DictCache(size_t capacity = 65536)
      : capacity_(capacity ? capacity : 1), bloom_(kBloomBits / 64) {}

  // False only when `text` was certainly never inserted.
  bool MaybeSeen(std::string_view text) const {
    const uint64_t h = Hash(text);
    return Bit(h) && Bit(h >> 23 | h << 41);
  }

  // 0 when unknown.
  int64_t Find(std::string_view text) {
    if (auto it = current_.find(text); it != current_.end()) return it->second;
    auto it = old_.find(text);
    if (it == old_.end()) return 0;
    const int64_t id = it->second;
    Insert(text, id);
    return id;
  }

  void Insert(std::string_view text, int64_t id) {
    const uint64_t h = Hash(text);
    SetBit(h);
    SetBit(h >> 23 | h << 41);
    if (current_.size() >= capacity_) {
      dropped_ |= !old_.empty();
      old_ = std::move(current_);
      current_ = {};
    }
    current_.emplace(text, id);
  }

  // True once any entry has been dropped: a miss may then be a text seen before.
  bool dropped() const { return dropped_; }

  // Forgets everything, the Bloom filter too.
  void Clear() {
    current_.clear();
    old_.clear();
    std::fill(bloom_.begin(), bloom_.end(), 0);
    dropped_ = false;
  }
  size_t size() const { return current_.size() + old_.size(); }

 private:
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, int64_t, TextHash, std::equal_to<>>;

  static uint64_t Hash(std::string_view s) {
    const uint64_t h = Fnv1a64(s);
    return h ^ (h >> 31);  // spread the high bits into the bit index too
  }
  bool Bit(uint64_t h) const { return bloom_[(h % kBloomBits) / 64] >> (h % 64) & 1; }
  void SetBit(uint64_t h) { bloom_[(h % kBloomBits) / 64] |= uint64_t{1} << (h % 64); }

  size_t capacity_;
  Map current_, old_;
  std::vector<uint64_t> bloom_;
  bool dropped_ = false;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_DICT_CACHE_H_
