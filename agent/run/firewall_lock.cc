#include "agent/run/firewall_lock.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace mailtrail {

namespace {
socklen_t AbstractAddress(const std::string& name, sockaddr_un* a) {
  *a = sockaddr_un{};
  a->sun_family = AF_UNIX;
  const size_t n = std::min(name.size(), sizeof a->sun_path - 1);
  std::memcpy(a->sun_path + 1, name.data(), n);  // sun_path[0] = '\0': abstract
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

// The pid of the process listening on the abstract socket, or 0.
pid_t Holder(const sockaddr_un& a, socklen_t len) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return 0;
  pid_t pid = 0;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), len) == 0) {
    ucred cred{};
    socklen_t clen = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) pid = cred.pid;
  }
  ::close(fd);
  return pid;
}
}  // namespace

StatusOr<FirewallLock> FirewallLock::Take(const std::string& name) {
  sockaddr_un a;
  const socklen_t len = AbstractAddress(name, &a);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), len) != 0) {
    const int err = errno;
    ::close(fd);
    if (err != EADDRINUSE) return Status::IoError(std::string("bind: ") + std::strerror(err));
    const pid_t pid = Holder(a, len);
    return Status::Unavailable(
        "another mailtrail agent manages this network namespace's firewall" +
        (pid > 0 ? " (pid " + std::to_string(pid) + ")" : std::string()) +
        ": one agent per host may have [enforce] nftables or iptables (two took turns "
        "writing the one table)");
  }
  // Listening, so that the next one can learn who holds it (SO_PEERCRED);
  // nobody is ever accepted.
  ::listen(fd, 1);
  return FirewallLock(fd);
}

FirewallLock::~FirewallLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace mailtrail
