#include "agent/store/dict_cache.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace mailtrail {

namespace {
constexpr size_t kFirstSlots = 1024;

uint64_t Mix(uint64_t h) {  // splitmix64's finalizer: every input bit moves every output bit
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}
}  // namespace

DictCache::DictCache(size_t capacity)
    : capacity_(capacity ? capacity : 1), bloom_(kBloomBits / 64) {}

// Eight bytes at a time: texts here are 10-60 bytes, where FNV's byte loop costs
// several times more. Only in memory (the Bloom filter and the tables), never
// stored: the dictionary's stored hash is base/hash.h's.
uint64_t DictCache::Hash(std::string_view s) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ s.size();
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = Mix(h ^ w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  return Mix(h ^ tail ^ (uint64_t{n} << 56));
}

bool DictCache::MaybeSeen(const Key& k) const {
  return Bit(k.hash) && Bit(k.hash >> 23 | k.hash << 41);
}

int64_t DictCache::Find(const Key& k) {
  if (const Slot* s = current_.Find(k.hash, k.text)) return s->id;
  const Slot* s = old_.Find(k.hash, k.text);
  if (s == nullptr) return 0;
  const int64_t id = s->id;
  Add(k.hash, k.text, id);  // promoted: may turn `old_` over, so `s` is not used after
  return id;
}

void DictCache::Insert(const Key& k, int64_t id) {
  SetBit(k.hash);
  SetBit(k.hash >> 23 | k.hash << 41);
  Add(k.hash, k.text, id);
}

void DictCache::Add(uint64_t hash, std::string_view text, int64_t id) {
  if (current_.count >= capacity_) {
    dropped_ |= old_.count != 0;
    std::swap(old_, current_);
    current_.Reset();  // keeps the older generation's memory for the new one
  }
  current_.Add(hash, text, id);
}

void DictCache::Clear() {
  current_.Reset();
  old_.Reset();
  std::fill(bloom_.begin(), bloom_.end(), 0);
  dropped_ = false;
}

const DictCache::Slot* DictCache::Generation::Find(uint64_t hash, std::string_view text) const {
  if (slots.empty()) return nullptr;
  const size_t mask = slots.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots[i];
    if (s.id == 0) return nullptr;
    if (s.hash == hash && s.length == text.size() &&
        std::memcmp(arena.data() + s.offset, text.data(), text.size()) == 0)
      return &s;
  }
}

void DictCache::Generation::Add(uint64_t hash, std::string_view text, int64_t id) {
  if (Find(hash, text) != nullptr) return;
  if (arena.size() + text.size() > UINT32_MAX) return;  // not cached; the table still has it
  if ((count + 1) * 2 > slots.size()) Grow();
  const size_t mask = slots.size() - 1;
  size_t i = hash & mask;
  while (slots[i].id != 0) i = (i + 1) & mask;
  slots[i] = {hash, id, static_cast<uint32_t>(arena.size()), static_cast<uint32_t>(text.size())};
  arena.append(text);
  ++count;
}

void DictCache::Generation::Grow() {
  std::vector<Slot> bigger(std::max(kFirstSlots, slots.size() * 2));
  const size_t mask = bigger.size() - 1;
  for (const Slot& s : slots) {
    if (s.id == 0) continue;
    size_t i = s.hash & mask;
    while (bigger[i].id != 0) i = (i + 1) & mask;
    bigger[i] = s;
  }
  slots.swap(bigger);
}

void DictCache::Generation::Reset() {
  std::fill(slots.begin(), slots.end(), Slot{});
  arena.clear();
  count = 0;
}

}  // namespace mailtrail
