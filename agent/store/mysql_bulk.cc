// MysqlStore's bulk load (`mailtrail replay` into an empty store): message
// and rcpt are written without most of their secondary indexes, which are
// added once at the end. InnoDB builds an index from sorted rows for far less
// than it costs to update it row by row: a replay of gen-5M took 19 server
// CPU-seconds with the indexes, 10 without them, their build included
// (docs/benchmarks.md, "MariaDB: indexes added after a bulk load").
//
// Each index left out waits in mailtrail_meta as 'deferred_index:TABLE.NAME'
// with its columns, written before the index is dropped, so a load cut short
// is repaired by a writer of the store: at its first connection, and after
// a batch at most once a minute (a writer may have opened the store before
// the load began; the check is one small query), and by `db migrate` before
// it migrates. The loading session holds a named lock for
// the whole load: the repair, and a second load into the same empty store,
// keep away meanwhile. The server frees the lock when the session ends,
// however it ends.
#include <array>
#include <cctype>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"
#include "base/real_clock.h"

namespace mailtrail {

namespace {
// The schema's own secondary indexes that a load may leave out. Not
// message_first_seen: the searches name it (FORCE INDEX, mysql_search.cc),
// and rows come to it in about time order, cheaply. Nothing unique, and no
// index of someone else's, whose attributes the columns would not carry.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kDeferrable = {{
    {"message", "message_qid"},
    {"message", "message_sender"},
    {"message", "message_client_ip"},
    {"message", "message_message_id"},
    {"message", "message_subject"},
    {"rcpt", "rcpt_addr"},
    {"rcpt", "rcpt_orig"},
}};
// Leaving the indexes out and adding them back costs 15-20 ms of DDL even
// for a few rows; a replay saves about 1 us a line by it (docs/benchmarks.md).
// A log of 4 MiB has some 25,000 lines.
constexpr int64_t kBulkMinInputBytes = 4 << 20;
// The DDL runs in a session of its own with this read timeout: adding the
// indexes of a large store takes minutes, not the seconds a batch is given.
constexpr int kDdlTimeoutSeconds = 24 * 3600;
// Dropping waits at most this long for the tables' metadata lock (a long
// report's transaction): meanwhile every other session's statements on the
// table queue behind it. After that the load keeps its indexes.
constexpr int kDropLockWaitSeconds = 5;
constexpr TimeUs kRepairEvery = 60 * kUsPerSecond;
constexpr std::string_view kMetaPrefix = "deferred_index:";

// Server-wide, so per database, as the agents' locks are (mysql_store.cc).
const char* const kLockName = "CONCAT('mailtrail_bulk_', LEFT(SHA2(LOWER(DATABASE()), 256), 40))";

bool TryLock(sql::Connection* c, int wait_seconds) {
  auto rs = mysql::Query(
      c, std::string("SELECT GET_LOCK(") + kLockName + ", " + std::to_string(wait_seconds) + ")");
  return rs->next() && !rs->isNull(1) && rs->getInt(1) == 1;
}

bool IsDeferrable(std::string_view table, std::string_view index) {
  for (const auto& [t, i] : kDeferrable)
    if (t == table && i == index) return true;
  return false;
}

bool IsName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (unsigned char ch : s)
    if (!std::isalnum(ch) && ch != '_') return false;
  return true;
}

// The ADD clause of `columns` as BeginBulkLoad notes them: "col[(n)],...",
// names and prefix lengths only. Empty if they are anything else: the clause
// is run as SQL.
std::string AddClause(const std::string& index, std::string_view columns) {
  std::string out = "ADD INDEX `" + index + "` (";
  size_t begin = 0;
  while (begin <= columns.size()) {
    size_t end = columns.find(',', begin);
    if (end == std::string_view::npos) end = columns.size();
    std::string_view col = columns.substr(begin, end - begin);
    std::string_view prefix;
    if (const size_t paren = col.find('('); paren != std::string_view::npos) {
      if (col.back() != ')') return "";
      prefix = col.substr(paren + 1, col.size() - paren - 2);
      col = col.substr(0, paren);
      if (prefix.empty() || prefix.size() > 4) return "";
      for (char ch : prefix)
        if (ch < '0' || ch > '9') return "";
    }
    if (!IsName(col)) return "";
    out += (begin == 0 ? "`" : ", `") + std::string(col) + "`";
    if (!prefix.empty()) out += "(" + std::string(prefix) + ")";
    begin = end + 1;
  }
  return out + ")";
}

// The deferrable indexes there are, by table: index -> "col[(n)],...".
// Throws sql::SQLException.
using IndexColumns = std::map<std::string, std::map<std::string, std::string>>;
IndexColumns DeferrableIndexes(sql::Connection* c) {
  auto rs = mysql::Query(
      c,
      "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART"
      " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
      " AND TABLE_NAME IN ('message', 'rcpt') ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX");
  IndexColumns out;
  while (rs->next()) {
    const std::string table(rs->getString(1)), index(rs->getString(2));
    if (!IsDeferrable(table, index) || rs->getInt(3) == 0) continue;
    std::string& columns = out[table][index];
    if (!columns.empty()) columns += ",";
    columns += std::string(rs->getString(4));
    if (!rs->isNull(5)) columns += "(" + std::to_string(rs->getInt64(5)) + ")";
  }
  return out;
}

// Adds every index mailtrail_meta says was left out and is not there, one
// ALTER TABLE per table, then forgets them; a note that is not one of ours
// is forgotten unread. Throws sql::SQLException.
void RestoreIndexes(sql::Connection* c) {
  std::map<std::string, std::vector<std::string>> wanted;  // table -> ADD clauses
  std::vector<std::string> keys;
  {
    auto rs =
        mysql::Query(c, "SELECT k, v FROM mailtrail_meta WHERE LEFT(k, 15) = 'deferred_index:'");
    while (rs->next()) {
      const std::string k(rs->getString(1)), v(rs->getString(2));
      keys.push_back(k);
      const size_t dot = k.find('.', kMetaPrefix.size());
      if (dot == std::string::npos) continue;
      const std::string table = k.substr(kMetaPrefix.size(), dot - kMetaPrefix.size());
      const std::string index = k.substr(dot + 1);
      if (!IsDeferrable(table, index)) continue;
      const std::string clause = AddClause(index, v);
      if (!clause.empty()) wanted[table].push_back(index + "\n" + clause);
    }
  }
  if (keys.empty()) return;
  IndexColumns present = DeferrableIndexes(c);
  for (const auto& [table, list] : wanted) {
    std::string add;
    for (const auto& entry : list) {
      const size_t nl = entry.find('\n');
      if (present[table].count(entry.substr(0, nl)) == 0)
        add += (add.empty() ? "" : ", ") + entry.substr(nl + 1);
    }
    if (!add.empty()) mysql::Execute(c, "ALTER TABLE " + table + " " + add);
  }
  std::unique_ptr<sql::PreparedStatement> forget(
      c->prepareStatement("DELETE FROM mailtrail_meta WHERE k = ?"));
  for (const auto& k : keys) {
    forget->setString(1, k);
    forget->executeUpdate();
  }
}

int64_t DeferredCount(sql::Connection* c) {
  auto rs =
      mysql::Query(c, "SELECT COUNT(*) FROM mailtrail_meta WHERE LEFT(k, 15) = 'deferred_index:'");
  return rs->next() ? rs->getInt64(1) : 0;
}
}  // namespace

Status MysqlStore::BeginBulkLoad(int64_t input_bytes) {
  if (options_.agent_name.empty() || bulk_) return Status::Ok();
  if (input_bytes != kInputUnknown && input_bytes < kBulkMinInputBytes) return Status::Ok();
  if (Status st = EnsureConnected(); !st.ok()) return st;
  std::unique_ptr<sql::Connection> c;
  try {
    c = NewSession(kDdlTimeoutSeconds);
    // Another load (or a repair) runs: this one writes its rows with their
    // indexes. Returning closes the session, and frees the lock.
    if (!TryLock(c.get(), 0)) return Status::Ok();
    auto rs = mysql::Query(
        c.get(), "SELECT NOT EXISTS (SELECT 1 FROM message) AND NOT EXISTS (SELECT 1 FROM rcpt)");
    if (!rs->next() || rs->getInt(1) != 1) return Status::Ok();
    std::unique_ptr<sql::PreparedStatement> note(c->prepareStatement(
        "INSERT INTO mailtrail_meta (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)"));
    mysql::Execute(c.get(),
                   "SET SESSION lock_wait_timeout = " + std::to_string(kDropLockWaitSeconds));
    for (const auto& [table, indexes] : DeferrableIndexes(c.get())) {
      std::string drop;
      for (const auto& [index, columns] : indexes) {
        if (AddClause(index, columns).empty()) continue;  // could not be put back: kept
        note->setString(1, std::string(kMetaPrefix) + table + "." + index);
        note->setString(2, columns);
        note->executeUpdate();
        drop += (drop.empty() ? "DROP INDEX `" : ", DROP INDEX `") + index + "`";
      }
      if (!drop.empty()) mysql::Execute(c.get(), "ALTER TABLE " + table + " " + drop);
    }
    mysql::Execute(c.get(), "SET SESSION lock_wait_timeout = DEFAULT");
    bulk_ = std::move(c);
    return Status::Ok();
  } catch (const sql::SQLException& e) {
    // Nothing could be dropped (a report held the tables past the wait, no
    // ALTER right) or only part: what was is put back, and the load writes
    // its rows with their indexes. If even that fails, the notes stay for
    // the next repair.
    if (!c) return mysql::FromException(e, "open a session for the bulk load");
    try {
      mysql::Execute(c.get(), "SET SESSION lock_wait_timeout = DEFAULT");
      RestoreIndexes(c.get());
    } catch (const sql::SQLException& again) {
      return mysql::FromException(again, "put back the indexes of a bulk load that failed");
    }
    if (options_.log)
      options_.log->Warn("bulk load: the indexes are kept while it writes (" +
                         mysql::FromException(e, "leave them out").message() + ")");
    return Status::Ok();
  }
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

MysqlStore::Repair MysqlStore::RestoreDeferredIndexes() {
  if (DeferredCount(conn_.get()) == 0) return Repair::kNothingDeferred;
  std::unique_ptr<sql::Connection> c = NewSession(kDdlTimeoutSeconds);
  if (!TryLock(c.get(), 0)) return Repair::kLoadRunning;  // its end puts them back
  if (options_.log)
    options_.log->Warn(
        "adding the indexes of message and rcpt that a bulk load cut short left out");
  RestoreIndexes(c.get());
  return Repair::kRestored;
}

void MysqlStore::RepairDeferredIndexes() {
  if (bulk_ || options_.agent_name.empty()) return;  // this store's own load
  static const RealClock kSystemClock;
  const TimeUs now = (options_.clock ? options_.clock : &kSystemClock)->MonotonicNow();
  try {
    indexes_checked_ = RestoreDeferredIndexes() != Repair::kLoadRunning;
  } catch (const sql::SQLException& e) {
    // Not the writer's failure: its records go in all the same, and the
    // repair is tried again a minute later.
    if (options_.log)
      options_.log->Limited(
          LogLevel::kWarn, "mysql.index_repair",
          mysql::FromException(e, "add the indexes a bulk load cut short left out").message() +
              "; tried again in a minute",
          now);
  }
  next_index_repair_ = now + kRepairEvery;
}

void MysqlStore::RetryIndexRepair() {
  static const RealClock kSystemClock;
  if ((options_.clock ? options_.clock : &kSystemClock)->MonotonicNow() < next_index_repair_)
    return;
  RepairDeferredIndexes();
}

}  // namespace mailtrail
