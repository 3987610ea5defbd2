// Compact map keys for the tracker: a message is (host, queue id), an smtpd
// session is (host, pid) — plus the client for postscreen, one process for all.
// Hosts are interned to small integers; a key is a fixed-size value, so lookups
// build no strings and allocate nothing.
#ifndef MAILTRAIL_AGENT_TRACK_KEYS_H_
#define MAILTRAIL_AGENT_TRACK_KEYS_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/hash.h"
#include "base/queue_id.h"

namespace mailtrail {

// Syslog host names seen so far. Few per log (one per MTA), so never evicted;
// at most kMaxHosts, beyond which all new names share one overflow id.
class HostTable {
 public:
  static constexpr uint32_t kMaxHosts = 4096;
  uint32_t Id(std::string_view host) {
    if (last_id_ != kNone && host == names_[last_id_]) return last_id_;
    auto it = ids_.find(std::string(host));
    if (it == ids_.end()) {
      if (names_.size() >= kMaxHosts) return last_id_ = 0;
      it = ids_.emplace(std::string(host), static_cast<uint32_t>(names_.size())).first;
      names_.emplace_back(host);
    }
    return last_id_ = it->second;
  }
  const std::string& Name(uint32_t id) const { return names_.at(id); }
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }

 private:
  static constexpr uint32_t kNone = ~0u;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  uint32_t last_id_ = kNone;
};

struct RecordKey {
  uint32_t host = 0;
  uint8_t len = 0;
  char qid[kMaxQueueIdLength] = {};

  // `qid` longer than a queue id (never from the parsers) is cut: still a key.
  RecordKey(uint32_t h, std::string_view q) : host(h) {
    len = static_cast<uint8_t>(q.size() < sizeof qid ? q.size() : sizeof qid);
    std::memcpy(qid, q.data(), len);
  }
  RecordKey() = default;
  // The bytes of `qid` after `len` are always zero (both constructors), so
  // keys compare and hash as three fixed words, not byte by byte: every log
  // line looks up its message once or more (issue 23's profile).
  uint64_t Word(size_t i) const {
    uint64_t w = 0;
    std::memcpy(&w, qid + 8 * i, i < 2 ? 8 : sizeof qid - 16);
    return w;
  }
  bool operator==(const RecordKey& o) const {
    return host == o.host && len == o.len && Word(0) == o.Word(0) && Word(1) == o.Word(1) &&
           Word(2) == o.Word(2);
  }
};
static_assert(kMaxQueueIdLength > 16 && kMaxQueueIdLength <= 24);

// Not a stored value (unlike Fnv1a64): an in-memory map's hash, free to change.
// Queue ids are made by Postfix, not chosen by the senders of the logged mail.
struct RecordKeyHash {
  size_t operator()(const RecordKey& k) const {
    uint64_t h = (k.Word(0) ^ (uint64_t{k.host} << 8 | k.len)) * 0x9E3779B97F4A7C15ULL;
    h = (h ^ (h >> 29) ^ k.Word(1)) * 0xBF58476D1CE4E5B9ULL;
    h = (h ^ (h >> 31) ^ k.Word(2)) * 0x94D049BB133111EBULL;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

struct SessionKey {
  uint32_t host = 0;
  uint32_t pid = 0;
  uint64_t client = 0;  // postscreen only: a hash of the client address
  bool operator==(const SessionKey& o) const {
    return host == o.host && pid == o.pid && client == o.client;
  }
};

struct SessionKeyHash {
  size_t operator()(const SessionKey& k) const {
    return std::hash<uint64_t>{}((static_cast<uint64_t>(k.host) << 32 | k.pid) ^ k.client);
  }
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_KEYS_H_
