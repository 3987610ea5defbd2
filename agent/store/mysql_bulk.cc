// MysqlStore's bulk load (`mailtrail replay` into an empty store): message
// and rcpt are written without their secondary indexes, which are added once
// at the end. InnoDB builds an index from sorted rows for far less than it
// costs to update it row by row: a replay of gen-5M took 18 server
// CPU-seconds with the indexes, 9 without them, their build included
// (docs/benchmarks.md, "MariaDB: indexes added after a bulk load").
//
// Each index left out waits in mailtrail_meta as 'deferred_index:TABLE.NAME'
// with its ADD clause, written before the index is dropped, so a load cut
// short is repaired by the next writer that opens the store. The loading
// session holds a named lock for the whole load: that repair, and a second
// load into the same empty store, keep away meanwhile. The server frees the
// lock when the session ends, however it ends.
#include <cctype>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

namespace mailtrail {

namespace {
// The DDL runs in a session of its own with this read timeout: adding the
// indexes of a large store takes minutes, not the seconds a batch is given.
constexpr int kDdlTimeoutSeconds = 24 * 3600;
// Leaving the indexes out and adding them back costs 15-20 ms of DDL even
// for a few rows; a replay saves about 1 us a line by it (docs/benchmarks.md).
// A log of 4 MiB has some 25,000 lines.
constexpr int64_t kBulkMinInputBytes = 4 << 20;
constexpr std::string_view kMetaPrefix = "deferred_index:";
constexpr size_t kMetaKeyMax = 64, kMetaValueMax = 255;  // mailtrail_meta's columns

// Server-wide, so per database, as the agents' locks are (mysql_store.cc).
const char* const kLockName = "CONCAT('mailtrail_bulk_', LEFT(SHA2(LOWER(DATABASE()), 256), 40))";

bool TryLock(sql::Connection* c, int wait_seconds) {
  auto rs = mysql::Query(
      c, std::string("SELECT GET_LOCK(") + kLockName + ", " + std::to_string(wait_seconds) + ")");
  return rs->next() && !rs->isNull(1) && rs->getInt(1) == 1;
}

std::string Quoted(const std::string& name) {
  std::string out = "`";
  for (char ch : name) out += ch == '`' ? std::string("``") : std::string(1, ch);
  return out + "`";
}

// An ADD clause as BeginBulkLoad writes them: it is run as SQL, so nothing
// else found in the table is (no quotes, no statement separators).
bool IsAddClause(const std::string& clause) {
  if (clause.rfind("ADD INDEX `", 0) != 0 && clause.rfind("ADD UNIQUE INDEX `", 0) != 0)
    return false;
  for (unsigned char ch : clause)
    if (!(std::isalnum(ch) || ch == '_' || ch == ' ' || ch == '`' || ch == '(' || ch == ')' ||
          ch == ','))
      return false;
  return true;
}

// The secondary indexes of message and rcpt: table -> index -> ADD clause.
// Throws sql::SQLException.
using IndexClauses = std::map<std::string, std::map<std::string, std::string>>;
IndexClauses SecondaryIndexes(sql::Connection* c) {
  auto rs = mysql::Query(c,
                         "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART"
                         " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
                         " AND TABLE_NAME IN ('message', 'rcpt') AND INDEX_NAME <> 'PRIMARY'"
                         " ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX");
  std::map<std::pair<std::string, std::string>, std::pair<bool, std::string>> parts;
  while (rs->next()) {
    auto& [unique, columns] = parts[{std::string(rs->getString(1)), std::string(rs->getString(2))}];
    unique = rs->getInt(3) == 0;
    if (!columns.empty()) columns += ", ";
    columns += Quoted(std::string(rs->getString(4)));
    if (!rs->isNull(5)) columns += "(" + std::to_string(rs->getInt64(5)) + ")";
  }
  IndexClauses out;
  for (const auto& [key, value] : parts)
    out[key.first][key.second] = std::string("ADD ") + (value.first ? "UNIQUE " : "") + "INDEX " +
                                 Quoted(key.second) + " (" + value.second + ")";
  return out;
}

// Adds every index mailtrail_meta says was left out and is not there, one
// ALTER TABLE per table, then forgets them. Throws sql::SQLException.
void RestoreIndexes(sql::Connection* c) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> wanted;  // by table
  std::vector<std::string> keys;
  {
    auto rs =
        mysql::Query(c, "SELECT k, v FROM mailtrail_meta WHERE LEFT(k, 15) = 'deferred_index:'");
    while (rs->next()) {
      const std::string k(rs->getString(1)), v(rs->getString(2));
      keys.push_back(k);
      const size_t dot = k.find('.', kMetaPrefix.size());
      if (dot == std::string::npos || !IsAddClause(v)) continue;
      const std::string table = k.substr(kMetaPrefix.size(), dot - kMetaPrefix.size());
      if (table != "message" && table != "rcpt") continue;
      wanted[table].emplace_back(k.substr(dot + 1), v);
    }
  }
  if (keys.empty()) return;
  IndexClauses present = SecondaryIndexes(c);
  for (const auto& [table, list] : wanted) {
    std::string add;
    for (const auto& [name, clause] : list)
      if (present[table].count(name) == 0) add += (add.empty() ? "" : ", ") + clause;
    if (!add.empty()) mysql::Execute(c, "ALTER TABLE " + table + " " + add);
  }
  std::unique_ptr<sql::PreparedStatement> forget(
      c->prepareStatement("DELETE FROM mailtrail_meta WHERE k = ?"));
  for (const auto& k : keys) {
    forget->setString(1, k);
    forget->executeUpdate();
  }
}
}  // namespace

Status MysqlStore::BeginBulkLoad(int64_t input_bytes) {
  if (options_.agent_name.empty() || bulk_) return Status::Ok();
  if (input_bytes != kInputUnknown && input_bytes < kBulkMinInputBytes) return Status::Ok();
  if (Status st = EnsureConnected(); !st.ok()) return st;
  try {
    std::unique_ptr<sql::Connection> c = NewSession(kDdlTimeoutSeconds);
    // Another load (or a repair) runs: this one writes its rows with their
    // indexes. Returning closes the session, and frees the lock.
    if (!TryLock(c.get(), 0)) return Status::Ok();
    auto rs = mysql::Query(
        c.get(), "SELECT NOT EXISTS (SELECT 1 FROM message) AND NOT EXISTS (SELECT 1 FROM rcpt)");
    if (!rs->next() || rs->getInt(1) != 1) return Status::Ok();
    std::unique_ptr<sql::PreparedStatement> note(c->prepareStatement(
        "INSERT INTO mailtrail_meta (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)"));
    for (const auto& [table, indexes] : SecondaryIndexes(c.get())) {
      std::string drop;
      for (const auto& [name, clause] : indexes) {
        const std::string key = std::string(kMetaPrefix) + table + "." + name;
        if (key.size() > kMetaKeyMax || clause.size() > kMetaValueMax || !IsAddClause(clause))
          continue;  // kept: it could not be put back
        note->setString(1, key);
        note->setString(2, clause);
        note->executeUpdate();
        drop += (drop.empty() ? "DROP INDEX " : ", DROP INDEX ") + Quoted(name);
      }
      if (!drop.empty()) mysql::Execute(c.get(), "ALTER TABLE " + table + " " + drop);
    }
    bulk_ = std::move(c);
  } catch (const sql::SQLException& e) {
    // What was dropped is in mailtrail_meta: the next writer to open the
    // store puts it back.
    return mysql::FromException(e, "leave the indexes out for a bulk load");
  }
  return Status::Ok();
}

Status MysqlStore::EndBulkLoad() {
  if (!bulk_) return Status::Ok();
  std::unique_ptr<sql::Connection> c = std::move(bulk_);
  try {
    RestoreIndexes(c.get());
    return Status::Ok();
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "add the indexes a bulk load left out");
    if (st.code() != Status::Code::kUnavailable) return st;
  }
  // The session died, and its lock with it: once more in a new one, after any
  // repair that began meanwhile.
  try {
    c = NewSession(kDdlTimeoutSeconds);
    if (!TryLock(c.get(), kDdlTimeoutSeconds))
      return Status::Unavailable("another session holds the bulk load's lock");
    RestoreIndexes(c.get());
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "add the indexes a bulk load left out");
  }
  return Status::Ok();
}

Status MysqlStore::RepairDeferredIndexes() {
  try {
    auto rs = mysql::Query(
        conn_.get(), "SELECT COUNT(*) FROM mailtrail_meta WHERE LEFT(k, 15) = 'deferred_index:'");
    if (!rs->next() || rs->getInt64(1) == 0) return Status::Ok();
    std::unique_ptr<sql::Connection> c = NewSession(kDdlTimeoutSeconds);
    if (!TryLock(c.get(), 0)) return Status::Ok();  // a load runs: its end puts them back
    if (options_.log)
      options_.log->Warn(
          "adding the indexes of message and rcpt that a bulk load cut short left out");
    RestoreIndexes(c.get());
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "add the indexes a bulk load cut short left out");
  }
  return Status::Ok();
}

}  // namespace mailtrail
