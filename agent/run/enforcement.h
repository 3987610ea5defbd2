// Enforcement: the configured backends (access map, header_checks, nftables,
// iptables) kept matching the live blocks, for the agent's loop and for the
// one-shot `mailtrail enforce --reconcile`. Besides applying every change, it
// re-applies everything every recheck interval: a firewall reload (`nft flush
// ruleset`), a deleted table or chain, a Postfix table edited or removed by
// someone else is repaired within that interval, without a block changing
// (issue 19 item 5). The policy service is not here: it lives and dies with
// the agent's process: LiveEnforcement below holds both for `run`.
// Thread: the caller's (the loop's). Needs the privileges of its backends.
#ifndef MAILTRAIL_AGENT_RUN_ENFORCEMENT_H_
#define MAILTRAIL_AGENT_RUN_ENFORCEMENT_H_

#include <string>
#include <vector>

#include "actions/firewall/iptc_firewall.h"
#include "actions/firewall/nft_firewall.h"
#include "actions/policy/policy_server.h"
#include "actions/reconciler.h"
#include "agent/blocks/block_manager.h"
#include "agent/blocks/desired.h"
#include "agent/config/config.h"

namespace mailtrail {

class Enforcement {
 public:
  // Rechecks every c.enforce.recheck_interval.
  explicit Enforcement(const Config& c);
  // Whether any backend is configured.
  bool any() const { return any_; }
  // Makes the backends hold `desired`; rechecks them all when the interval
  // has passed since the last recheck (`mono_now`: monotonic).
  void Sync(const DesiredBlocks& desired, TimeUs mono_now);
  // One pass over every backend, rewritten where it differs from `desired`
  // (the reconcile verb), and what a firewall backend switched off had left
  // removed (RemoveSwitchedOff). Returns the first failure; every backend is
  // tried.
  Status ApplyOnce(const DesiredBlocks& desired, TimeUs mono_now);
  void RemoveSwitchedOff();
  // What the configuration asks at stop (remove the firewall's table/chain).
  void RemoveOnStop();
  // Where failures and dry runs are said (default: stderr).
  void set_log(Logger* log) { reconciler_.log = log; }

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

// What the live agent enforces, ticked by its loop: the policy service (if
// configured) answers from the live IP and CIDR blocks, and the backends hold
// them, rebuilt when the blocks change and retried every tick (a failed or
// debounced update; the reconciler skips the backends that already match).
class LiveEnforcement {
 public:
  // Starts the policy service of `c` [policy] (none configured: none started).
  static StatusOr<std::unique_ptr<LiveEnforcement>> Start(const Config& c);
  // Follows `blocks` (null: detection is off) at `wall_now` / `mono_now`.
  void Tick(const BlockManager* blocks, TimeUs wall_now, TimeUs mono_now);
  // What [enforce] asks at stop; the policy service stops (its socket file
  // goes, also before a stop cut short by a second signal: helper-106).
  void Stop() {
    backends_.RemoveOnStop();
    policy_.reset();
  }
  // The policy service's notice at start ("" if none or nothing to say).
  std::string notice() const { return policy_ ? policy_->notice() : std::string(); }
  const PolicyServer* policy() const { return policy_.get(); }

 private:
  explicit LiveEnforcement(const Config& c) : backends_(c) {}
  std::unique_ptr<PolicyServer> policy_;
  Enforcement backends_;
  uint64_t version_ = ~uint64_t{0};
  DesiredBlocks desired_;  // the live blocks as the backends get them
};

// The live IP and CIDR blocks, as the policy service looks them up.
PolicyTable PolicyTableOf(const std::vector<Block>& blocks);

// "" unless this process sees no address but loopback (a private network
// namespace: the unit's PrivateNetwork=yes) while `c` enforces blocks:
// then the firewall would go into that namespace and block nothing
// (`*fatal`), and the server's own addresses, unseen, are not protected
// (helper-149 F1). `own`: OwnAddresses().
std::string PrivateNetworkProblem(const Config& c, const std::vector<Cidr>& own, bool* fatal);

// "" unless the access map is the only backend for addresses: it cannot hold
// an IPv6 network (access(5) matches IPv6 prefixes by the compressed
// address's groups), which is then blocked nowhere (helper-149 F6).
std::string AccessMapAloneNote(const Config& c);

// What of `c` decides which stored blocks are enforced, into `p`: the
// allowlists (configured networks and subjects), the minimum subject length,
// max_period (BlockManager::MadeTooFarAhead) and, when `local`, Postfix's
// mynetworks and this machine's addresses (said to `log`). The agent and
// `enforce --reconcile` both take it, so that they agree.
void AllowlistOf(const Config& c, bool local, BlockPolicy* p, Logger& log = StderrLog());

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_ENFORCEMENT_H_
