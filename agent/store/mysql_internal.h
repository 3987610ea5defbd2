// Shared by the MysqlStore sources only: Connector/C++ (cppconn) includes and the
// adapters that turn its exceptions into a Status (docs/style.md rule 2). Include
// only <cppconn/*.h>: <mysql_driver.h> drags in Boost.
#ifndef MAILTRAIL_AGENT_STORE_MYSQL_INTERNAL_H_
#define MAILTRAIL_AGENT_STORE_MYSQL_INTERNAL_H_

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace mailtrail::mysql {

// A message row's id: the writing agent's id (table agent) << kAgentShift | n.
constexpr int kAgentShift = 40;

// Client and server error codes after which the connection is unusable and a
// new one may succeed: CR_CONNECTION_ERROR 2002, CR_CONN_HOST_ERROR 2003,
// CR_SERVER_GONE_ERROR 2006, CR_SERVER_LOST 2013, CR_NO_PREPARE_STMT 2030
// (statements of a dead session), CR_SERVER_LOST_EXTENDED 2055,
// ER_SERVER_SHUTDOWN 1053, ER_CONNECTION_KILLED 1927, and 4031 (idle timeout).
bool IsConnectionError(int code);
// Errors after which the same transaction may simply be run again:
// ER_LOCK_WAIT_TIMEOUT 1205, ER_LOCK_DEADLOCK 1213.
bool IsRetryable(int code);

// Server errors of a server that answers but refuses to write for now: the
// same as an outage to a writer, which waits or spools (helper-95: each ended
// the agent, and systemd restarted it every 2 s). ER_OPTION_PREVENTS_STATEMENT
// 1290 (read_only, a demoted primary), ER_LOCK_WAIT_TIMEOUT 1205 and
// ER_LOCK_DEADLOCK 1213 once their retries are spent, ER_DISK_FULL 1021,
// ER_RECORD_FILE_FULL 1114. Not a refused privilege or a schema mismatch:
// those wait for the admin, and say so.
bool IsWriteRefusedForNow(int code);

// kUnavailable for connection errors and writes refused for now, else
// kIoError; with the code and `what`.
Status FromException(const sql::SQLException& e, std::string_view what);

// X'hex': a byte-exact literal for any bytes (never quoted text).
std::string HexLiteral(std::string_view bytes);

// Runs statements (no result) / one query.
void Execute(sql::Connection* c, const std::string& sql);
std::unique_ptr<sql::ResultSet> Query(sql::Connection* c, const std::string& sql);
// GET_LOCK(name, wait_seconds): whether the session holds the named lock now.
// `name` is SQL: a quoted literal or an expression (CONCAT(...)). The lock is
// the session's until RELEASE_LOCK or the session's end.
bool GetLock(sql::Connection* c, const std::string& name, int wait_seconds);
// The SQL name of a lock for this database only: a lock's name is
// server-wide, and a provider's customers share a server (one database's
// partition DDL made another's agent skip tomorrow's partition). `prefix`:
// at most 24 characters (a name holds 64).
std::string PerDatabaseLock(std::string_view prefix);
// The session's lock_wait_timeout (how long DDL waits for a table's metadata
// lock, held by every open transaction that has read the table); 0: the
// server's default. Throws sql::SQLException.
void SetLockWait(sql::Connection* c, int seconds);
// SetLockWait(seconds) for a scope, then the server's default again (a
// session that is gone meanwhile has it anyway). The constructor throws
// sql::SQLException.
class LockWaitFor {
 public:
  LockWaitFor(sql::Connection* c, int seconds) : c_(c) { SetLockWait(c, seconds); }
  ~LockWaitFor();
  LockWaitFor(const LockWaitFor&) = delete;
  LockWaitFor& operator=(const LockWaitFor&) = delete;

 private:
  sql::Connection* c_;
};

// The prefix of a SELECT ending in LIMIT ... ROWS EXAMINED that keeps all the
// warnings StoppedAtRowsExamined may need to read.
std::string KeepingWarnings(const std::string& select);
// Whether MariaDB stopped the connection's last statement, its rows all read,
// at its LIMIT ROWS EXAMINED: warning 1931, the last it raises, asked of the
// server (a statement's own getWarnings() counts warnings when it is
// executed, before a stop met while its rows are read). Other warnings may
// come first, many of them: 1300 for each stored text that is not UTF-8,
// which CONVERT() meets. The server keeps up to max_error_count of them,
// raised by KeepingWarnings to its largest, 65535; past that the statement
// is taken as stopped. Throws sql::SQLException.
bool StoppedAtRowsExamined(sql::Connection* c);
// About the rows and keys the session has examined so far, as LIMIT ...
// ROWS EXAMINED counts them: every handler read and temporary-table write
// (Handler_read_*, Handler_tmp_*) and the rows read (Rows_read,
// Rows_tmp_read). Rows_read alone missed index scans: a day's DSN slice
// moved it by 9,472 where its statement examined 40,735; this sum says
// 33,605 (docs/web.md, "A page's work bound"). Each call adds about 15 of
// its own. Throws sql::SQLException.
int64_t RowsExamined(sql::Connection* c);

}  // namespace mailtrail::mysql

namespace mailtrail {

// Where a batch's rows find their dictionary ids, in the order their
// columns name texts (NoteTexts), so that binding a row reads them in turn
// instead of looking each text up again (the look-ups were about half of
// the writer's own time, docs/benchmarks.md).
struct MysqlDictSlots {
  struct Slot {
    const char* text;  // the bytes noted: a row naming other bytes looks its text up
    const int64_t* id;
  };
  std::vector<Slot> slots;
  std::vector<size_t> message;     // by record: its message row's first slot
  std::vector<size_t> first_rcpt;  // by record: its first recipient in `rcpt`
  std::vector<size_t> rcpt;        // by recipient: its row's first slot
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_MYSQL_INTERNAL_H_
