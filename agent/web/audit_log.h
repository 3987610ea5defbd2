// AuditLog: every write the console makes, one row in a table of a local
// SQLite file (`mailtrail web --audit FILE`): when, who (name and role),
// from which address, what (action, kind, key, details) and the result.
// Written before the answer is sent. Thread-safe.
#ifndef MAILTRAIL_AGENT_WEB_AUDIT_LOG_H_
#define MAILTRAIL_AGENT_WEB_AUDIT_LOG_H_

#include <mutex>
#include <string>

#include "agent/store/sqlite_db.h"
#include "base/civil_time.h"
#include "base/status.h"

namespace mailtrail::web {

struct AuditEntry {
  TimeUs time = 0;
  std::string user, role, remote_addr, action, kind, key, detail, result;
};

class AuditLog {
 public:
  // Creates the file and its table `web_audit` when missing.
  Status Open(const std::string& path);
  Status Append(const AuditEntry& e);

 private:
  std::mutex mu_;
  SqliteDb db_;
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_AUDIT_LOG_H_
