// MysqlStore's fleet-wide answers (Store::ExchangeAnswers,
// schema/mysql/0011_detect_answers.sql). This agent's rows go in one
// transaction, so that a failed exchange, tried again with the same rows,
// never leaves half of them behind; each agent's rows commit in the order it
// numbers them, so a reader sees a prefix of each, whoever commits first. The
// old rows are dropped apart, a bounded statement at a time: a long delete
// must not hold up the other agents' inserts.
#include <algorithm>
#include <memory>
#include <utility>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

namespace mailtrail {

StatusOr<AnswerExchange> MysqlStore::ExchangeAnswers(const std::string& agent,
                                                     const std::vector<SharedAnswer>& mine,
                                                     const AnswerCursor& cursor, TimeUs now,
                                                     TimeUs since, size_t limit) {
  // Once; a lost connection is made again by the next call, a few seconds on.
  if (Status st = EnsureConnected(); !st.ok()) return st;
  AnswerExchange out;
  out.cursor.written = cursor.written;
  try {
    mysql::Execute(conn_.get(), "START TRANSACTION");
    {
      std::unique_ptr<sql::PreparedStatement> last(
          conn_->prepareStatement("SELECT MAX(seq) FROM detect_answer WHERE agent = ?"));
      last->setString(1, agent);
      std::unique_ptr<sql::ResultSet> rs(last->executeQuery());
      if (rs->next() && !rs->isNull(1))
        out.cursor.written = std::max(out.cursor.written, rs->getInt64(1));
    }
    {
      // Row 0 of each agent says it is there, and since when it last was.
      std::unique_ptr<sql::PreparedStatement> here(conn_->prepareStatement(
          "INSERT INTO detect_answer (agent, seq, `key`, learned, credits) VALUES (?, 0, '', ?, 0)"
          " ON DUPLICATE KEY UPDATE learned = GREATEST(learned, VALUES(learned))"));
      here->setString(1, agent);
      here->setInt64(2, now);
      here->executeUpdate();
      std::unique_ptr<sql::PreparedStatement> others(conn_->prepareStatement(
          "SELECT 1 FROM detect_answer WHERE seq = 0 AND agent <> ? AND learned >= ? LIMIT 1"));
      others->setString(1, agent);
      others->setInt64(2, since);
      std::unique_ptr<sql::ResultSet> rs(others->executeQuery());
      out.alone = !rs->next();
    }
    if (!mine.empty() && !out.alone) {
      std::unique_ptr<sql::PreparedStatement> ins(conn_->prepareStatement(
          "INSERT INTO detect_answer (agent, seq, `key`, learned, credits) VALUES (?,?,?,?,?)"));
      for (const SharedAnswer& a : mine) {
        ins->setString(1, agent);
        ins->setInt64(2, ++out.cursor.written);
        ins->setString(3, a.key);
        ins->setInt64(4, a.learned);
        ins->setInt(5, a.credits);
        ins->executeUpdate();
      }
    }
    mysql::Execute(conn_.get(), "COMMIT");
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "publish answers");
    try {  // a half-done exchange must not be committed by the next statement
      mysql::Execute(conn_.get(), "ROLLBACK");
    } catch (const sql::SQLException&) {
      conn_.reset();
    }
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
  // Published: whatever fails from here on, this agent's rows are in, and
  // must not be sent again. The others' are read at the next exchange.
  try {
    {
      std::unique_ptr<sql::PreparedStatement> del(
          conn_->prepareStatement("DELETE FROM detect_answer WHERE learned < ? LIMIT 10000"));
      del->setInt64(1, since);
      del->executeUpdate();
    }
    std::vector<std::pair<std::string, int64_t>> agents;  // the others, and their last row
    {
      std::unique_ptr<sql::PreparedStatement> q(conn_->prepareStatement(
          "SELECT agent, MAX(seq) FROM detect_answer WHERE agent <> ? GROUP BY agent"));
      q->setString(1, agent);
      std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
      while (rs->next()) agents.emplace_back(rs->getString(1), rs->getInt64(2));
    }
    std::unique_ptr<sql::PreparedStatement> rows(conn_->prepareStatement(
        "SELECT seq, `key`, learned, credits FROM detect_answer WHERE agent = ? AND seq > ?"
        " ORDER BY seq LIMIT ?"));
    for (const auto& [other, last] : agents) {
      auto at = cursor.read.find(other);
      int64_t after = at == cursor.read.end() ? 0 : at->second;
      if (last < after) after = 0;  // written again from the start
      out.cursor.read[other] = after;
      if (last == after || out.theirs.size() >= limit) continue;
      rows->setString(1, other);
      rows->setInt64(2, after);
      rows->setInt64(3, static_cast<int64_t>(limit - out.theirs.size()));
      std::unique_ptr<sql::ResultSet> rs(rows->executeQuery());
      while (rs->next()) {
        out.theirs.push_back(
            {other, rs->getInt64(1), rs->getString(2), rs->getInt64(3), rs->getInt(4)});
        out.cursor.read[other] = rs->getInt64(1);
      }
    }
  } catch (const sql::SQLException& e) {
    if (mysql::FromException(e, "read answers").code() == Status::Code::kUnavailable) conn_.reset();
    out.theirs.clear();
    out.cursor.read = cursor.read;
  }
  return out;
}

}  // namespace mailtrail
