// MysqlStore's checkpoint: part 0 in the agent row, the rest in
// agent_checkpoint_part, written inside a batch's transaction (mysql_write.cc)
// and read back at the start.
#include <memory>
#include <string>
#include <vector>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

namespace mailtrail {

// Part 0 of a replacement is agent.checkpoint (the batch's agent-row update
// writes it); every other part is an agent_checkpoint_part row, in seq order.
void MysqlStore::WriteCheckpointParts(const CheckpointUpdate& u) {
  const std::string agent = std::to_string(agent_id_);
  uint64_t seq = 1;
  auto parts = u.parts.begin();
  if (u.append) {
    auto rs = mysql::Query(
        conn_.get(),
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM agent_checkpoint_part WHERE agent = " + agent);
    rs->next();
    seq = rs->getUInt64(1);
  } else {
    mysql::Execute(conn_.get(), "DELETE FROM agent_checkpoint_part WHERE agent = " + agent);
    if (parts != u.parts.end()) ++parts;  // the agent row takes it
  }
  std::unique_ptr<sql::PreparedStatement> ins(conn_->prepareStatement(
      "INSERT INTO agent_checkpoint_part (agent, seq, data) VALUES (?, ?, ?)"));
  for (; parts != u.parts.end(); ++parts) {
    ins->setInt(1, agent_id_);
    ins->setUInt64(2, seq++);
    ins->setString(3, *parts);
    ins->executeUpdate();
  }
}

StatusOr<std::vector<std::string>> MysqlStore::LoadCheckpoint() {
  std::vector<std::string> out;
  if (options_.agent_name.empty()) return out;
  Status st = WithReconnect("read the checkpoint", [&] {
    out.clear();
    const std::string agent = std::to_string(agent_id_);
    auto rs = mysql::Query(conn_.get(), "SELECT checkpoint FROM agent WHERE id = " + agent);
    if (rs->next() && !rs->isNull(1)) out.push_back(rs->getString(1));
    auto more =
        mysql::Query(conn_.get(), "SELECT data FROM agent_checkpoint_part WHERE agent = " + agent +
                                      " ORDER BY seq");
    while (more->next()) out.push_back(more->getString(1));
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace mailtrail
