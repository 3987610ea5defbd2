// SqliteStore: the agent's checkpoint and the line statistics (sqlite_store.cc
// has the records).
#include "agent/store/sqlite_store.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "agent/store/sqlite_codec.h"
#include "base/text.h"

namespace mailtrail {

Status SqliteStore::AddLineStats(const LineStats& stats) {
  if (Status st = StillAtItsPath(); !st.ok()) return st;  // not into a deleted file
  if (Status st = db_.Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto up = db_.Prepare(
      "INSERT INTO line_kind (kind, count) VALUES (?, ?)"
      " ON CONFLICT(kind) DO UPDATE SET count = count + excluded.count");
  auto sample = db_.Prepare("INSERT INTO unknown_line (program, line) VALUES (?, ?)");
  if (!up.ok() || !sample.ok()) {
    static_cast<void>(db_.Exec("ROLLBACK"));
    return up.ok() ? sample.status() : up.status();
  }
  for (const auto& [kind, count] : stats.kinds) {
    up->Reset();
    up->BindText(1, kind);
    up->BindInt(2, count);
    if (up->Step() != SQLITE_DONE) {
      static_cast<void>(db_.Exec("ROLLBACK"));
      return db_.Error("line stats");
    }
  }
  for (const auto& [program, line] : stats.unknown_samples) {
    sample->Reset();
    sample->BindText(1, program);
    sample->BindText(2, line);
    if (sample->Step() != SQLITE_DONE) {
      static_cast<void>(db_.Exec("ROLLBACK"));
      return db_.Error("unknown line sample");
    }
  }
  // Keep the sample bounded across many replays.
  if (Status st = db_.Exec("DELETE FROM unknown_line WHERE id NOT IN"
                           " (SELECT id FROM unknown_line ORDER BY id DESC LIMIT 200)");
      !st.ok()) {
    static_cast<void>(db_.Exec("ROLLBACK"));
    return st;
  }
  return db_.Exec("COMMIT");
}

Status SqliteStore::WriteCheckpoint(const CheckpointUpdate& u, int64_t updated) {
  int64_t next = 0;  // the number of the first part written
  if (u.append) {
    // Prepared here and finalized at the end of the scope: a statement kept
    // on its row would hold its read snapshot after the commit, and this
    // connection would no longer see other writers (`mailtrail blocks add`).
    auto count = db_.Prepare("SELECT COUNT(*) FROM checkpoint WHERE name GLOB 'tail*'");
    if (!count.ok()) return count.status();
    if (count->Step() != SQLITE_ROW) return db_.Error("count checkpoint parts");
    next = count->Int(0);
  } else if (Status st = db_.Exec("DELETE FROM checkpoint WHERE name GLOB 'tail*'"); !st.ok()) {
    return st;
  }
  for (const auto& part : u.parts) {
    char name[32] = "tail";
    if (next > 0) std::snprintf(name, sizeof name, "tail.%010lld", static_cast<long long>(next));
    ++next;
    SqliteStmt& c = upsert_checkpoint_;
    c.Reset();
    c.BindText(1, name);
    c.BindBlob(2, part);
    c.BindInt(3, updated);
    if (c.Step() != SQLITE_DONE) return db_.Error("write checkpoint");
  }
  return Status::Ok();
}

StatusOr<std::vector<std::string>> SqliteStore::LoadCheckpoint() {
  auto st = db_.Prepare("SELECT data FROM checkpoint WHERE name GLOB 'tail*' ORDER BY name");
  if (!st.ok()) return st.status();
  std::vector<std::string> parts;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) parts.push_back(st->Text(0));
  if (rc != SQLITE_DONE) return db_.Error("read checkpoint");
  return parts;
}

StatusOr<LineStats> SqliteStore::GetLineStats() {
  LineStats out;
  auto k = db_.Prepare("SELECT kind, count FROM line_kind ORDER BY kind");
  if (!k.ok()) return k.status();
  int rc;
  while ((rc = k->Step()) == SQLITE_ROW) out.kinds[k->Text(0)] = k->Int(1);
  if (rc != SQLITE_DONE) return db_.Error("read line stats");
  auto s = db_.Prepare("SELECT program, line FROM unknown_line ORDER BY id LIMIT 200");
  if (!s.ok()) return s.status();
  while ((rc = s->Step()) == SQLITE_ROW) out.unknown_samples.emplace_back(s->Text(0), s->Text(1));
  if (rc != SQLITE_DONE) return db_.Error("read unknown lines");
  return out;
}

}  // namespace mailtrail
