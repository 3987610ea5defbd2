#include "agent/store/mysql_dictionary.h"

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
}

void MysqlDictionary::Clear() {
  BeginBatch();
  for (auto& c : cache_) c.Clear();
}

void MysqlDictionary::Need(Kind kind, std::string_view text) {
  Map& m = batch(kind);
  if (m.find(std::string(text)) != m.end()) return;
  m.emplace(std::string(text), cache_[kind].Find(text));
  if (kind == kAddress) {
    const std::string domain = DomainOf(text);
    if (!domain.empty()) Need(kDomain, domain);
  }
}

int64_t MysqlDictionary::Id(Kind kind, std::string_view text) const {
  const Map& m = batch_[kind];
  auto it = m.find(std::string(text));
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

Status MysqlDictionary::Resolve(sql::Connection* c) {
  // Domains first: an address row names its domain's id.
  for (Kind k : {kDomain, kAddress, kName, kSubject}) {
    if (Status st = ResolveKind(c, k); !st.ok()) return st;
  }
  return Status::Ok();
}

Status MysqlDictionary::ResolveKind(sql::Connection* c, Kind kind) {
  Map& m = batch(kind);
  std::vector<std::pair<const std::string*, int64_t*>> pending;
  for (auto& [text, id] : m)
    if (id == 0) pending.emplace_back(&text, &id);
  const std::string table = Table(kind);
  try {
    for (int probe = 0; probe < kProbes && !pending.empty(); ++probe) {
      std::vector<std::pair<const std::string*, int64_t*>> next;
      for (size_t begin = 0; begin < pending.size(); begin += kChunk) {
        const size_t end = std::min(pending.size(), begin + kChunk);
        // Which of the candidate ids exist, and with which text?
        std::string ids;
        for (size_t i = begin; i < end; ++i) {
          if (i > begin) ids += ',';
          ids += std::to_string(ProbeId(kind, *pending[i].first, probe));
        }
        std::unordered_map<int64_t, std::string> existing;
        auto read = [&] {
          existing.clear();
          auto rs = mysql::Query(c, "SELECT id, text FROM " + table + " WHERE id IN (" + ids + ")");
          while (rs->next()) existing.emplace(rs->getInt64(1), std::string(rs->getString(2)));
        };
        read();
        std::string values;
        size_t inserts = 0;
        for (size_t i = begin; i < end; ++i) {
          const int64_t id = ProbeId(kind, *pending[i].first, probe);
          if (existing.count(id)) continue;
          if (!values.empty()) values += ',';
          values += '(' + std::to_string(id) + ',';
          if (kind == kAddress) {
            const std::string domain = DomainOf(*pending[i].first);
            const int64_t d = domain.empty() ? 0 : Id(kDomain, domain);
            values += (d ? std::to_string(d) : std::string("NULL")) + ',';
          }
          values += mysql::HexLiteral(*pending[i].first) + ')';
          ++inserts;
        }
        if (inserts > 0) {
          std::unique_ptr<sql::Statement> s(c->createStatement());
          const int added = s->executeUpdate(
              "INSERT IGNORE INTO " + table +
              (kind == kAddress ? " (id, domain, text)" : " (id, text)") + " VALUES " + values);
          // Another agent (or a colliding text of this batch) took some ids
          // first: read them back to see whose they are.
          if (static_cast<size_t>(added) < inserts) {
            read();
          } else {
            for (size_t i = begin; i < end; ++i) {
              const int64_t id = ProbeId(kind, *pending[i].first, probe);
              if (!existing.count(id)) existing.emplace(id, *pending[i].first);
            }
          }
        }
        for (size_t i = begin; i < end; ++i) {
          const int64_t id = ProbeId(kind, *pending[i].first, probe);
          auto it = existing.find(id);
          if (it != existing.end() && it->second == *pending[i].first) {
            *pending[i].second = id;
            cache_[kind].Insert(*pending[i].first, id);
          } else {
            next.push_back(pending[i]);  // the id belongs to another text
          }
        }
      }
      pending = std::move(next);
    }
  } catch (const sql::SQLException& e) {
    for (auto& [text, id] : pending) *id = 0;
    return mysql::FromException(e, std::string("dictionary ") + table);
  }
  if (!pending.empty())
    return Status::IoError(std::string("dictionary ") + table + ": " + std::to_string(kProbes) +
                           " ids in a row taken by other texts (hash flooding?)");
  return Status::Ok();
}

std::string MysqlDictionary::SelectIds(Kind kind, std::string_view text) {
  std::string ids;
  for (int probe = 0; probe < kProbes; ++probe) {
    if (probe) ids += ',';
    ids += std::to_string(ProbeId(kind, text, probe));
  }
  return std::string("(SELECT id FROM ") + Table(kind) + " WHERE id IN (" + ids +
         ") AND text = " + mysql::HexLiteral(text) + ")";
}

}  // namespace mailtrail
