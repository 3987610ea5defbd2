// MysqlStore's fleet-wide answers (Store::ExchangeAnswers,
// schema/mysql/0011_detect_answers.sql, 0012_agents.sql). What is written and read is decided
// by PlanAnswerExchange (answer_plan.h), as for SQLite. This agent's rows and
// its presence go in one transaction, so that a failed exchange, tried again
// with the same rows, never leaves half of them behind; each agent's rows
// commit in the order it numbers them, so a reader sees a prefix of each,
// whoever commits first. Old rows are dropped after it, a bounded statement
// at a time (a long delete must not hold up the other agents' inserts), and
// the others' read: what fails there is a warning, since this agent's rows
// are in.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/store/answer_plan.h"
#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

namespace mailtrail {

namespace {
// Rows a statement inserts or deletes at most.
constexpr size_t kInsertRows = 500;
constexpr int64_t kDeleteRows = 10000;  // in all, an exchange
}  // namespace

StatusOr<AnswerExchange> MysqlStore::ExchangeAnswers(const AnswerRequest& r) {
  // Once; a lost connection is made again by the next call, a few seconds on.
  if (Status st = EnsureConnected(); !st.ok()) return st;
  AnswerPlan plan;
  try {
    mysql::Execute(conn_.get(), "START TRANSACTION");
    std::vector<AnswerPresence> agents;
    {
      auto rs = mysql::Query(conn_.get(), "SELECT agent, seq, seen, born FROM detect_answer_agent");
      while (rs->next())
        agents.push_back({rs->getString(1), rs->getInt64(2), rs->getInt64(3), rs->getInt64(4)});
    }
    plan = PlanAnswerExchange(r, agents);
    // Several rows a statement: one round trip each was 50 µs on a local
    // socket, and more over a network.
    int64_t seq = plan.first;
    const size_t publish = static_cast<size_t>(plan.last - plan.first);
    for (size_t from = 0; from < publish; from += kInsertRows) {
      const size_t n = std::min(kInsertRows, publish - from);
      std::string sql = "INSERT INTO detect_answer (agent, seq, `key`, learned, credits) VALUES ";
      for (size_t i = 0; i < n; ++i) sql += i ? ",(?,?,?,?,?)" : "(?,?,?,?,?)";
      std::unique_ptr<sql::PreparedStatement> ins(conn_->prepareStatement(sql));
      for (size_t i = 0; i < n; ++i) {
        const SharedAnswer& a = r.mine[from + i];
        const int c = static_cast<int>(i) * 5;
        ins->setString(c + 1, r.agent);
        ins->setInt64(c + 2, ++seq);
        ins->setString(c + 3, a.key);
        ins->setInt64(c + 4, a.learned);
        ins->setInt(c + 5, a.credits);
      }
      ins->executeUpdate();
    }
    if (plan.say_present) {
      std::unique_ptr<sql::PreparedStatement> here(conn_->prepareStatement(
          "INSERT INTO detect_answer_agent (agent, seen, seq, born) VALUES (?, ?, ?, ?)"
          " ON DUPLICATE KEY UPDATE seen = VALUES(seen), seq = VALUES(seq)"));
      here->setString(1, r.agent);
      here->setInt64(2, plan.seen);
      here->setInt64(3, plan.last);
      here->setInt64(4, plan.born);
      here->executeUpdate();
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
  AnswerExchange out;
  out.alone = plan.alone;
  out.cursor = plan.cursor;
  std::vector<std::string> dropped;  // gone agents whose presence went
  try {
    // At most kDeleteRows in all, as SQLite's: its own first.
    int64_t budget = kDeleteRows;
    {
      // Its own old rows, by its own log time: an agent whose log time is
      // ahead drops no one else's.
      std::unique_ptr<sql::PreparedStatement> del(conn_->prepareStatement(
          "DELETE FROM detect_answer WHERE agent = ? AND learned < ? ORDER BY seq LIMIT ?"));
      del->setString(1, r.agent);
      del->setInt64(2, r.since);
      del->setInt64(3, budget);
      budget -= del->executeUpdate();
    }
    // Only the rows the presence read covered: an agent that comes back
    // meanwhile numbers its new rows above them (helper-74), and writes its
    // presence anew, which keeps it. Ordered, so that a replica deletes the
    // same rows.
    std::unique_ptr<sql::PreparedStatement> gone(conn_->prepareStatement(
        "DELETE FROM detect_answer WHERE agent = ? AND seq <= ? ORDER BY seq LIMIT ?"));
    std::unique_ptr<sql::PreparedStatement> gone_agent(conn_->prepareStatement(
        "DELETE FROM detect_answer_agent WHERE agent = ? AND seen = ? AND seq = ? AND born = ?"));
    for (const AnswerPresence& o : plan.gone) {
      if (budget <= 0) break;  // the rest at the next exchange
      gone->setString(1, o.agent);
      gone->setInt64(2, o.seq);
      gone->setInt64(3, budget);
      budget -= gone->executeUpdate();
      if (budget > 0) {  // fewer than asked: the last of them, and the agent goes too
        gone_agent->setString(1, o.agent);
        gone_agent->setInt64(2, o.seen);
        gone_agent->setInt64(3, o.seq);
        gone_agent->setInt64(4, o.born);
        if (gone_agent->executeUpdate() > 0) {
          // Back with its state lost, it numbers from 1 again: read from there.
          out.cursor.read.erase(o.agent);
          out.cursor.heard.erase(o.agent);
          dropped.push_back(o.agent);
        }
      }
    }
    std::unique_ptr<sql::PreparedStatement> rows(conn_->prepareStatement(
        "SELECT seq, `key`, learned, credits FROM detect_answer WHERE agent = ? AND seq > ?"
        " ORDER BY seq LIMIT ?"));
    for (const AnswerPlan::Read& o : plan.read) {
      if (out.theirs.size() >= r.limit) break;
      rows->setString(1, o.agent);
      rows->setInt64(2, o.after);
      rows->setInt64(3, static_cast<int64_t>(r.limit - out.theirs.size()));
      std::unique_ptr<sql::ResultSet> rs(rows->executeQuery());
      while (rs->next()) {
        out.theirs.push_back(
            {o.agent, rs->getInt64(1), rs->getString(2), rs->getInt64(3), rs->getInt(4)});
        out.cursor.read[o.agent] = rs->getInt64(1);
      }
    }
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "read answers");
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    out.theirs.clear();
    out.cursor.read = plan.cursor.read;  // where each stood before this read
    for (const std::string& a : dropped) out.cursor.read.erase(a);
    out.warning = st.message();
  }
  return out;
}

}  // namespace mailtrail
