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
  // NUL); Unavailable, naming the holder's pid when it can be learned, if
  // another process holds it.
  static StatusOr<FirewallLock> Take(const std::string& name = kFirewallLockName);
  FirewallLock(FirewallLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FirewallLock& operator=(FirewallLock&&) = delete;
  ~FirewallLock();

 private:
  explicit FirewallLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_FIREWALL_LOCK_H_
