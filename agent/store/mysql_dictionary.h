// MysqlDictionary: the ids of repeated texts (addresses, domains, host names and
// relays, subjects) in the dict_* tables of a MySQL store.
//
// A text's id is its 64-bit hash (DictHash: FNV-1a of kind byte + text), or on a
// collision the next id after it (up to kProbes). Every agent derives the same
// id for the same text, so agents sharing a database need no locks and no
// lookups for texts they have cached; an insert is INSERT IGNORE, harmless when
// redone. A hostile sender can make FNV collide, never take over a text: a text
// counts as stored only after its row was read back with the same bytes.
//
// Use per batch: Need() every text, Resolve() once inside the batch's
// transaction (one INSERT IGNORE per kind for the texts not cached, a SELECT
// only when some were there already), then Id(). If the transaction rolls
// back, Clear(): the cache may name rows that are gone. Not thread-safe.
#ifndef MAILTRAIL_AGENT_STORE_MYSQL_DICTIONARY_H_
#define MAILTRAIL_AGENT_STORE_MYSQL_DICTIONARY_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/store/dict_cache.h"
#include "base/status.h"

namespace sql {
class Connection;
}

namespace mailtrail {

class MysqlDictionary {
 public:
  enum Kind : uint8_t { kAddress = 1, kName = 2, kSubject = 3, kDomain = 5 };
  static constexpr int kProbes = 16;

  explicit MysqlDictionary(size_t cache_entries = 131072);

  // Starts a batch: forgets the previous batch's texts (the cache keeps them).
  void BeginBatch();
  // Notes a text the batch will reference (it must stay alive and unchanged
  // until the batch is written). An address not cached notes its domain too
  // (its row names it). Returns where the text's id is after Resolve(), good
  // until the next BeginBatch(): a row bound from it needs no second look-up.
  const int64_t* Need(Kind kind, std::string_view text);
  // Finds or inserts every noted text that is not cached. Throws
  // sql::SQLException (also when kProbes ids in a row are taken).
  void Resolve(sql::Connection* c);
  // The id of a noted text after Resolve().
  int64_t Id(Kind kind, std::string_view text) const;
  // Forgets the cache (after a database was swapped under us, in tests).
  void Clear();

  static int64_t ProbeId(Kind kind, std::string_view text, int probe);
  static const char* Table(Kind kind);
  // The lower-cased domain of an address ("" when it has no "@").
  static std::string DomainOf(std::string_view address);

 private:
  // Keys view the batch's records (alive until the batch is written) or
  // domains_ (lower-cased copies): no string is copied per text.
  using Map = std::unordered_map<std::string_view, int64_t>;
  void ResolveKind(sql::Connection* c, Kind kind);
  Map& batch(Kind k) { return batch_[k]; }

  DictCache cache_[6];
  Map batch_[6];  // this batch's texts by kind: id, 0 while unresolved
  std::deque<std::string> domains_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_MYSQL_DICTIONARY_H_
