// Where a MySQL/MariaDB store lives, from its URL (the part after "mysql://"):
//   user@127.0.0.1:3306/mailtrail
//   user@localhost/mailtrail?socket=/run/mysqld/mysqld.sock
//   user@[::1]:3306/mailtrail
// A password in the URL is refused: URLs end up in command lines and process
// lists; the password comes from a file (StoreOptions::password_file).
#ifndef MAILTRAIL_AGENT_STORE_MYSQL_URL_H_
#define MAILTRAIL_AGENT_STORE_MYSQL_URL_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace mailtrail {

struct MysqlTarget {
  std::string user;
  std::string host = "localhost";
  int port = 3306;
  std::string socket;    // non-empty: connect through this Unix socket
  std::string database;  // [A-Za-z0-9_$]: it appears in DDL as an identifier
};

StatusOr<MysqlTarget> ParseMysqlUrl(std::string_view rest);

// The password: the first line of `path` (without its newline). A file that
// others (not owner, not group) may read is refused, as ssh does with keys.
StatusOr<std::string> ReadPasswordFile(const std::string& path);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_MYSQL_URL_H_
