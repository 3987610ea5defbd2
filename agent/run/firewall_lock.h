// One agent per network namespace manages its firewall: two agents on one
// host with different stores took turns writing the one `inet mailtrail`
// table, each removing the other's blocks (helper-149). The lock is an
// abstract Unix socket, which belongs to the network namespace as the
// firewall does, and goes with the process however it ends (no file left
// to clean up, nothing the unit's read-only file system must allow).
#ifndef MAILTRAIL_AGENT_RUN_FIREWALL_LOCK_H_
#define MAILTRAIL_AGENT_RUN_FIREWALL_LOCK_H_

#include <string>

#include "base/status.h"

namespace mailtrail {

inline constexpr char kFirewallLockName[] = "mailtrail/firewall";

class FirewallLock {
 public:
  // Takes the lock `name` (an abstract socket name, without the leading
  // NUL). Unavailable, naming the holder's pid, when another agent holds it:
  // a process of this user or root that listens on it. Anything else holding
  // the name (abstract sockets have no permissions: any local user may bind
  // one) does not stop the agent (helper-155 F5): the lock is then not held,
  // and warning() says so.
  static StatusOr<FirewallLock> Take(const std::string& name = kFirewallLockName);
  FirewallLock(FirewallLock&& o) noexcept : fd_(o.fd_), warning_(std::move(o.warning_)) {
    o.fd_ = -1;
  }
  FirewallLock& operator=(FirewallLock&&) = delete;
  ~FirewallLock();
  const std::string& warning() const { return warning_; }

 private:
  FirewallLock(int fd, std::string warning) : fd_(fd), warning_(std::move(warning)) {}
  int fd_;
  std::string warning_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_FIREWALL_LOCK_H_
