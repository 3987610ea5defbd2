#include "agent/blocks/allowlist.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace mailtrail {

std::vector<Cidr> ParseMynetworks(std::string_view value, std::vector<std::string>* skipped) {
  std::vector<Cidr> out;
  size_t pos = 0;
  while (pos < value.size()) {
    const size_t end = value.find_first_of(" ,\t\n", pos);
    std::string item(value.substr(pos, end == std::string_view::npos ? value.npos : end - pos));
    pos = end == std::string_view::npos ? value.size() : end + 1;
    if (item.empty()) continue;
    std::string net = item;
    if (net.front() == '[') {  // [ipv6]/len
      const size_t close = net.find(']');
      if (close != std::string::npos) net = net.substr(1, close - 1) + net.substr(close + 1);
    }
    if (auto c = Cidr::Parse(net)) {
      out.push_back(*c);
    } else if (skipped) {
      skipped->push_back(item);
    }
  }
  return out;
}

StatusOr<std::string> PostconfMynetworks(const std::string& config_dir,
                                         const std::string& postconf) {
  // Without a main.cf postconf only fails, after Postfix's one-second pause.
  struct stat st;
  if (stat((config_dir + "/main.cf").c_str(), &st) != 0)
    return Status::NotFound(config_dir + "/main.cf: " + std::strerror(errno));
  int fds[2];
  if (pipe(fds) != 0) return Status::IoError(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);  // its complaint is ours
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::string dir = config_dir;
  const char* argv[] = {"postconf", "-c", dir.c_str(), "-h", "mynetworks", nullptr};
  pid_t pid;
  const int rc = posix_spawn(&pid, postconf.c_str(), &actions, nullptr,
                             const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return Status::NotFound(postconf + ": " + std::strerror(rc));
  }
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 && out.size() < (1 << 20))
    out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string first = out.substr(0, out.find('\n'));
    return Status::IoError("postconf -c " + config_dir + " -h mynetworks failed: " + first);
  }
  return out;
}

std::vector<Cidr> OwnAddresses() {
  std::vector<Cidr> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, text,
                sizeof text);
    } else {
      continue;
    }
    if (auto c = Cidr::Parse(text)) out.push_back(*c);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace mailtrail
