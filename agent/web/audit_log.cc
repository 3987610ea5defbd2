#include "agent/web/audit_log.h"

namespace mailtrail::web {

Status AuditLog::Open(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status st = db_.Open(path, /*create=*/true); !st.ok()) return st;
  return db_.Exec(
      "CREATE TABLE IF NOT EXISTS web_audit (id INTEGER PRIMARY KEY, time TEXT NOT NULL,"
      " user TEXT NOT NULL, role TEXT NOT NULL, remote_addr TEXT NOT NULL, action TEXT NOT NULL,"
      " kind TEXT, key TEXT, detail TEXT, result TEXT NOT NULL)");
}

Status AuditLog::Append(const AuditEntry& e) {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = db_.Prepare(
      "INSERT INTO web_audit (time, user, role, remote_addr, action, kind, key, detail, result)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!s.ok()) return s.status();
  const std::string time = FormatRfc3339(e.time);
  s->BindText(1, time);
  s->BindText(2, e.user);
  s->BindText(3, e.role);
  s->BindText(4, e.remote_addr);
  s->BindText(5, e.action);
  s->BindText(6, e.kind);
  s->BindText(7, e.key);
  s->BindText(8, e.detail);
  s->BindText(9, e.result);
  if (s->Step() != SQLITE_DONE) return db_.Error("audit");
  return Status::Ok();
}

}  // namespace mailtrail::web
