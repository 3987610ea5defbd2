#include "agent/store/mysql_internal.h"

namespace mailtrail::mysql {

bool IsConnectionError(int code) {
  switch (code) {
    case 2002:
    case 2003:
    case 2006:
    case 2013:
    case 2030:
    case 2055:
    case 1053:
    case 1927:
    case 4031:
      return true;
    default:
      return false;
  }
}

bool IsRetryable(int code) { return code == 1205 || code == 1213; }

bool IsWriteRefusedForNow(int code) {
  return code == 1290 || code == 1205 || code == 1213 || code == 1021 || code == 1114;
}

void SetLockWait(sql::Connection* c, int seconds) {
  Execute(c, "SET SESSION lock_wait_timeout = " +
                 (seconds > 0 ? std::to_string(seconds) : std::string("DEFAULT")));
}

LockWaitFor::~LockWaitFor() {
  try {
    SetLockWait(c_, 0);
  } catch (const sql::SQLException&) {
    // The session is gone: the next one has the default.
  }
}

Status FromException(const sql::SQLException& e, std::string_view what) {
  std::string m =
      std::string(what) + ": MySQL error " + std::to_string(e.getErrorCode()) + ": " + e.what();
  if (IsConnectionError(e.getErrorCode()) || IsWriteRefusedForNow(e.getErrorCode()))
    return Status::Unavailable(std::move(m));
  return Status::IoError(std::move(m));
}

std::string HexLiteral(std::string_view bytes) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = "X'";
  out.reserve(bytes.size() * 2 + 3);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  out += '\'';
  return out;
}

void Execute(sql::Connection* c, const std::string& sql) {
  std::unique_ptr<sql::Statement> s(c->createStatement());
  s->execute(sql);
}

std::unique_ptr<sql::ResultSet> Query(sql::Connection* c, const std::string& sql) {
  std::unique_ptr<sql::Statement> s(c->createStatement());
  return std::unique_ptr<sql::ResultSet>(s->executeQuery(sql));
}

std::string PerDatabaseLock(std::string_view prefix) {
  // In lower case, as a server with lower_case_table_names names it either way.
  return "CONCAT('" + std::string(prefix) + "', LEFT(SHA2(LOWER(DATABASE()), 256), 40))";
}

bool GetLock(sql::Connection* c, const std::string& name, int wait_seconds) {
  auto rs = Query(c, "SELECT GET_LOCK(" + name + ", " + std::to_string(wait_seconds) + ")");
  return rs->next() && !rs->isNull(1) && rs->getInt(1) == 1;
}

namespace {
constexpr int kRowsExaminedExceeded = 1931;  // ER_QUERY_EXCEEDED_ROWS_EXAMINED_LIMIT
constexpr int64_t kWarningsKept = 65535;
}  // namespace

std::string KeepingWarnings(const std::string& select) {
  return "SET STATEMENT max_error_count = " + std::to_string(kWarningsKept) + " FOR " + select;
}

bool StoppedAtRowsExamined(sql::Connection* c) {
  std::unique_ptr<sql::Statement> w(c->createStatement());
  std::unique_ptr<sql::ResultSet> raised(w->executeQuery("SHOW COUNT(*) WARNINGS"));
  const int64_t warnings = raised->next() ? raised->getInt64(1) : 0;
  if (warnings > kWarningsKept) return true;
  if (warnings == 0) return false;
  std::unique_ptr<sql::ResultSet> last(
      w->executeQuery("SHOW WARNINGS LIMIT " + std::to_string(warnings - 1) + ", 1"));
  return last->next() && last->getInt(2) == kRowsExaminedExceeded;
}

int64_t RowsExamined(sql::Connection* c) {
  std::unique_ptr<sql::Statement> st(c->createStatement());
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
      "SHOW SESSION STATUS WHERE Variable_name LIKE 'Handler\\_read\\_%' OR Variable_name LIKE "
      "'Handler\\_tmp\\_%' OR Variable_name IN ('Rows_read', 'Rows_tmp_read')"));
  int64_t n = 0;
  while (rs->next()) n += rs->getInt64(2);
  return n;
}

}  // namespace mailtrail::mysql
