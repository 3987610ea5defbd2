// SqliteStore's fleet-wide answers (Store::ExchangeAnswers,
// schema/sqlite/0015_detect_answers.sql): in one transaction, this agent's new
// rows appended, the old ones of all dropped, and the others' read after the
// cursor. Agents on one host share a store file; BEGIN IMMEDIATE orders them.
#include <algorithm>
#include <utility>

#include "agent/store/sqlite_store.h"

namespace mailtrail {

StatusOr<AnswerExchange> SqliteStore::ExchangeAnswers(const std::string& agent,
                                                      const std::vector<SharedAnswer>& mine,
                                                      const AnswerCursor& cursor, TimeUs now,
                                                      TimeUs since, size_t limit) {
  if (Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto fail = [&](const char* what) {
    Status st = db_.Error(what);
    static_cast<void>(db_.Exec("ROLLBACK"));
    return st;
  };
  AnswerExchange out;
  out.cursor.written = cursor.written;
  {
    auto last = db_.Prepare("SELECT MAX(seq) FROM detect_answer WHERE agent = ?1");
    if (!last.ok()) return fail("number answers");
    last->BindText(1, agent);
    if (last->Step() != SQLITE_ROW) return fail("number answers");
    out.cursor.written = std::max(out.cursor.written, last->Int(0));  // NULL reads as 0
  }
  {
    // Row 0 of each agent says it is there, and since when it last was.
    auto here = db_.Prepare(
        "INSERT INTO detect_answer (agent, seq, key, learned, credits) VALUES (?1, 0, '', ?2, 0)"
        " ON CONFLICT (agent, seq) DO UPDATE SET learned = max(learned, excluded.learned)");
    if (!here.ok()) return fail("note answers");
    here->BindText(1, agent);
    here->BindInt(2, now);
    if (here->Step() != SQLITE_DONE) return fail("note answers");
    auto others = db_.Prepare(
        "SELECT 1 FROM detect_answer WHERE seq = 0 AND agent <> ?1 AND learned >= ?2 LIMIT 1");
    if (!others.ok()) return fail("note answers");
    others->BindText(1, agent);
    others->BindInt(2, since);
    const int rc = others->Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail("note answers");
    out.alone = rc == SQLITE_DONE;
  }
  if (!mine.empty() && !out.alone) {
    auto ins = db_.Prepare(
        "INSERT INTO detect_answer (agent, seq, key, learned, credits) VALUES (?,?,?,?,?)");
    if (!ins.ok()) return fail("publish answers");
    for (const SharedAnswer& a : mine) {
      ins->Reset();
      ins->BindText(1, agent);
      ins->BindInt(2, ++out.cursor.written);
      ins->BindText(3, a.key);
      ins->BindInt(4, a.learned);
      ins->BindInt(5, a.credits);
      if (ins->Step() != SQLITE_DONE) return fail("publish answers");
    }
  }
  {
    auto del = db_.Prepare("DELETE FROM detect_answer WHERE learned < ?1");
    if (!del.ok()) return fail("drop old answers");
    del->BindInt(1, since);
    if (del->Step() != SQLITE_DONE) return fail("drop old answers");
  }
  std::vector<std::pair<std::string, int64_t>> agents;  // the others, and their last row
  {
    auto q =
        db_.Prepare("SELECT agent, MAX(seq) FROM detect_answer WHERE agent <> ?1 GROUP BY agent");
    if (!q.ok()) return fail("read answers");
    q->BindText(1, agent);
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW) agents.emplace_back(q->Text(0), q->Int(1));
    if (rc != SQLITE_DONE) return fail("read answers");
  }
  auto rows = db_.Prepare(
      "SELECT seq, key, learned, credits FROM detect_answer WHERE agent = ?1 AND seq > ?2"
      " ORDER BY seq LIMIT ?3");
  if (!rows.ok()) return fail("read answers");
  for (const auto& [other, last] : agents) {
    auto at = cursor.read.find(other);
    int64_t after = at == cursor.read.end() ? 0 : at->second;
    if (last < after) after = 0;  // written again from the start
    out.cursor.read[other] = after;
    if (last == after || out.theirs.size() >= limit) continue;
    rows->Reset();
    rows->BindText(1, other);
    rows->BindInt(2, after);
    rows->BindInt(3, static_cast<int64_t>(limit - out.theirs.size()));
    int rc;
    while ((rc = rows->Step()) == SQLITE_ROW) {
      out.theirs.push_back(
          {other, rows->Int(0), rows->Text(1), rows->Int(2), static_cast<int>(rows->Int(3))});
      out.cursor.read[other] = rows->Int(0);
    }
    if (rc != SQLITE_DONE) return fail("read answers");
  }
  if (Status st = db_.Exec("COMMIT"); !st.ok()) return st;
  return out;
}

}  // namespace mailtrail
