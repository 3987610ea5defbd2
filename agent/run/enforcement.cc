#include "agent/run/enforcement.h"

#include <fstream>

#include "actions/postfix/postfix_tables.h"
#include "agent/blocks/allowlist.h"
#include "agent/detect/subject.h"
#include "base/cidr.h"
#include "base/text.h"

namespace mailtrail {

Enforcement::Enforcement(const Config& c)
    : c_(c), reconciler_(c.enforce.dry_run), recheck_interval_(c.enforce.recheck_interval) {
  nft_.ports = c.enforce.firewall_ports;
  iptc_.ports = c.enforce.firewall_ports;
  for (auto& a : Build(c)) {
    reconciler_.Add(std::move(a));
    any_ = true;
  }
}

std::vector<std::unique_ptr<Action>> Enforcement::Build(const Config& c) const {
  std::vector<std::unique_ptr<Action>> out;
  PostfixTableOptions to;
  to.reply = c.policy.reply;
  to.config_dir = c.blocks.postfix_config_dir;
  to.type = c.enforce.access_map_type;
  to.reload_interval = c.enforce.reload_interval;
  to.reload = c.enforce.postfix_reload;
  to.protected_subjects = c.blocks.allow_subjects;
  if (!c.enforce.access_map.empty()) {
    to.path = c.enforce.access_map;
    out.push_back(std::make_unique<AccessMapAction>(to));
  }
  if (!c.enforce.header_checks.empty()) {
    to.path = c.enforce.header_checks;
    out.push_back(std::make_unique<HeaderChecksAction>(to));
  }
  if (c.enforce.nftables) out.push_back(std::make_unique<NftFirewallAction>(nft_));
  if (c.enforce.iptables) out.push_back(std::make_unique<IptcFirewallAction>(iptc_));
  return out;
}

void Enforcement::Sync(const DesiredBlocks& desired, TimeUs mono_now) {
  if (!any_) return;
  // Not on the first Sync: every action is applied then anyway.
  if (last_recheck_ < 0) {
    last_recheck_ = mono_now;
  } else if (mono_now - last_recheck_ >= recheck_interval_) {
    last_recheck_ = mono_now;
    reconciler_.Recheck();
  }
  reconciler_.Sync(desired, mono_now);
}

Status Enforcement::ApplyOnce(const DesiredBlocks& desired, TimeUs mono_now) {
  Status first = Status::Ok();
  if (c_.enforce.dry_run) {
    reconciler_.Sync(desired, mono_now);  // says what it would do
    return first;
  }
  for (auto& a : Build(c_)) {
    Status st = a->Apply(desired, mono_now);
    if (st.ok()) continue;
    reconciler_.log->Warn(std::string(a->name()) + " not updated (" + st.message() + ")");
    if (first.ok()) first = st;
  }
  RemoveSwitchedOff();
  return first;
}

namespace {
bool LegacyFilterLoaded() {
  for (const char* names : {"/proc/net/ip_tables_names", "/proc/net/ip6_tables_names"}) {
    std::ifstream in(names);
    for (std::string line; std::getline(in, line);)
      if (line == "filter") return true;
  }
  return false;
}
}  // namespace

void Enforcement::RemoveSwitchedOff() {
  // A firewall backend switched off keeps what it last held: the agent,
  // without the capability then, cannot remove it, and the iptables chain
  // has no kernel expiry (helper-149 F4). The reconcile runs with it. A
  // failure says nothing: no privilege, or no such tables on this host.
  bool removed = false;
  if (!c_.enforce.nftables && NftFirewallAction(nft_).RemoveIfThere(&removed).ok() && removed)
    reconciler_.log->Warn("[enforce] nftables is off: removed the table inet " + nft_.table +
                          " it had left");
  // Only where legacy tables are loaded: opening them loads the kernel's
  // iptable_filter on a host that never used them.
  removed = false;
  if (!c_.enforce.iptables && LegacyFilterLoaded() &&
      IptcFirewallAction(iptc_).Remove(&removed).ok() && removed)
    reconciler_.log->Warn("[enforce] iptables is off: removed the chain " + iptc_.chain +
                          " it had left, and its INPUT jumps");
}

void Enforcement::RemoveOnStop() {
  if (c_.enforce.nftables && c_.enforce.nftables_remove_on_stop) {
    if (Status rs = NftFirewallAction(nft_).Remove(); !rs.ok())
      reconciler_.log->Warn(EscapeForLog(rs.message(), 300));
  }
  if (c_.enforce.iptables && c_.enforce.iptables_remove_on_stop) {
    if (Status rs = IptcFirewallAction(iptc_).Remove(); !rs.ok())
      reconciler_.log->Warn(EscapeForLog(rs.message(), 300));
  }
}

namespace {
// Postfix's mynetworks and this machine's addresses join the allowlist; what
// cannot be read is said, and the caller goes on with the rest.
void AddLocalAllowlist(const Config& c, std::vector<Cidr>* allow, Logger& log) {
  const size_t configured = allow->size();
  size_t mynetworks = 0, own = 0;
  if (c.blocks.allow_mynetworks) {
    auto value = PostconfMynetworks(c.blocks.postfix_config_dir);
    if (value.ok()) {
      std::vector<std::string> skipped;
      for (const Cidr& n : ParseMynetworks(*value, &skipped)) allow->push_back(n);
      mynetworks = allow->size() - configured;
      if (!skipped.empty())
        log.Warn(
            "mynetworks entries that are not networks are not allowlisted"
            " (list them in [blocks] allow): " +
            EscapeForLog(JoinItems(skipped, ' '), 300));
    } else {
      log.Warn("mynetworks not read (" + EscapeForLog(value.status().message(), 300) +
               "); list your networks in [blocks] allow");
    }
  }
  if (c.blocks.allow_own_addresses) {
    for (const Cidr& a : OwnAddresses()) allow->push_back(a);
    own = allow->size() - configured - mynetworks;
  }
  log.Info("never blocked: " + std::to_string(configured) + " networks configured, " +
           std::to_string(mynetworks) + " from mynetworks, " + std::to_string(own) +
           " addresses of this machine");
}
}  // namespace

std::string PrivateNetworkProblem(const Config& c, const std::vector<Cidr>& own, bool* fatal) {
  *fatal = false;
  const bool firewall = c.enforce.nftables || c.enforce.iptables;
  const bool enforces = firewall || !c.policy.socket.empty() || !c.policy.listen.empty() ||
                        !c.enforce.access_map.empty() || !c.enforce.header_checks.empty();
  if (!c.detect.enabled || !enforces || !OnlyLoopback(own)) return "";
  const std::string where =
      "this process sees no network address but loopback (a network namespace of its own: "
      "the systemd unit's PrivateNetwork=yes?)";
  if (firewall) {
    *fatal = true;
    return where +
           ": [enforce] nftables/iptables would change that namespace's firewall and block "
           "nothing; set PrivateNetwork=no in the firewall's drop-in (docs/postfix.md)";
  }
  if (!c.blocks.allow_own_addresses) return "";
  return where +
         ": this server's own addresses cannot be read, and are not protected from blocks; "
         "list them in [blocks] allow, or set PrivateNetwork=no (docs/postfix.md)";
}

std::string AccessMapAloneNote(const Config& c) {
  if (!c.detect.enabled || c.enforce.access_map.empty() || !c.policy.socket.empty() ||
      !c.policy.listen.empty() || c.enforce.nftables || c.enforce.iptables)
    return "";
  return "[enforce] access_map is the only backend for clients: it holds addresses and IPv4 "
         "networks, and an IPv6 network block is enforced nowhere; run the policy service "
         "(docs/postfix.md)";
}

void AllowlistOf(const Config& c, bool local, BlockPolicy* p, Logger& log) {
  p->min_subject_chars = static_cast<size_t>(c.blocks.min_subject_chars);
  p->max_period = c.blocks.max_period;  // a stored block made further ahead is not enforced
  for (const auto& a : c.blocks.allow)
    if (auto n = Cidr::Parse(a)) p->allow_cidrs.push_back(*n);  // checked by the config
  for (const auto& s : c.blocks.allow_subjects) p->allow_subjects.push_back(NormalizeSubject(s));
  if (local) AddLocalAllowlist(c, &p->allow_cidrs, log);
}

PolicyTable PolicyTableOf(const std::vector<Block>& blocks) {
  PolicyTable t;
  for (const Block& b : blocks) {
    if (!b.live) continue;
    if (b.kind == BlockKind::kIp) {
      if (auto ip = IpAddress::Parse(b.key)) t.ips.insert(ip->ToString());
    } else if (b.kind == BlockKind::kCidr) {
      if (auto n = Cidr::Parse(b.key)) t.networks.push_back(*n);
    }
  }
  return t;
}

StatusOr<std::unique_ptr<LiveEnforcement>> LiveEnforcement::Start(const Config& c) {
  std::unique_ptr<LiveEnforcement> e(new LiveEnforcement(c));
  if (c.policy.socket.empty() && c.policy.listen.empty()) return e;
  PolicyServer::Options po;
  po.socket_path = c.policy.socket;
  po.tcp_listen = c.policy.listen;
  po.reply = c.policy.reply;
  po.bounce_action = c.policy.bounce_action;
  po.socket_mode = c.policy.socket_mode;
  po.socket_group = c.policy.socket_group;
  po.socket_group_required = c.policy.socket_group_required;
  po.idle_timeout_ms = static_cast<int>(c.policy.idle_timeout / 1000);
  po.max_connections = static_cast<size_t>(c.policy.max_connections);
  po.max_connections_per_peer = static_cast<size_t>(c.policy.max_connections_per_peer);
  auto started = PolicyServer::Start(po);
  if (!started.ok()) return started.status();
  e->policy_ = std::move(*started);
  return e;
}

void LiveEnforcement::Tick(const BlockManager* blocks, TimeUs wall_now, TimeUs mono_now) {
  if (blocks == nullptr) return;
  if (blocks->version() != version_) {
    version_ = blocks->version();
    const std::vector<Block> active = blocks->Active();
    if (policy_) policy_->SetTable(PolicyTableOf(active));
    desired_ = DesiredOf(active, wall_now);
  }
  // Every tick, not only on changes: a failed or debounced update is retried.
  if (backends_.any()) {
    desired_.wall_now = wall_now;  // for the firewall's remaining times
    backends_.Sync(desired_, mono_now);
  }
}

}  // namespace mailtrail
