// MysqlStore::ExchangeCounts: fleet-wide detection's window counts
// (Store::ExchangeCounts, schema/mysql/0005_detect_counts.sql).
#include <memory>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

namespace mailtrail {

StatusOr<std::vector<WindowCount>> MysqlStore::ExchangeCounts(const std::string& agent,
                                                              const std::vector<WindowCount>& mine,
                                                              TimeUs since) {
  // Once; a lost connection is made again by the next call, a few seconds on.
  if (Status st = EnsureConnected(); !st.ok()) return st;
  std::vector<WindowCount> out;
  try {
    mysql::Execute(conn_.get(), "START TRANSACTION");
    std::unique_ptr<sql::PreparedStatement> del(
        conn_->prepareStatement("DELETE FROM detect_count WHERE agent = ? OR bucket < ?"));
    del->setString(1, agent);
    del->setInt64(2, since);
    del->executeUpdate();
    std::unique_ptr<sql::PreparedStatement> ins(conn_->prepareStatement(
        "INSERT INTO detect_count (agent, `key`, bucket, count) VALUES (?,?,?,?)"));
    for (const WindowCount& c : mine) {
      ins->setString(1, agent);
      ins->setString(2, c.key);
      ins->setInt64(3, c.bucket);
      ins->setInt(4, c.count);
      ins->executeUpdate();
    }
    mysql::Execute(conn_.get(), "COMMIT");
    std::unique_ptr<sql::PreparedStatement> q(conn_->prepareStatement(
        "SELECT agent, `key`, bucket, count FROM detect_count WHERE agent <> ? AND bucket >= ?"));
    q->setString(1, agent);
    q->setInt64(2, since);
    std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
    while (rs->next())
      out.push_back({rs->getString(1), rs->getString(2), rs->getInt64(3), rs->getInt(4)});
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "exchange detection counts");
    try {  // a half-done exchange must not be committed by the next statement
      mysql::Execute(conn_.get(), "ROLLBACK");
    } catch (const sql::SQLException&) {
      conn_.reset();
    }
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
  return out;
}

}  // namespace mailtrail
