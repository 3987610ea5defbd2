// The console's audit file: every field as written, but escaped (a key a
// viewer typed could forge a whole line of an operator's when the documented
// query printed it), and a reader holding the file does not make a write go
// unaudited (helper-64).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "agent/store/sqlite_db.h"
#include "agent/web/audit_log.h"

namespace mailtrail::web {
namespace {

std::string TempPath() {
  char dir[] = "/tmp/mt_audit_XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  return std::string(dir) + "/audit.db";
}

TEST(AuditLog, FieldsAreEscapedAndCapped) {
  const std::string path = TempPath();
  AuditLog log;
  ASSERT_TRUE(log.Open(path).ok());
  AuditEntry e;
  e.time = 1'800'000'000LL * kUsPerSecond;
  e.user = "bob";
  e.role = "viewer";
  e.remote_addr = "127.0.0.1";
  e.action = "block remove";
  e.kind = std::string(5000, 'k');
  e.key = "192.0.2.77\n2026-12-05T16:20:00Z|alice|block remove|192.0.2.9|200 1 block(s) ended";
  e.result = "403 forbidden";
  ASSERT_TRUE(log.Append(e).ok());
  SqliteDb db;
  ASSERT_TRUE(db.Open(path, false).ok());
  auto q = db.Prepare("SELECT kind, key FROM web_audit");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->Step(), SQLITE_ROW);
  EXPECT_LE(q->Text(0).size(), 300u);
  const std::string key = q->Text(1);
  EXPECT_EQ(key.find('\n'), std::string::npos) << key;
  EXPECT_NE(key.find("192.0.2.77"), std::string::npos) << key;
}

TEST(AuditLog, AReaderHoldingTheFileDoesNotStopAWrite) {
  const std::string path = TempPath();
  AuditLog log;
  ASSERT_TRUE(log.Open(path).ok());
  AuditEntry e;
  e.user = "alice";
  e.role = "operator";
  e.action = "block add";
  e.result = "200";
  ASSERT_TRUE(log.Append(e).ok());
  SqliteDb reader;  // a backup job, or an admin's sqlite3 session
  ASSERT_TRUE(reader.Open(path, false).ok());
  ASSERT_TRUE(reader.Exec("BEGIN").ok());
  auto q = reader.Prepare("SELECT count(*) FROM web_audit");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->Step(), SQLITE_ROW);
  Status st = log.Append(e);
  EXPECT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(reader.Exec("COMMIT").ok());
}

// The audit file deleted while the console runs: a write is not audited and
// says so (it went into the deleted file, lost at the close: helper-146 F9).
TEST(AuditLog, AFileDeletedWhileOpenTakesNoMoreEntries) {
  const std::string path = TempPath();
  AuditLog log;
  ASSERT_TRUE(log.Open(path).ok());
  AuditEntry e;
  e.time = 1'800'000'000LL * kUsPerSecond;
  e.user = "alice";
  e.action = "block remove";
  ASSERT_TRUE(log.Append(e).ok());
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  const Status st = log.Append(e);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("deleted, moved or replaced while open"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace mailtrail::web
