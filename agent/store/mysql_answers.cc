// MysqlStore's fleet-wide answers (Store::ExchangeAnswers,
// schema/mysql/0011_detect_answers.sql). This agent's rows and its presence
// go in one transaction, so that a failed exchange, tried again with the same
// rows, never leaves half of them behind; each agent's rows commit in the
// order it numbers them, so a reader sees a prefix of each, whoever commits
// first. Old rows are dropped after it, a bounded statement at a time (a long
// delete must not hold up the other agents' inserts), and the others' read:
// what fails there is a warning, since this agent's rows are in.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

namespace mailtrail {

namespace {
// How often an agent's presence is written again while nothing else changes.
constexpr TimeUs kPresenceRefresh = 60 * kUsPerSecond;
// Rows a statement inserts or deletes at most.
constexpr size_t kInsertRows = 500;
constexpr int kDeleteRows = 10000;

struct Other {
  std::string agent;
  int64_t seq;
  TimeUs seen;
};
}  // namespace

StatusOr<AnswerExchange> MysqlStore::ExchangeAnswers(const AnswerRequest& r) {
  // Once; a lost connection is made again by the next call, a few seconds on.
  if (Status st = EnsureConnected(); !st.ok()) return st;
  AnswerExchange out;
  out.cursor.written = r.cursor.written;
  std::vector<Other> others;
  const TimeUs gone_before = r.wall_now - r.window;
  try {
    mysql::Execute(conn_.get(), "START TRANSACTION");
    bool present = false;
    TimeUs my_seen = 0;
    int64_t my_seq = 0;
    {
      auto rs = mysql::Query(conn_.get(), "SELECT agent, seq, seen FROM detect_answer_agent");
      while (rs->next()) {
        if (rs->getString(1) == r.agent) {
          present = true;
          my_seq = rs->getInt64(2);
          my_seen = rs->getInt64(3);
        } else {
          others.push_back({rs->getString(1), rs->getInt64(2), rs->getInt64(3)});
        }
      }
    }
    out.cursor.written = std::max(out.cursor.written, my_seq);
    out.alone = std::none_of(others.begin(), others.end(),
                             [&](const Other& o) { return o.seen >= gone_before; });
    if (!out.alone) {
      // Several rows a statement: one round trip each was 50 µs on a local
      // socket, and more over a network.
      for (size_t from = 0; from < r.mine.size(); from += kInsertRows) {
        const size_t n = std::min(kInsertRows, r.mine.size() - from);
        std::string sql = "INSERT INTO detect_answer (agent, seq, `key`, learned, credits) VALUES ";
        for (size_t i = 0; i < n; ++i) sql += i ? ",(?,?,?,?,?)" : "(?,?,?,?,?)";
        std::unique_ptr<sql::PreparedStatement> ins(conn_->prepareStatement(sql));
        for (size_t i = 0; i < n; ++i) {
          const SharedAnswer& a = r.mine[from + i];
          const int c = static_cast<int>(i) * 5;
          ins->setString(c + 1, r.agent);
          ins->setInt64(c + 2, ++out.cursor.written);
          ins->setString(c + 3, a.key);
          ins->setInt64(c + 4, a.learned);
          ins->setInt(c + 5, a.credits);
        }
        ins->executeUpdate();
      }
    }
    if (!present || out.cursor.written != my_seq || my_seen + kPresenceRefresh <= r.wall_now ||
        my_seen > r.wall_now) {
      // The clock's time, not the latest ever: a clock once ahead does not
      // keep this agent "there" after it went.
      std::unique_ptr<sql::PreparedStatement> here(conn_->prepareStatement(
          "INSERT INTO detect_answer_agent (agent, seen, seq) VALUES (?, ?, ?)"
          " ON DUPLICATE KEY UPDATE seen = VALUES(seen), seq = VALUES(seq)"));
      here->setString(1, r.agent);
      here->setInt64(2, r.wall_now);
      here->setInt64(3, out.cursor.written);
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
  try {
    {
      // Its own old rows, by its own log time: an agent whose log time is
      // ahead drops no one else's.
      std::unique_ptr<sql::PreparedStatement> del(conn_->prepareStatement(
          "DELETE FROM detect_answer WHERE agent = ? AND learned < ? ORDER BY seq LIMIT " +
          std::to_string(kDeleteRows)));
      del->setString(1, r.agent);
      del->setInt64(2, r.since);
      del->executeUpdate();
    }
    // Only the rows the presence read covered: an agent that comes back
    // meanwhile numbers its new rows above them (helper-74). Ordered, so
    // that a replica deletes the same rows.
    std::unique_ptr<sql::PreparedStatement> gone(conn_->prepareStatement(
        "DELETE FROM detect_answer WHERE agent = ? AND seq <= ? ORDER BY seq LIMIT " +
        std::to_string(kDeleteRows)));
    std::unique_ptr<sql::PreparedStatement> gone_agent(
        conn_->prepareStatement("DELETE FROM detect_answer_agent WHERE agent = ? AND seen < ?"));
    std::unique_ptr<sql::PreparedStatement> rows(conn_->prepareStatement(
        "SELECT seq, `key`, learned, credits FROM detect_answer WHERE agent = ? AND seq > ?"
        " ORDER BY seq LIMIT ?"));
    for (const Other& o : others) {
      if (o.seen < gone_before) {  // not there for a window: its rows excuse nothing now
        gone->setString(1, o.agent);
        gone->setInt64(2, o.seq);
        if (gone->executeUpdate() < kDeleteRows) {  // the last of them: the agent goes too
          gone_agent->setString(1, o.agent);
          gone_agent->setInt64(2, gone_before);
          gone_agent->executeUpdate();
        }
        continue;
      }
      auto at = r.cursor.read.find(o.agent);
      int64_t after = at == r.cursor.read.end() ? 0 : at->second;
      if (o.seq < after) after = 0;  // written again from the start
      out.cursor.read[o.agent] = after;
      if (o.seq == after || out.theirs.size() >= r.limit) continue;
      rows->setString(1, o.agent);
      rows->setInt64(2, after);
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
    out.cursor.read = r.cursor.read;
    out.warning = st.message();
  }
  return out;
}

}  // namespace mailtrail
