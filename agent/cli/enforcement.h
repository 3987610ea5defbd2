// Enforcement: the configured backends (access map, header_checks, nftables,
// iptables) kept matching the live blocks, for the agent's loop and for the
// one-shot `mailtrail enforce --reconcile`. Besides applying every change, it
// re-applies everything every recheck interval: a firewall reload (`nft flush
// ruleset`), a deleted table or chain, a Postfix table edited or removed by
// someone else is repaired within that interval, without a block changing
// (issue 19 item 5). The policy service is not here: it lives and dies with
// the agent's process.
// Thread: the caller's (the loop's). Needs the privileges of its backends.
#ifndef MAILTRAIL_AGENT_CLI_ENFORCEMENT_H_
#define MAILTRAIL_AGENT_CLI_ENFORCEMENT_H_

#include <string>
#include <vector>

#include "actions/firewall/iptc_firewall.h"
#include "actions/firewall/nft_firewall.h"
#include "actions/reconciler.h"
#include "agent/blocks/block_manager.h"
#include "agent/config/config.h"

namespace mailtrail::cli {

class Enforcement {
 public:
  explicit Enforcement(const Config& c, TimeUs recheck_interval = 30 * kUsPerSecond);
  // Whether any backend is configured.
  bool any() const { return any_; }
  // Makes the backends hold `desired`; rechecks them all when the interval
  // has passed since the last recheck (`mono_now`: monotonic).
  void Sync(const DesiredBlocks& desired, TimeUs mono_now);
  // One pass over every backend, rewritten where it differs from `desired`
  // (the reconcile verb). Returns the first failure; every backend is tried.
  Status ApplyOnce(const DesiredBlocks& desired, TimeUs mono_now);
  // What the configuration asks at stop (remove the firewall's table/chain).
  void RemoveOnStop();
  std::function<void(const std::string&)>& say() { return reconciler_.say; }

 private:
  std::vector<std::unique_ptr<Action>> Build(const Config& c) const;
  const Config c_;
  NftOptions nft_;
  IptcOptions iptc_;
  Reconciler reconciler_;
  bool any_ = false;
  TimeUs recheck_interval_;
  TimeUs last_recheck_ = -1;
};

// The allowlists of `c` into `p` (configured networks and subjects, the
// minimum subject length) and, when `local`, Postfix's mynetworks and this
// machine's addresses (said on stderr).
void AllowlistOf(const Config& c, bool local, BlockPolicy* p);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_ENFORCEMENT_H_
