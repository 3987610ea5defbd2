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
  bool operator==(const RecordKey& o) const {
    return host == o.host && len == o.len && std::memcmp(qid, o.qid, len) == 0;
  }
};

struct RecordKeyHash {
  size_t operator()(const RecordKey& k) const {
    const uint64_t h = Fnv1a64(std::string_view(k.qid, k.len), kFnvOffset ^ k.host);
    return static_cast<size_t>(h ^ (h >> 29));
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
