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

Status FromException(const sql::SQLException& e, std::string_view what) {
  std::string m =
      std::string(what) + ": MySQL error " + std::to_string(e.getErrorCode()) + ": " + e.what();
  if (IsConnectionError(e.getErrorCode())) return Status::Unavailable(std::move(m));
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

}  // namespace mailtrail::mysql
