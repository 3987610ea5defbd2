// NftFirewallAction: blocked IPs and networks dropped by the kernel for the SMTP
// ports, through libnftables: mailtrail's own `inet mailtrail` table with one
// set per family whose elements carry kernel timeouts (a block ends on time
// even if the agent is gone). Every Apply replaces the whole table in one
// atomic nft transaction (create-if-missing, delete, re-create with the
// elements), so it is idempotent and repairs a table someone flushed. Only
// validated addresses reach the command text (docs/security.md rule 2: nft would
// resolve a name through DNS). Needs CAP_NET_ADMIN.
#ifndef MAILTRAIL_ACTIONS_FIREWALL_NFT_FIREWALL_H_
#define MAILTRAIL_ACTIONS_FIREWALL_NFT_FIREWALL_H_

#include <string>
#include <vector>

#include "actions/action.h"

namespace mailtrail {

struct NftOptions {
  std::string table = "mailtrail";
  std::vector<int> ports = {25, 465, 587};
};

class NftFirewallAction : public Action {
 public:
  explicit NftFirewallAction(NftOptions o) : o_(std::move(o)) {}
  const char* name() const override { return "nftables"; }
  Status Apply(const DesiredBlocks& desired, TimeUs now) override;
  // Removes the table (at stop, when configured to).
  Status Remove();
  // Removes the table if there is one, saying whether there was.
  Status RemoveIfThere(bool* removed);
  // The nft script for `desired` (pure; for tests).
  std::string Script(const DesiredBlocks& desired, TimeUs wall_now) const;

 private:
  Status Run(const std::string& script);
  NftOptions o_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_FIREWALL_NFT_FIREWALL_H_
