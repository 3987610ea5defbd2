// SqliteStore's fleet-wide answers (Store::ExchangeAnswers,
// schema/sqlite/0015_detect_answers.sql): in one transaction, this agent's
// new rows appended, its own old rows dropped (and those of agents gone), and
// the others' read after the cursor. Agents on one host share a store file;
// BEGIN IMMEDIATE orders them. What is written and read is decided by
// PlanAnswerExchange (answer_plan.h), as for MySQL. Every statement is a
// primary-key lookup or a range of one agent's rows: nothing scans the table,
// which holds a day of a relay's keys. An agent alone and idle writes nothing
// but its presence, once a minute.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/store/answer_plan.h"
#include "agent/store/sqlite_store.h"

namespace mailtrail {

namespace {
// Rows deleted at most in one exchange: the write lock is held meanwhile
// (1.2M rows in one statement held it about 2 s).
constexpr int64_t kDeleteRows = 10000;
}  // namespace

StatusOr<AnswerExchange> SqliteStore::ExchangeAnswers(const AnswerRequest& r) {
  if (Status st = StillAtItsPath(); !st.ok()) return st;  // not into a deleted file
  if (Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto fail = [&](const char* what) {
    Status st = db_.Error(what);
    static_cast<void>(db_.Exec("ROLLBACK"));
    return st;
  };
  std::vector<AnswerPresence> agents;
  {
    auto q = db_.Prepare("SELECT agent, seq, seen, born FROM detect_answer_agent");
    if (!q.ok()) return fail("read answering agents");
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW)
      agents.push_back({q->Text(0), q->Int(1), q->Int(2), q->Int(3)});
    if (rc != SQLITE_DONE) return fail("read answering agents");
  }
  const AnswerPlan plan = PlanAnswerExchange(r, agents);
  AnswerExchange out;
  out.alone = plan.alone;
  out.cursor = plan.cursor;
  if (plan.last != plan.first) {
    auto ins = db_.Prepare(
        "INSERT INTO detect_answer (agent, seq, key, learned, credits) VALUES (?,?,?,?,?)");
    if (!ins.ok()) return fail("publish answers");
    int64_t seq = plan.first;
    for (const SharedAnswer& a : r.mine) {
      ins->Reset();
      ins->BindText(1, r.agent);
      ins->BindInt(2, ++seq);
      ins->BindText(3, a.key);
      ins->BindInt(4, a.learned);
      ins->BindInt(5, a.credits);
      if (ins->Step() != SQLITE_DONE) return fail("publish answers");
    }
  }
  if (plan.say_present) {
    auto here = db_.Prepare(
        "INSERT INTO detect_answer_agent (agent, seen, seq, born) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (agent) DO UPDATE SET seen = excluded.seen, seq = excluded.seq");
    if (!here.ok()) return fail("note answering agent");
    here->BindText(1, r.agent);
    here->BindInt(2, plan.seen);
    here->BindInt(3, plan.last);
    here->BindInt(4, plan.born);
    if (here->Step() != SQLITE_DONE) return fail("note answering agent");
  }
  // Old rows go a piece at a time, 10,000 an exchange in all: its own, by
  // its own log time (an agent whose log time is ahead drops no one else's),
  // then those of agents gone, which excuse nothing now, their presence
  // with the last piece. Each piece is a range of one agent's rows, on an
  // index.
  auto low = db_.Prepare("SELECT MIN(seq) FROM detect_answer WHERE agent = ?1");
  // By (agent, learned): a row learned ahead (a clock once ahead) holds up
  // none of those after it.
  auto mine = db_.Prepare(
      "DELETE FROM detect_answer WHERE agent = ?1 AND seq IN (SELECT seq FROM detect_answer"
      " WHERE agent = ?1 AND learned < ?2 LIMIT ?3)");
  auto gone = db_.Prepare("DELETE FROM detect_answer WHERE agent = ?1 AND seq <= ?2");
  auto gone_agent = db_.Prepare(
      "DELETE FROM detect_answer_agent WHERE agent = ?1 AND seen = ?2 AND seq = ?3"
      " AND born = ?4");
  if (!low.ok() || !mine.ok() || !gone.ok() || !gone_agent.ok()) return fail("drop old answers");
  int64_t budget = kDeleteRows;
  // The first row of `agent`'s, or none.
  auto first_row = [&](const std::string& agent, int64_t* seq) {
    low->Reset();
    low->BindText(1, agent);
    if (low->Step() != SQLITE_ROW) return false;
    *seq = low->IsNull(0) ? INT64_MAX : low->Int(0);
    return true;
  };
  mine->BindText(1, r.agent);
  mine->BindInt(2, r.since);
  mine->BindInt(3, budget);
  if (mine->Step() != SQLITE_DONE) return fail("drop old answers");
  budget -= sqlite3_changes(db_.get());
  int64_t from;
  for (const AnswerPresence& o : plan.gone) {
    if (budget <= 0) break;  // the rest at the next exchange
    if (!first_row(o.agent, &from)) return fail("drop a gone agent's answers");
    const int64_t upto = from == INT64_MAX ? o.seq : std::min(o.seq, from + budget - 1);
    if (from <= upto) {
      gone->Reset();
      gone->BindText(1, o.agent);
      gone->BindInt(2, upto);
      if (gone->Step() != SQLITE_DONE) return fail("drop a gone agent's answers");
      budget -= sqlite3_changes(db_.get());
    }
    if (upto < o.seq) continue;
    gone_agent->Reset();
    gone_agent->BindText(1, o.agent);
    gone_agent->BindInt(2, o.seen);
    gone_agent->BindInt(3, o.seq);
    gone_agent->BindInt(4, o.born);
    if (gone_agent->Step() != SQLITE_DONE) return fail("drop a gone agent's answers");
    // Back with its state lost, it numbers from 1 again: read from there.
    out.cursor.read.erase(o.agent);
    out.cursor.heard.erase(o.agent);
  }
  if (!plan.read.empty()) {
    auto rows = db_.Prepare(
        "SELECT seq, key, learned, credits FROM detect_answer WHERE agent = ?1 AND seq > ?2"
        " ORDER BY seq LIMIT ?3");
    if (!rows.ok()) return fail("read answers");
    for (const AnswerPlan::Read& o : plan.read) {
      if (out.theirs.size() >= r.limit) break;
      rows->Reset();
      rows->BindText(1, o.agent);
      rows->BindInt(2, o.after);
      rows->BindInt(3, static_cast<int64_t>(r.limit - out.theirs.size()));
      int rc;
      while ((rc = rows->Step()) == SQLITE_ROW) {
        out.theirs.push_back(
            {o.agent, rows->Int(0), rows->Text(1), rows->Int(2), static_cast<int>(rows->Int(3))});
        out.cursor.read[o.agent] = rows->Int(0);
      }
      if (rc != SQLITE_DONE) return fail("read answers");
    }
  }
  if (Status st = db_.Exec("COMMIT"); !st.ok()) return st;
  return out;
}

}  // namespace mailtrail
