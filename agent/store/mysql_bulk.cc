// MysqlStore's bulk load (`mailtrail replay` into an empty store): message
// and rcpt are written without most of their secondary indexes, which are
// added once at the end. InnoDB builds an index from sorted rows for far less
// than it costs to update it row by row: a replay of gen-5M took 19 server
// CPU-seconds with the indexes, 10 without them, their build included
// (docs/benchmarks.md, "MariaDB: indexes added after a bulk load").
//
// Each index left out waits in mailtrail_meta as 'deferred_index:TABLE.NAME',
// written before the index is dropped, so a load cut short is repaired by a
// writer of the store: when it connects, and after a batch at most once a
// minute (a writer may have opened the store before the load began; the
// look is one small query), and by `db migrate` before it migrates. The
// loading session holds a named lock for the whole load: the repair, and a
// second load into the same empty store, keep away meanwhile. The server
// frees the lock when the session ends, however it ends.
#include <array>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"
#include "base/text.h"

namespace mailtrail {

namespace {
// The schema's own secondary indexes of message and rcpt, as the migrations
// leave them (schema/mysql/; mysql_bulk_test.cc compares): what a repair
// adds back is these, never text read from the database. A load leaves out
// the ones marked, all but message_first_seen: the searches name that one
// (FORCE INDEX, mysql_search.cc), and rows reach it in about time order,
// cheaply. An index whose columns differ from these is kept.
struct SchemaIndex {
  std::string_view table, name, columns;  // columns: "col[(prefix)],..." as
                                          // information_schema gives them
  bool left_out_by_a_load;
};
constexpr std::array<SchemaIndex, 8> kSchemaIndexes = {{
    {"message", "message_first_seen", "first_seen,id", false},
    {"message", "message_qid", "qid", true},
    {"message", "message_sender", "sender", true},
    {"message", "message_client_ip", "client_ip", true},
    {"message", "message_message_id", "message_id(48)", true},
    {"message", "message_subject", "subject", true},
    {"rcpt", "rcpt_addr", "addr,first_seen,message", true},
    {"rcpt", "rcpt_orig", "orig,first_seen,message", true},
}};
// Leaving the indexes out and adding them back costs 15-20 ms of DDL even
// for a few rows; a replay saves about 1 us a line by it (docs/benchmarks.md).
// A log of 4 MiB has some 25,000 lines.
constexpr int64_t kBulkMinInputBytes = 4 << 20;
// The DDL runs in a session of its own with this read timeout: adding the
// indexes of a large store takes minutes, not the seconds a batch is given.
constexpr int kDdlTimeoutSeconds = 24 * 3600;
// DDL that is not the replay's own end waits at most this long for the
// tables' metadata lock (held by a long report's transaction, a backup):
// meanwhile every other statement on the tables queues behind it. A load
// then keeps its indexes; a writer's repair tries again a minute later.
constexpr int kLockWaitSeconds = 5;
constexpr TimeUs kRepairEvery = 60 * kUsPerSecond;
constexpr std::string_view kMetaPrefix = "deferred_index:";
const char* const kNotes = "FROM mailtrail_meta WHERE LEFT(k, 15) = 'deferred_index:'";

std::string LockName() { return mysql::PerDatabaseLock("mailtrail_bulk_"); }

using mysql::SetLockWait;

const SchemaIndex* Find(std::string_view table, std::string_view name) {
  for (const SchemaIndex& i : kSchemaIndexes)
    if (i.table == table && i.name == name) return &i;
  return nullptr;
}

// "ADD INDEX `name` (`col`[(prefix)], ...)".
std::string AddClause(const SchemaIndex& i) {
  std::string columns;
  size_t begin = 0;
  while (begin < i.columns.size()) {
    size_t end = i.columns.find(',', begin);
    if (end == std::string_view::npos) end = i.columns.size();
    const std::string_view column = i.columns.substr(begin, end - begin);
    const size_t paren = column.find('(');
    columns += (columns.empty() ? "`" : ", `") + std::string(column.substr(0, paren)) + "`";
    if (paren != std::string_view::npos) columns += std::string(column.substr(paren));
    begin = end + 1;
  }
  return "ADD INDEX `" + std::string(i.name) + "` (" + columns + ")";
}

// The secondary indexes of message and rcpt there are: "table.name" ->
// "col[(prefix)],...". Throws sql::SQLException.
std::map<std::string, std::string> IndexesThere(sql::Connection* c) {
  auto rs = mysql::Query(
      c,
      "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS"
      " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('message', 'rcpt')"
      " AND INDEX_NAME <> 'PRIMARY' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX");
  std::map<std::string, std::string> out;
  while (rs->next()) {
    std::string& columns = out[std::string(rs->getString(1)) + "." + std::string(rs->getString(2))];
    if (!columns.empty()) columns += ",";
    columns += std::string(rs->getString(3));
    if (!rs->isNull(4)) columns += "(" + std::to_string(rs->getInt64(4)) + ")";
  }
  return out;
}

// Adds back every schema index mailtrail_meta notes as left out and that is
// not there, one ALTER TABLE per table, then forgets the notes; a note of
// anything else is forgotten and said. Throws sql::SQLException.
void RestoreIndexes(sql::Connection* c, Logger* log) {
  std::vector<std::string> keys;
  std::map<std::string_view, std::string> add;  // table -> ADD clauses
  const std::map<std::string, std::string> there = IndexesThere(c);
  {
    auto rs = mysql::Query(c, std::string("SELECT k ") + kNotes);
    while (rs->next()) keys.emplace_back(rs->getString(1));
  }
  for (const std::string& k : keys) {
    const std::string what = k.substr(kMetaPrefix.size());
    const size_t dot = what.find('.');
    const SchemaIndex* i =
        dot == std::string::npos ? nullptr : Find(what.substr(0, dot), what.substr(dot + 1));
    if (i == nullptr) {
      if (log) log->Warn("mailtrail_meta names no index of mailtrail's: " + EscapeForLog(k, 200));
      continue;
    }
    if (there.count(what) != 0) continue;
    std::string& clauses = add[i->table];
    clauses += (clauses.empty() ? "" : ", ") + AddClause(*i);
  }
  for (const auto& [table, clauses] : add)
    mysql::Execute(c, "ALTER TABLE " + std::string(table) + " " + clauses);
  std::unique_ptr<sql::PreparedStatement> forget(
      c->prepareStatement("DELETE FROM mailtrail_meta WHERE k = ?"));
  for (const auto& k : keys) {
    forget->setString(1, k);
    forget->executeUpdate();
  }
}

int64_t DeferredCount(sql::Connection* c) {
  auto rs = mysql::Query(c, std::string("SELECT COUNT(*) ") + kNotes);
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
    if (!mysql::GetLock(c.get(), LockName(), 0)) return Status::Ok();
    auto rs = mysql::Query(
        c.get(), "SELECT NOT EXISTS (SELECT 1 FROM message) AND NOT EXISTS (SELECT 1 FROM rcpt)");
    if (!rs->next() || rs->getInt(1) != 1) return Status::Ok();
    std::unique_ptr<sql::PreparedStatement> note(c->prepareStatement(
        "INSERT INTO mailtrail_meta (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)"));
    const std::map<std::string, std::string> there = IndexesThere(c.get());
    std::map<std::string_view, std::string> drop;  // table -> DROP clauses
    for (const SchemaIndex& i : kSchemaIndexes) {
      const std::string what = std::string(i.table) + "." + std::string(i.name);
      const auto it = there.find(what);
      if (!i.left_out_by_a_load || it == there.end() || it->second != i.columns) continue;
      note->setString(1, std::string(kMetaPrefix) + what);
      note->setString(2, std::string(i.columns));  // for whoever reads the table
      note->executeUpdate();
      std::string& clauses = drop[i.table];
      clauses += (clauses.empty() ? "DROP INDEX `" : ", DROP INDEX `") + std::string(i.name) + "`";
    }
    {
      mysql::LockWaitFor wait(c.get(), kLockWaitSeconds);
      for (const auto& [table, clauses] : drop)
        mysql::Execute(c.get(), "ALTER TABLE " + std::string(table) + " " + clauses);
    }
    bulk_ = std::move(c);
    return Status::Ok();
  } catch (const sql::SQLException& e) {
    if (!c) return mysql::FromException(e, "open a session for the bulk load");
    // Nothing could be dropped (a transaction held the tables past the
    // wait, no ALTER right, a lost connection) or only part: what was is put
    // back, and the load writes its rows with their indexes. If even that
    // fails, the notes stay for the next repair.
    const Status why = mysql::FromException(e, "leave the indexes out");
    Status back = Status::Ok();
    try {
      RestoreIndexes(c.get(), options_.log);  // with the default wait (LockWaitFor)
    } catch (const sql::SQLException& again) {
      back = mysql::FromException(again, "put back the indexes of a bulk load that failed");
      if (back.code() == Status::Code::kUnavailable) back = RestoreInNewSession();
    }
    if (!back.ok()) return back;
    if (options_.log)
      options_.log->Warn("bulk load: the indexes are kept while it writes (" + why.message() + ")");
    return Status::Ok();
  }
}

// The session that held the load's lock died, and the lock with it: its
// notes are put back from a new one, after any repair that began meanwhile.
Status MysqlStore::RestoreInNewSession() {
  try {
    std::unique_ptr<sql::Connection> c = NewSession(kDdlTimeoutSeconds);
    if (!mysql::GetLock(c.get(), LockName(), kDdlTimeoutSeconds))
      return Status::Unavailable("another session holds the bulk load's lock");
    RestoreIndexes(c.get(), options_.log);
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "add the indexes a bulk load left out");
  }
  return Status::Ok();
}

Status MysqlStore::EndBulkLoad() {
  if (!bulk_) return Status::Ok();
  std::unique_ptr<sql::Connection> c = std::move(bulk_);
  try {
    // The replay's own end waits for the tables as long as it takes.
    RestoreIndexes(c.get(), options_.log);
    return Status::Ok();
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "add the indexes a bulk load left out");
    if (st.code() != Status::Code::kUnavailable) return st;
  }
  return RestoreInNewSession();
}

bool MysqlStore::RestoreDeferredIndexes(int lock_wait_seconds) {
  if (DeferredCount(conn_.get()) == 0) return true;
  std::unique_ptr<sql::Connection> c = NewSession(kDdlTimeoutSeconds);
  if (!mysql::GetLock(c.get(), LockName(), 0)) return false;  // its end puts them back
  if (options_.log)
    options_.log->Warn(
        "adding the indexes of message and rcpt that a bulk load cut short left out");
  SetLockWait(c.get(), lock_wait_seconds);
  RestoreIndexes(c.get(), options_.log);
  return true;
}

void MysqlStore::RepairDeferredIndexes() {
  if (bulk_ || options_.agent_name.empty()) return;  // this store's own load
  const TimeUs now = clock().MonotonicNow();
  try {
    RestoreDeferredIndexes(kLockWaitSeconds);
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
  if (clock().MonotonicNow() < next_index_repair_) return;
  RepairDeferredIndexes();
}

}  // namespace mailtrail
