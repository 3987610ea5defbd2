#include "agent/store/mysql_url.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mailtrail {

namespace {
bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '$';
    if (!ok) return false;
  }
  return true;
}

bool IsUserOrHost(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}
}  // namespace

StatusOr<MysqlTarget> ParseMysqlUrl(std::string_view rest) {
  const std::string_view usage =
      " (mysql://USER@HOST[:PORT]/DATABASE or mysql://USER@localhost/DATABASE?socket=PATH)";
  MysqlTarget t;
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const size_t at = rest.find('@');
  if (at == std::string_view::npos)
    return Status::InvalidArgument("MySQL URL without a user" + std::string(usage));
  const std::string_view user = rest.substr(0, at);
  if (user.find(':') != std::string_view::npos)
    return Status::InvalidArgument(
        "a password does not belong in the store URL: put it in a file and name it with"
        " password_file");
  if (!IsUserOrHost(user)) return Status::InvalidArgument("bad user in the MySQL URL");
  t.user = std::string(user);
  rest = rest.substr(at + 1);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos)
    return Status::InvalidArgument("MySQL URL without a database" + std::string(usage));
  std::string_view hostport = rest.substr(0, slash);
  const std::string_view db = rest.substr(slash + 1);
  if (!IsIdentifier(db))
    return Status::InvalidArgument("the database name must be 1-64 of [A-Za-z0-9_$]");
  t.database = std::string(db);
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {  // [IPv6]:port
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("bad host in MySQL URL");
    t.host = std::string(hostport.substr(1, close - 1));
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return Status::InvalidArgument("bad host in MySQL URL");
      port = hostport.substr(close + 2);
    }
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    t.host = std::string(hostport.substr(0, colon));
    port = hostport.substr(colon + 1);
    if (port.empty()) return Status::InvalidArgument("empty port in the MySQL URL");
  } else if (!hostport.empty()) {
    t.host = std::string(hostport);
  }
  if (!IsUserOrHost(t.host)) return Status::InvalidArgument("bad host in the MySQL URL");
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) return Status::InvalidArgument("bad port in MySQL URL");
      p = p * 10 + (c - '0');
    }
    if (p <= 0 || p > 65535) return Status::InvalidArgument("bad port in the MySQL URL");
    t.port = p;
  }
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (kv.substr(0, 7) == "socket=" && kv.size() > 7 && kv[7] == '/') {
      t.socket = std::string(kv.substr(7));
    } else {
      return Status::InvalidArgument("unknown MySQL URL parameter (only socket=/PATH is known)");
    }
  }
  return t;
}

StatusOr<std::string> ReadPasswordFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("password file " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || (st.st_mode & 007) != 0) {
    ::close(fd);
    return Status::InvalidArgument("password file " + path +
                                   " must not be readable by others (chmod o-rwx)");
  }
  std::string text(4096, '\0');
  const ssize_t n = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n < 0) return Status::IoError("password file " + path + ": " + std::strerror(errno));
  text.resize(static_cast<size_t>(n));
  if (size_t nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

}  // namespace mailtrail
