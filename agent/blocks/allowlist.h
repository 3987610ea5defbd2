// Where the allowlist comes from besides the configuration: Postfix's own
// `mynetworks` (postconf, run without a shell) and this machine's addresses
// (getifaddrs). docs/security.md rule 4: none of these is ever blocked.
#ifndef MAILTRAIL_AGENT_BLOCKS_ALLOWLIST_H_
#define MAILTRAIL_AGENT_BLOCKS_ALLOWLIST_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/cidr.h"
#include "base/status.h"

namespace mailtrail {

// One network never blocked, and where it comes from ("mynetworks",
// "[blocks] allow", "loopback", ...: said when a block is refused).
struct AllowEntry {
  Cidr net;
  std::string source;
};

// Networks checked by overlap: a block on an address or a CIDR is refused when
// it shares any address with an entry (a CIDR that covers one allowlisted
// address is refused whole: better no block than a hole in the allowlist).
// An IPv4 entry also holds its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so a
// block written either way meets it.
class Allowlist {
 public:
  void Add(const Cidr& net, const std::string& source);
  // The first entry sharing an address with `net`, or nullptr.
  const AllowEntry* Overlapping(const Cidr& net) const;
  size_t size() const { return entries_.size(); }

 private:
  std::vector<AllowEntry> entries_;
};

// What is never a mail client and must never be blocked whatever the
// configuration says: the unspecified addresses, broadcast, multicast, and this
// host's own loopback address (127.0.0.1, ::1).
std::vector<AllowEntry> AlwaysProtected();
// The whole loopback ranges (127.0.0.0/8, ::1): what the command line refuses
// by hand. (The agent takes loopback from [blocks] allow, whose default holds
// it, so that tests can replay floods logged from 127.x addresses.)
std::vector<AllowEntry> LoopbackNetworks();

// The networks of a `mynetworks` value as `postconf -h` prints it ("127.0.0.0/8
// [::1]/128 192.0.2.0/24", commas or spaces). Entries that are not networks
// (host names, type:table lookups, /file names) go to `skipped`.
std::vector<Cidr> ParseMynetworks(std::string_view value, std::vector<std::string>* skipped);

// postconf answers in milliseconds: one that hangs must not hold a start or
// check-config (helper-146 F3); it is stopped after this long.
inline constexpr int kPostconfTimeoutMs = 10000;

// `postconf -c DIR -h mynetworks`, run by execve (no shell), its output.
StatusOr<std::string> PostconfMynetworks(const std::string& config_dir,
                                         const std::string& postconf = "/usr/sbin/postconf");

// Every address of this machine's interfaces, as single-address networks.
std::vector<Cidr> OwnAddresses();

// True when `own` holds no address but loopback: this process is in a network
// namespace of its own (the unit's PrivateNetwork=yes), where the host's
// addresses are not seen and a firewall rule protects nothing.
bool OnlyLoopback(const std::vector<Cidr>& own);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_BLOCKS_ALLOWLIST_H_
