// IptcFirewallAction: the legacy iptables backend, through libiptc and
// libip6tc: a chain of its own (`mailtrail`) in the filter table for IPv4 and
// for IPv6, with one DROP rule per blocked address or network, jumped to from
// INPUT for the SMTP ports. An Apply whose rules and jumps are all there
// already commits nothing; otherwise it flushes the chain and refills it, and
// adds the INPUT jumps that are missing (checked before inserting), in one
// commit per family (libiptc replaces the whole table). No kernel expiry: a
// block ends when the agent applies the set without it. Debian 12's `iptables`
// (nft variant) does not show these rules; `iptables-legacy` does. Needs
// CAP_NET_ADMIN and CAP_NET_RAW.
#ifndef MAILTRAIL_ACTIONS_FIREWALL_IPTC_FIREWALL_H_
#define MAILTRAIL_ACTIONS_FIREWALL_IPTC_FIREWALL_H_

#include <string>
#include <vector>

#include "actions/action.h"

namespace mailtrail {

struct IptcOptions {
  std::string chain = "mailtrail";
  std::vector<int> ports = {25, 465, 587};
};

class IptcFirewallAction : public Action {
 public:
  explicit IptcFirewallAction(IptcOptions o) : o_(std::move(o)) {}
  const char* name() const override { return "iptables (libiptc)"; }
  Status Apply(const DesiredBlocks& desired, TimeUs now) override;
  // Removes the INPUT jumps and the chain (flush-on-stop); `removed`, if
  // given, says whether there was a chain.
  Status Remove(bool* removed = nullptr);

 private:
  IptcOptions o_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_FIREWALL_IPTC_FIREWALL_H_
