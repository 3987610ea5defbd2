// SqliteStore's fleet-wide answers (Store::ExchangeAnswers,
// schema/sqlite/0015_detect_answers.sql): in one transaction, this agent's
// new rows appended, its own old rows dropped (and those of agents gone), and
// the others' read after the cursor. Agents on one host share a store file;
// BEGIN IMMEDIATE orders them. Every statement is a primary-key lookup or a
// range of one agent's rows: nothing scans the table, which holds a day of a
// relay's keys. An agent alone and idle writes nothing but its presence,
// once a minute.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "agent/store/sqlite_store.h"

namespace mailtrail {

namespace {
// How often an agent's presence is written again while nothing else changes.
constexpr TimeUs kPresenceRefresh = 60 * kUsPerSecond;

struct Other {
  std::string agent;
  int64_t seq;
  TimeUs seen;
};
}  // namespace

StatusOr<AnswerExchange> SqliteStore::ExchangeAnswers(const AnswerRequest& r) {
  if (Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto fail = [&](const char* what) {
    Status st = db_.Error(what);
    static_cast<void>(db_.Exec("ROLLBACK"));
    return st;
  };
  AnswerExchange out;
  out.cursor.written = r.cursor.written;
  bool present = false;
  TimeUs my_seen = 0;
  int64_t my_seq = 0;
  std::vector<Other> others;
  {
    auto q = db_.Prepare("SELECT agent, seq, seen FROM detect_answer_agent");
    if (!q.ok()) return fail("read answering agents");
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW) {
      if (q->Text(0) == r.agent) {
        present = true;
        my_seq = q->Int(1);
        my_seen = q->Int(2);
      } else {
        others.push_back({q->Text(0), q->Int(1), q->Int(2)});
      }
    }
    if (rc != SQLITE_DONE) return fail("read answering agents");
  }
  out.cursor.written = std::max(out.cursor.written, my_seq);
  const TimeUs gone_before = r.wall_now - r.window;
  out.alone = std::none_of(others.begin(), others.end(),
                           [&](const Other& o) { return o.seen >= gone_before; });
  if (!r.mine.empty() && !out.alone) {
    auto ins = db_.Prepare(
        "INSERT INTO detect_answer (agent, seq, key, learned, credits) VALUES (?,?,?,?,?)");
    if (!ins.ok()) return fail("publish answers");
    for (const SharedAnswer& a : r.mine) {
      ins->Reset();
      ins->BindText(1, r.agent);
      ins->BindInt(2, ++out.cursor.written);
      ins->BindText(3, a.key);
      ins->BindInt(4, a.learned);
      ins->BindInt(5, a.credits);
      if (ins->Step() != SQLITE_DONE) return fail("publish answers");
    }
  }
  if (!present || out.cursor.written != my_seq || my_seen + kPresenceRefresh <= r.wall_now ||
      my_seen > r.wall_now) {
    // The clock's time, not the latest ever: a clock once ahead does not
    // keep this agent "there" after it went.
    auto here = db_.Prepare(
        "INSERT INTO detect_answer_agent (agent, seen, seq) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (agent) DO UPDATE SET seen = excluded.seen, seq = excluded.seq");
    if (!here.ok()) return fail("note answering agent");
    here->BindText(1, r.agent);
    here->BindInt(2, r.wall_now);
    here->BindInt(3, out.cursor.written);
    if (here->Step() != SQLITE_DONE) return fail("note answering agent");
  }
  {
    // Its own old rows, by its own log time: an agent whose log time is
    // ahead drops no one else's.
    auto del = db_.Prepare("DELETE FROM detect_answer WHERE agent = ?1 AND learned < ?2");
    if (!del.ok()) return fail("drop old answers");
    del->BindText(1, r.agent);
    del->BindInt(2, r.since);
    if (del->Step() != SQLITE_DONE) return fail("drop old answers");
  }
  auto rows = db_.Prepare(
      "SELECT seq, key, learned, credits FROM detect_answer WHERE agent = ?1 AND seq > ?2"
      " ORDER BY seq LIMIT ?3");
  auto gone = db_.Prepare("DELETE FROM detect_answer WHERE agent = ?1");
  auto gone_agent = db_.Prepare("DELETE FROM detect_answer_agent WHERE agent = ?1");
  if (!rows.ok() || !gone.ok() || !gone_agent.ok()) return fail("read answers");
  for (const Other& o : others) {
    if (o.seen < gone_before) {  // not there for a window: its rows excuse nothing now
      for (SqliteStmt* s : {&*gone, &*gone_agent}) {
        s->Reset();
        s->BindText(1, o.agent);
        if (s->Step() != SQLITE_DONE) return fail("drop a gone agent's answers");
      }
      continue;
    }
    auto at = r.cursor.read.find(o.agent);
    int64_t after = at == r.cursor.read.end() ? 0 : at->second;
    if (o.seq < after) after = 0;  // written again from the start
    out.cursor.read[o.agent] = after;
    if (o.seq == after || out.theirs.size() >= r.limit) continue;
    rows->Reset();
    rows->BindText(1, o.agent);
    rows->BindInt(2, after);
    rows->BindInt(3, static_cast<int64_t>(r.limit - out.theirs.size()));
    int rc;
    while ((rc = rows->Step()) == SQLITE_ROW) {
      out.theirs.push_back(
          {o.agent, rows->Int(0), rows->Text(1), rows->Int(2), static_cast<int>(rows->Int(3))});
      out.cursor.read[o.agent] = rows->Int(0);
    }
    if (rc != SQLITE_DONE) return fail("read answers");
  }
  if (Status st = db_.Exec("COMMIT"); !st.ok()) return st;
  return out;
}

}  // namespace mailtrail
