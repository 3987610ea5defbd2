#include "agent/store/mysql_dictionary.h"

#include <algorithm>
#include <vector>

#include "agent/store/mysql_internal.h"
#include "agent/store/sqlite_codec.h"

namespace mailtrail {

namespace {
constexpr size_t kChunk = 500;  // texts per statement
}

MysqlDictionary::MysqlDictionary(size_t cache_entries) {
  for (auto& c : cache_) c = DictCache(cache_entries);
}

void MysqlDictionary::BeginBatch() {
  for (auto& m : batch_) m.clear();
  domains_.clear();
}

void MysqlDictionary::Clear() {
  BeginBatch();
  for (auto& c : cache_) c.Clear();
}

const int64_t* MysqlDictionary::Need(Kind kind, std::string_view text) {
  auto [it, fresh] = batch(kind).try_emplace(text, 0);
  if (!fresh) return &it->second;
  it->second = cache_[kind].Find(text);
  if (kind == kAddress && it->second == 0) {
    std::string domain = DomainOf(text);
    if (!domain.empty() && !batch_[kDomain].count(domain)) {
      domains_.push_back(std::move(domain));
      Need(kDomain, domains_.back());
    }
  }
  return &it->second;
}

int64_t MysqlDictionary::Id(Kind kind, std::string_view text) const {
  const Map& m = batch_[kind];
  auto it = m.find(text);
  return it == m.end() ? 0 : it->second;
}

int64_t MysqlDictionary::ProbeId(Kind kind, std::string_view text, int probe) {
  const uint64_t h = static_cast<uint64_t>(DictHash(kind, text)) + static_cast<uint64_t>(probe);
  return h == 0 ? 1 : static_cast<int64_t>(h);  // 0 means "unknown" in the cache
}

const char* MysqlDictionary::Table(Kind kind) {
  switch (kind) {
    case kAddress:
      return "dict_address";
    case kName:
      return "dict_name";
    case kSubject:
      return "dict_subject";
    case kDomain:
      return "dict_domain";
  }
  return "dict_name";
}

std::string MysqlDictionary::DomainOf(std::string_view address) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at + 1 == address.size()) return {};
  std::string d(address.substr(at + 1, 255));
  for (char& c : d)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return d;
}

void MysqlDictionary::Resolve(sql::Connection* c) {
  // Domains first: an address row names its domain's id.
  for (Kind k : {kDomain, kAddress, kName, kSubject}) ResolveKind(c, k);
}

// Per probe: INSERT IGNORE every pending text at its candidate id. Rows that
// went in are ours. Only when some did not (the text is stored already, or
// another text holds the id) are the candidates read back and compared.
void MysqlDictionary::ResolveKind(sql::Connection* c, Kind kind) {
  struct Pending {
    const std::string_view* text;
    int64_t* id;    // the batch map's entry
    int64_t h = 0;  // the candidate id of this probe
  };
  std::vector<Pending> pending;
  for (auto& [text, id] : batch(kind))
    if (id == 0) pending.push_back({&text, &id});
  const std::string table = Table(kind);
  for (int probe = 0; probe < kProbes && !pending.empty(); ++probe) {
    for (auto& p : pending) p.h = ProbeId(kind, *p.text, probe);
    // In id order: agents inserting the same texts lock them in the same order.
    std::sort(pending.begin(), pending.end(),
              [](const Pending& a, const Pending& b) { return a.h < b.h; });
    std::vector<Pending> next;
    for (size_t begin = 0; begin < pending.size(); begin += kChunk) {
      const size_t end = std::min(pending.size(), begin + kChunk);
      std::string values, ids;
      for (size_t i = begin; i < end; ++i) {
        const std::string id = std::to_string(pending[i].h);
        if (i > begin) {
          values += ',';
          ids += ',';
        }
        ids += id;
        values += '(' + id + ',';
        if (kind == kAddress) {
          const std::string domain = DomainOf(*pending[i].text);
          const int64_t d = domain.empty() ? 0 : Id(kDomain, domain);
          values += (d ? std::to_string(d) : std::string("NULL")) + ',';
        }
        values += mysql::HexLiteral(*pending[i].text) + ')';
      }
      std::unique_ptr<sql::Statement> s(c->createStatement());
      const size_t added = static_cast<size_t>(s->executeUpdate(
          "INSERT IGNORE INTO " + table +
          (kind == kAddress ? " (id, domain, text)" : " (id, text)") + " VALUES " + values));
      std::unordered_map<int64_t, std::string> stored;
      if (added < end - begin) {
        auto rs = mysql::Query(c, "SELECT id, text FROM " + table + " WHERE id IN (" + ids + ")");
        while (rs->next()) stored.emplace(rs->getInt64(1), std::string(rs->getString(2)));
      }
      for (size_t i = begin; i < end; ++i) {
        const Pending& p = pending[i];
        auto it = stored.find(p.h);
        if (added == end - begin ||
            (it != stored.end() && std::string_view(it->second) == *p.text)) {
          *p.id = p.h;
          cache_[kind].Insert(*p.text, p.h);
        } else {
          next.push_back(p);  // the id belongs to another text
        }
      }
    }
    pending = std::move(next);
  }
  if (!pending.empty())
    throw sql::SQLException("dictionary " + table + ": " + std::to_string(kProbes) +
                                " ids in a row taken by other texts (hash flooding?)",
                            "HY000", 0);
}

}  // namespace mailtrail
