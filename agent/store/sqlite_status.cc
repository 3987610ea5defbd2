// SqliteStore's agent status rows (Store::SaveAgentStatus,
// schema/sqlite/0007_agent_status.sql).
#include <string>

#include "agent/store/sqlite_store.h"

namespace mailtrail {

namespace {
constexpr const char* kColumns =
    "agent, updated, started, last_line, lag_seconds, lines_read, lines_per_second, unknown_lines, "
    "records, open_messages, backlog_bytes, queue_files_read, queue_files_vanished, "
    "queue_read_errors";
}  // namespace

Status SqliteStore::SaveAgentStatus(const AgentStatus& s) {
  if (Status st = StillAtItsPath(); !st.ok()) return st;  // not into a deleted file
  auto st = db_.Prepare(std::string("INSERT OR REPLACE INTO agent_status (") + kColumns +
                        ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!st.ok()) return db_.Error("save agent status");
  st->BindText(1, s.agent);
  st->BindInt(2, s.updated);
  st->BindInt(3, s.started);
  st->BindInt(4, s.last_line);
  st->BindDouble(5, s.lag_seconds);
  st->BindInt(6, s.lines);
  st->BindDouble(7, s.lines_per_second);
  st->BindInt(8, s.unknown_lines);
  st->BindInt(9, s.records);
  st->BindInt(10, s.open_messages);
  st->BindInt(11, s.backlog_bytes);
  st->BindInt(12, s.queue_files_read);
  st->BindInt(13, s.queue_files_vanished);
  st->BindInt(14, s.queue_read_errors);
  if (st->Step() != SQLITE_DONE) return db_.Error("save agent status");
  return Status::Ok();
}

StatusOr<std::vector<AgentStatus>> SqliteStore::ListAgentStatus() {
  auto q = db_.Prepare(std::string("SELECT ") + kColumns + " FROM agent_status ORDER BY agent");
  if (!q.ok()) {
    // A store of an older schema opened read-only: no agent wrote a row.
    if (db_.Error("").message().find("no such table") != std::string::npos)
      return std::vector<AgentStatus>{};
    return db_.Error("list agent status");
  }
  std::vector<AgentStatus> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    AgentStatus s;
    s.agent = q->Text(0);
    s.updated = q->Int(1);
    s.started = q->Int(2);
    s.last_line = q->Int(3);
    s.lag_seconds = q->Double(4);
    s.lines = q->Int(5);
    s.lines_per_second = q->Double(6);
    s.unknown_lines = q->Int(7);
    s.records = q->Int(8);
    s.open_messages = q->Int(9);
    s.backlog_bytes = q->Int(10);
    s.queue_files_read = q->Int(11);
    s.queue_files_vanished = q->Int(12);
    s.queue_read_errors = q->Int(13);
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return db_.Error("list agent status");
  return out;
}

}  // namespace mailtrail
