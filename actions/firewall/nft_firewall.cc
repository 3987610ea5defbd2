#include "actions/firewall/nft_firewall.h"

#include <nftables/libnftables.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "base/cidr.h"

namespace mailtrail {

namespace {
// The longest kernel timeout given: nft refuses a longer one than the
// kernel can count (a ten-year hand block, `blocks add --for 3650d`, failed
// the whole table's update, so that no later block reached the kernel,
// helper-110; the bound depends on the kernel, 49 days at worst). A block
// longer than this loses its element then, and the agent's recheck or
// `enforce --reconcile` puts it back with the time left.
constexpr int64_t kMaxTimeoutSeconds = 40 * 86400;

// "timeout Ns" for a block ending at `expires` (1 s to kMaxTimeoutSeconds);
// none without one.
std::string Timeout(const DesiredBlocks& d, const std::string& key, TimeUs wall_now) {
  auto it = d.expires.find(key);
  if (it == d.expires.end() || wall_now <= 0) return "";
  const int64_t s =
      std::clamp<int64_t>((it->second - wall_now) / kUsPerSecond, 1, kMaxTimeoutSeconds);
  return " timeout " + std::to_string(s) + "s";
}
}  // namespace

std::string NftFirewallAction::Script(const DesiredBlocks& d, TimeUs wall_now) const {
  std::string v4, v6;
  auto add = [&](const std::string& key, const std::string& element, bool is_v4) {
    std::string& list = is_v4 ? v4 : v6;
    if (!list.empty()) list += ", ";
    list += element + Timeout(d, key, wall_now);
  };
  // An interval set refuses overlapping elements ("conflicting intervals"),
  // and one refused element fails the whole script: an address or network
  // inside a blocked network is left to it (with that network's timeout: if
  // the agent stops, the inner block ends with it, never later than its own).
  std::vector<std::pair<std::string, Cidr>> nets;
  for (const auto& c : d.cidrs)
    if (auto n = Cidr::Parse(c)) nets.emplace_back(c, *n);
  std::stable_sort(nets.begin(), nets.end(),
                   [](const auto& a, const auto& b) { return a.second.bits() < b.second.bits(); });
  std::vector<Cidr> kept;
  auto covered = [&](const IpAddress& a) {
    for (const Cidr& n : kept)
      if (n.Contains(a)) return true;
    return false;
  };
  for (const auto& [key, n] : nets) {
    if (covered(n.base())) continue;
    kept.push_back(n);
    add(key, n.ToString(), n.base().is_v4());
  }
  for (const auto& ip : d.ips)
    if (auto a = IpAddress::Parse(ip); a && !covered(*a)) add(ip, a->ToString(), a->is_v4());
  std::string ports;
  for (int p : o_.ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
  const std::string t = "inet " + o_.table;
  std::string s = "table " + t + "\ndelete table " + t + "\ntable " + t + " {\n";
  for (const auto& [name, type, elements] :
       {std::tuple<const char*, const char*, std::string&>{"blocked4", "ipv4_addr", v4},
        std::tuple<const char*, const char*, std::string&>{"blocked6", "ipv6_addr", v6}}) {
    s += std::string("  set ") + name + " { type " + type + "; flags interval, timeout;";
    if (!elements.empty()) s += " elements = { " + elements + " };";
    s += " }\n";
  }
  s += "  chain input {\n    type filter hook input priority -10; policy accept;\n";
  s += "    tcp dport { " + ports + " } ip saddr @blocked4 drop\n";
  s += "    tcp dport { " + ports + " } ip6 saddr @blocked6 drop\n  }\n}\n";
  return s;
}

Status NftFirewallAction::Run(const std::string& script) {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) return Status::IoError("nftables: no context");
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  const int rc = nft_run_cmd_from_buffer(ctx, script.c_str());
  std::string err = nft_ctx_get_error_buffer(ctx) ? nft_ctx_get_error_buffer(ctx) : "";
  nft_ctx_free(ctx);
  if (rc != 0) {
    // libnftables writes the failing command and carets around its "Error:"
    // line; that line says what is wrong.
    size_t at = err.find("Error:");
    if (at == std::string::npos) at = err.find_first_not_of("\n ");
    if (at == std::string::npos) at = err.size();
    return Status::IoError("nftables: " + err.substr(at, err.find('\n', at) - at));
  }
  return Status::Ok();
}

Status NftFirewallAction::Apply(const DesiredBlocks& desired, TimeUs) {
  return Run(Script(desired, desired.wall_now));
}

Status NftFirewallAction::RemoveIfThere(bool* removed) {
  *removed = false;
  Status st = Run("delete table inet " + o_.table + "\n");
  if (st.ok()) {
    *removed = true;
  } else if (st.message().find("No such file or directory") != std::string::npos) {
    st = Status::Ok();  // none there
  }
  return st;
}

Status NftFirewallAction::Remove() {
  const std::string t = "inet " + o_.table;
  return Run("table " + t + "\ndelete table " + t + "\n");
}

}  // namespace mailtrail
