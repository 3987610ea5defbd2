// MysqlStore's agent status rows (Store::SaveAgentStatus,
// schema/mysql/0006_agent_status.sql).
#include <memory>
#include <string>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

namespace mailtrail {

namespace {
constexpr const char* kColumns =
    "agent, updated, started, last_line, lag_seconds, lines_read, lines_per_second, unknown_lines, "
    "records, open_messages, backlog_bytes, queue_files_read, queue_files_vanished, "
    "queue_read_errors";
}  // namespace

Status MysqlStore::SaveAgentStatus(const AgentStatus& s) {
  // Once; a lost connection is made again by the next call, a few seconds on.
  if (Status st = EnsureConnected(); !st.ok()) return st;
  try {
    std::unique_ptr<sql::PreparedStatement> up(
        conn_->prepareStatement(std::string("REPLACE INTO agent_status (") + kColumns +
                                ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    up->setString(1, s.agent);
    up->setInt64(2, s.updated);
    up->setInt64(3, s.started);
    up->setInt64(4, s.last_line);
    up->setDouble(5, s.lag_seconds);
    up->setInt64(6, s.lines);
    up->setDouble(7, s.lines_per_second);
    up->setInt64(8, s.unknown_lines);
    up->setInt64(9, s.records);
    up->setInt64(10, s.open_messages);
    up->setInt64(11, s.backlog_bytes);
    up->setInt64(12, s.queue_files_read);
    up->setInt64(13, s.queue_files_vanished);
    up->setInt64(14, s.queue_read_errors);
    up->executeUpdate();
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "save agent status");
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
  return Status::Ok();
}

StatusOr<std::vector<AgentStatus>> MysqlStore::ListAgentStatus() {
  if (Status st = EnsureConnected(); !st.ok()) return st;
  std::vector<AgentStatus> out;
  try {
    std::unique_ptr<sql::ResultSet> rs(mysql::Query(
        conn_.get(), std::string("SELECT ") + kColumns + " FROM agent_status ORDER BY agent"));
    while (rs->next()) {
      AgentStatus s;
      s.agent = rs->getString(1);
      s.updated = rs->getInt64(2);
      s.started = rs->getInt64(3);
      s.last_line = rs->getInt64(4);
      s.lag_seconds = rs->getDouble(5);
      s.lines = rs->getInt64(6);
      s.lines_per_second = rs->getDouble(7);
      s.unknown_lines = rs->getInt64(8);
      s.records = rs->getInt64(9);
      s.open_messages = rs->getInt64(10);
      s.backlog_bytes = rs->getInt64(11);
      s.queue_files_read = rs->getInt64(12);
      s.queue_files_vanished = rs->getInt64(13);
      s.queue_read_errors = rs->getInt64(14);
      out.push_back(std::move(s));
    }
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "list agent status");
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
  return out;
}

}  // namespace mailtrail
