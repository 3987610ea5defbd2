// SqliteStore: the blocks the agent decided, and the counts by outcome.
#include "agent/store/sqlite_store.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "agent/store/sqlite_codec.h"
#include "base/text.h"

namespace mailtrail {

Status SqliteStore::SaveBlocks(const std::vector<Block>& blocks) {
  if (Status st = StillAtItsPath(); !st.ok()) return st;  // not into a deleted file
  if (Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  // Saved again (the agent retries its active blocks after a failed save;
  // `detect --save`): replaced, except the end of a block removed meanwhile,
  // and never by a save that is not live over a live row (`detect --save`
  // over the live log demoted the agent's blocks, helper-134 F3).
  auto up = db_.Prepare(
      "INSERT INTO block (kind, key, created, expires, reason, rule, origin_host,"
      " raw_subjects, evidence, strikes, live) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
      " ON CONFLICT (kind, key, created) DO UPDATE SET"
      " expires = CASE WHEN block.removed THEN block.expires ELSE excluded.expires END,"
      " reason = excluded.reason, rule = excluded.rule, origin_host = excluded.origin_host,"
      " raw_subjects = excluded.raw_subjects, evidence = excluded.evidence,"
      " strikes = excluded.strikes, live = excluded.live"
      " WHERE excluded.live OR NOT block.live");
  if (!up.ok()) {
    static_cast<void>(db_.Exec("ROLLBACK"));
    return up.status();
  }
  for (const Block& b : blocks) {
    up->Reset();
    up->BindText(1, BlockKindName(b.kind));
    up->BindText(2, b.key);
    up->BindInt(3, b.created);
    up->BindInt(4, b.expires);
    up->BindText(5, b.reason);
    up->BindText(6, b.rule);
    up->BindText(7, b.origin_host);
    // Bound without a copy (SQLITE_STATIC): alive until the step.
    const std::string raw = JoinItems(b.raw_subjects, '\n');
    const std::string evidence = JoinItems(b.evidence, ' ');
    up->BindText(8, raw);
    up->BindText(9, evidence);
    up->BindInt(10, b.strikes);
    up->BindInt(11, b.live ? 1 : 0);
    if (up->Step() != SQLITE_DONE) {
      Status st = db_.Error("save a block");
      static_cast<void>(db_.Exec("ROLLBACK"));
      return st;
    }
  }
  return db_.Exec("COMMIT");
}

namespace {

constexpr const char* kBlockColumns =
    "SELECT kind, key, created, expires, reason, rule, origin_host, raw_subjects, evidence,"
    " strikes, live, removed FROM block ";

// The row `q` stands on. A kind the agent does not know is bad data, refused
// here at the edge.
Status ReadBlock(const SqliteStmt& q, std::vector<Block>* out) {
  auto kind = ParseBlockKind(q.Text(0));
  if (!kind.ok()) return Status::Corruption("load blocks: " + kind.status().message());
  Block b;
  b.kind = *kind;
  b.key = q.Text(1);
  b.created = q.Int(2);
  b.expires = q.Int(3);
  b.reason = q.Text(4);
  b.rule = q.Text(5);
  b.origin_host = q.Text(6);
  b.raw_subjects = SplitItems(q.Text(7), '\n');
  b.evidence = SplitItems(q.Text(8), ' ');
  b.strikes = static_cast<int>(q.Int(9));
  b.live = q.Int(10) != 0;
  b.removed = q.Int(11) != 0;
  out->push_back(std::move(b));
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<Block>> SqliteStore::LoadBlocks(TimeUs active_at) {
  auto q =
      db_.Prepare(std::string(kBlockColumns) + "WHERE expires > ? ORDER BY created, kind, key");
  if (!q.ok()) return q.status();
  q->BindInt(1, active_at < 0 ? std::numeric_limits<int64_t>::min() : active_at);
  std::vector<Block> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW)
    if (Status st = ReadBlock(*q, &out); !st.ok()) return st;
  if (rc != SQLITE_DONE) return db_.Error("load blocks");
  return out;
}

StatusOr<std::vector<Block>> SqliteStore::LoadBlocksOf(const std::vector<BlockId>& ids) {
  auto q = db_.Prepare(std::string(kBlockColumns) + "WHERE kind = ? AND key = ? AND created = ?");
  if (!q.ok()) return q.status();
  std::vector<Block> out;
  for (const BlockId& id : ids) {
    q->Reset();
    q->BindText(1, BlockKindName(id.kind));
    q->BindText(2, id.key);
    q->BindInt(3, id.created);
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW)
      if (Status st = ReadBlock(*q, &out); !st.ok()) return st;
    if (rc != SQLITE_DONE) return db_.Error("load blocks");
  }
  return out;
}

StatusOr<int> SqliteStore::SetBlockEnds(const std::string& key, TimeUs now, TimeUs end) {
  if (Status st = StillAtItsPath(); !st.ok()) return st;  // not into a deleted file
  // An end at or before now is a removal, and marks the block (schema 12);
  // a later end never moves a removed block's, nor one that is not live
  // (decided on replayed lines, never enforced: extending it enforces nothing).
  auto q =
      db_.Prepare(end <= now ? "UPDATE block SET expires = ?1, removed = 1"
                               " WHERE key = ?2 AND expires > ?3"
                             : "UPDATE block SET expires = ?1"
                               " WHERE key = ?2 AND expires > ?3 AND removed = 0 AND live = 1");
  if (!q.ok()) return q.status();
  q->BindInt(1, end);
  q->BindText(2, key);
  q->BindInt(3, now);
  if (q->Step() != SQLITE_DONE) return db_.Error("set block ends");
  return static_cast<int>(sqlite3_changes(db_.get()));
}

StatusOr<std::map<std::string, int64_t>> SqliteStore::CountByOutcome() {
  std::map<std::string, int64_t> out;
  auto s = db_.Prepare("SELECT outcome, count(*) FROM message GROUP BY outcome");
  if (!s.ok()) return s.status();
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) {
    const int64_t o = s->Int(0);
    out[o >= 0 && o < kOutcomeCount ? OutcomeName(static_cast<Outcome>(o)) : "invalid"] +=
        s->Int(1);
  }
  if (rc != SQLITE_DONE) return db_.Error("count outcomes");
  return out;
}

}  // namespace mailtrail

namespace mailtrail {

// One transaction: this agent's counts replaced, the old ones of all dropped.
StatusOr<std::vector<WindowCount>> SqliteStore::ExchangeCounts(const std::string& agent,
                                                               const std::vector<WindowCount>& mine,
                                                               TimeUs since) {
  if (Status st = StillAtItsPath(); !st.ok()) return st;
  if (Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto fail = [&](const char* what) {
    Status st = db_.Error(what);
    static_cast<void>(db_.Exec("ROLLBACK"));
    return st;
  };
  {
    auto del = db_.Prepare("DELETE FROM detect_count WHERE agent = ?1 OR bucket < ?2");
    if (!del.ok()) return fail("clear detection counts");
    del->BindText(1, agent);
    del->BindInt(2, since);
    if (del->Step() != SQLITE_DONE) return fail("clear detection counts");
    auto ins = db_.Prepare(
        "INSERT OR REPLACE INTO detect_count (agent, key, bucket, count) VALUES (?,?,?,?)");
    if (!ins.ok()) return fail("publish detection counts");
    for (const WindowCount& c : mine) {
      ins->Reset();
      ins->BindText(1, agent);
      ins->BindText(2, c.key);
      ins->BindInt(3, c.bucket);
      ins->BindInt(4, c.count);
      if (ins->Step() != SQLITE_DONE) return fail("publish detection counts");
    }
  }
  std::vector<WindowCount> out;
  {
    auto q = db_.Prepare(
        "SELECT agent, key, bucket, count FROM detect_count WHERE agent <> ?1 AND bucket >= ?2");
    if (!q.ok()) return fail("read detection counts");
    q->BindText(1, agent);
    q->BindInt(2, since);
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW)
      out.push_back({q->Text(0), q->Text(1), q->Int(2), static_cast<int>(q->Int(3))});
    if (rc != SQLITE_DONE) return fail("read detection counts");
  }
  if (Status st = db_.Exec("COMMIT"); !st.ok()) return st;
  return out;
}

}  // namespace mailtrail
