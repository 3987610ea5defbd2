// SqliteStore's relay key: the host names that hold a substring, kept in a
// table of the connection's own (temp.relay_names) for the searches after.
//
// Reading them costs a scan of the whole dictionary (1.7M host names among
// 5M texts on the 7-day store: about 0.4 s), which a condition
// `r.relay IN (SELECT id FROM dict WHERE ...)` did again in every statement,
// so a page bounded by its work (sqlite_bounded.cc) could not get far. The
// dictionary only grows between purges (a row's id and text never change,
// and SQLite gives a new row an id above the largest one, so above every
// row kept so far), so the next search of the same substring reads only the
// rows added since; a purge (meta 'dict_purges') may free ids for new names
// and starts over. One substring is kept per connection: another one reads
// the dictionary again.
#include "agent/store/sqlite_store.h"
#include "base/text.h"

namespace mailtrail {

Status SqliteStore::FindRelayNames(const std::string& needle) {
  // The scan is read once for many pages: it is not one page's work.
  SqliteBudgetPause pause(&db_);
  // The purge count, the last id and the scan from one snapshot: a purge
  // committed between them could otherwise free an id that a new name took.
  if (Status st = db_.Exec("SAVEPOINT relay_names"); !st.ok()) return st;
  Status st = KeepRelayNames(needle);
  if (Status end = db_.Exec("RELEASE relay_names"); st.ok()) st = end;
  return st;
}

Status SqliteStore::KeepRelayNames(const std::string& needle) {
  auto purges = DictPurges();
  if (!purges.ok()) return purges.status();
  const std::string lower = AsciiLower(needle);
  if (!relay_seen_ || relay_seen_->needle != lower || relay_seen_->purges != *purges) {
    relay_seen_.reset();
    if (Status st = db_.Exec("CREATE TEMP TABLE IF NOT EXISTS relay_names (id INTEGER PRIMARY KEY);"
                             "DELETE FROM temp.relay_names;");
        !st.ok())
      return st;
    relay_seen_ = RelaySeen{lower, *purges, 0};
  }
  auto top = db_.Prepare("SELECT COALESCE(max(id), 0) FROM dict");
  if (!top.ok()) return top.status();
  if (top->Step() != SQLITE_ROW) return db_.Error("last dictionary id");
  const int64_t through = top->Int(0);
  if (through <= relay_seen_->through) return Status::Ok();
  // LIKE compares in place, ignoring the case of ASCII letters as lower()
  // does: 0.41 s for the 7-day store's names against 0.76 s for
  // instr(lower(text)), which copies each text (docs/benchmarks.md). The
  // needle's own '%', '_' and '\' are escaped: a substring, not a pattern.
  std::string pattern = "%";
  for (char c : lower) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  auto add = db_.Prepare(
      "INSERT INTO temp.relay_names SELECT id FROM dict WHERE id > ?1 AND id <= ?2 AND kind = " +
      std::to_string(kHostName) + " AND text LIKE ?3 ESCAPE '\\'");
  if (!add.ok()) return add.status();
  add->BindInt(1, relay_seen_->through);
  add->BindInt(2, through);
  add->BindText(3, pattern);
  if (add->Step() != SQLITE_DONE) {
    relay_seen_.reset();  // a part was added: the next search starts over
    return db_.Error("relay names");
  }
  relay_seen_->through = through;
  return Status::Ok();
}

}  // namespace mailtrail
