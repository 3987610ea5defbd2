#include "agent/web/audit_log.h"

#include "base/text.h"

namespace mailtrail::web {

Status AuditLog::Open(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status st = db_.Open(path, /*create=*/true); !st.ok()) return st;
  // WAL: a reader (a backup, an admin's sqlite3 session) never holds up a
  // write, which would then go unaudited.
  if (Status st = db_.Exec("PRAGMA journal_mode=WAL"); !st.ok()) return st;
  return db_.Exec(
      "CREATE TABLE IF NOT EXISTS web_audit (id INTEGER PRIMARY KEY, time TEXT NOT NULL,"
      " user TEXT NOT NULL, role TEXT NOT NULL, remote_addr TEXT NOT NULL, action TEXT NOT NULL,"
      " kind TEXT, key TEXT, detail TEXT, result TEXT NOT NULL)");
}

Status AuditLog::Append(const AuditEntry& e) {
  std::lock_guard<std::mutex> lock(mu_);
  // Deleted or replaced while open, what is written is lost at the close: the
  // write is then not audited, and the console says so (helper-146 F9).
  if (Status st = db_.StillAtItsPath(); !st.ok()) return Status::IoError("audit " + st.message());
  auto s = db_.Prepare(
      "INSERT INTO web_audit (time, user, role, remote_addr, action, kind, key, detail, result)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!s.ok()) return s.status();
  // Every field as text a terminal shows as it is (docs/security.md rule 2):
  // a key typed with a line break printed a forged line of someone else's.
  const std::string fields[] = {
      FormatRfc3339(e.time),           EscapeForLog(e.user, 256),    EscapeForLog(e.role, 32),
      EscapeForLog(e.remote_addr, 64), EscapeForLog(e.action, 64),   EscapeForLog(e.kind, 32),
      EscapeForLog(e.key, 1000),       EscapeForLog(e.detail, 1000), EscapeForLog(e.result, 1000)};
  for (int i = 0; i < 9; ++i) s->BindText(i + 1, fields[i]);
  if (s->Step() != SQLITE_DONE) return db_.Error("audit");
  return Status::Ok();
}

}  // namespace mailtrail::web
