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

// Who listens on the abstract socket (pid 0: nobody does, or it cannot
// be told).
ucred Holder(const sockaddr_un& a, socklen_t len) {
  ucred cred{};
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return cred;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), len) == 0) {
    socklen_t clen = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0) cred = ucred{};
  }
  ::close(fd);
  return cred;
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
    const ucred holder = Holder(a, len);
    if (holder.pid > 0 && (holder.uid == ::geteuid() || holder.uid == 0))
      return Status::Unavailable(
          "another mailtrail agent manages this network namespace's firewall (pid " +
          std::to_string(holder.pid) +
          "): one agent per host may have [enforce] nftables or iptables (two took turns "
          "writing the one table)");
    return FirewallLock(
        -1, "the firewall's lock (@" + name + ") is held by " +
                (holder.pid > 0
                     ? "pid " + std::to_string(holder.pid) + ", uid " + std::to_string(holder.uid)
                     : std::string("a process that does not listen")) +
                ", no agent: going on without it (a second agent with a firewall would not "
                "be refused)");
  }
  // Listening, so that the next one can learn who holds it (SO_PEERCRED);
  // nobody is ever accepted.
  ::listen(fd, 1);
  return FirewallLock(fd, "");
}

FirewallLock::~FirewallLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace mailtrail
