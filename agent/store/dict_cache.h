// DictCache: text -> dictionary id, bounded. Two generations: when the current
// one is full it becomes the old one (the older is dropped) and lookups that hit
// the old generation move the entry back; so hot texts (the host, a relay, a
// flood's subject) survive turnovers. Holds at most 2 * capacity entries.
//
// Beside it, a fixed-size Bloom filter of every text ever inserted answers
// "certainly never seen" for texts that fell out of the cache, so that a new
// text needs no lookup in the table (most misses are new texts: subjects,
// message-specific addresses). Not thread-safe; owned by the store's writer.
//
// Each generation is a flat open-addressing table over one arena of texts, not
// a node-based map: the store's writer thread asks it several times per record
// and is the live agent's bottleneck, and a lookup here costs one hash and
// about two cache misses instead of a node, a string and a bucket chain.
#ifndef MAILTRAIL_AGENT_STORE_DICT_CACHE_H_
#define MAILTRAIL_AGENT_STORE_DICT_CACHE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailtrail {

class DictCache {
 public:
  static constexpr size_t kBloomBits = size_t{1} << 23;  // 1 MiB: ~1% false positives at 800k

  explicit DictCache(size_t capacity = 65536);

  // A text with its hash, computed once for all the calls about it (a miss
  // asks Find, maybe MaybeSeen, then Insert).
  struct Key {
    std::string_view text;
    uint64_t hash;
  };
  static Key KeyOf(std::string_view text) { return {text, Hash(text)}; }

  // False only when the text was certainly never inserted.
  bool MaybeSeen(const Key& k) const;
  bool MaybeSeen(std::string_view text) const { return MaybeSeen(KeyOf(text)); }

  // 0 when unknown.
  int64_t Find(const Key& k);
  int64_t Find(std::string_view text) { return Find(KeyOf(text)); }

  // `id` must not be 0. A text already in the current generation keeps its id.
  void Insert(const Key& k, int64_t id);
  void Insert(std::string_view text, int64_t id) { Insert(KeyOf(text), id); }

  // True once any entry has been dropped: a miss may then be a text seen before.
  bool dropped() const { return dropped_; }

  // Forgets everything, the Bloom filter too.
  void Clear();
  size_t size() const { return current_.count + old_.count; }

 private:
  struct Slot {
    uint64_t hash = 0;
    int64_t id = 0;                   // 0: empty
    uint32_t offset = 0, length = 0;  // the text in the generation's arena
  };
  struct Generation {
    std::vector<Slot> slots;  // a power of two, at most half full
    std::string arena;
    size_t count = 0;

    const Slot* Find(uint64_t hash, std::string_view text) const;
    void Add(uint64_t hash, std::string_view text, int64_t id);
    void Reset();

   private:
    void Grow();
  };

  static uint64_t Hash(std::string_view s);
  bool Bit(uint64_t h) const { return bloom_[(h % kBloomBits) / 64] >> (h % 64) & 1; }
  void SetBit(uint64_t h) { bloom_[(h % kBloomBits) / 64] |= uint64_t{1} << (h % 64); }
  void Add(uint64_t hash, std::string_view text, int64_t id);

  size_t capacity_;
  Generation current_, old_;
  std::vector<uint64_t> bloom_;
  bool dropped_ = false;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_DICT_CACHE_H_
