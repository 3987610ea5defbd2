// Where the allowlist comes from besides the configuration: Postfix's own
// `mynetworks` (postconf, run without a shell) and this machine's addresses
// (getifaddrs). SECURITY.md rule 4: none of these is ever blocked.
#ifndef MAILTRAIL_AGENT_BLOCKS_ALLOWLIST_H_
#define MAILTRAIL_AGENT_BLOCKS_ALLOWLIST_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/cidr.h"
#include "base/status.h"

namespace mailtrail {

// The networks of a `mynetworks` value as `postconf -h` prints it ("127.0.0.0/8
// [::1]/128 192.0.2.0/24", commas or spaces). Entries that are not networks
// (host names, type:table lookups, /file names) go to `skipped`.
std::vector<Cidr> ParseMynetworks(std::string_view value, std::vector<std::string>* skipped);

// `postconf -c DIR -h mynetworks`, run by execve (no shell), its output.
StatusOr<std::string> PostconfMynetworks(const std::string& config_dir,
                                         const std::string& postconf = "/usr/sbin/postconf");

// Every address of this machine's interfaces, as single-address networks.
std::vector<Cidr> OwnAddresses();

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_BLOCKS_ALLOWLIST_H_
