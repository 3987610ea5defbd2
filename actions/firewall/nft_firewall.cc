#include "actions/firewall/nft_firewall.h"

#include <nftables/libnftables.h>

#include <algorithm>

#include "base/cidr.h"

namespace mailtrail {

namespace {
// "timeout Ns" for a block ending at `expires` (at least 1 s); none without one.
std::string Timeout(const DesiredBlocks& d, const std::string& key, TimeUs wall_now) {
  auto it = d.expires.find(key);
  if (it == d.expires.end() || wall_now <= 0) return "";
  const int64_t s = std::max<int64_t>(1, (it->second - wall_now) / kUsPerSecond);
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
  for (const auto& ip : d.ips)
    if (auto a = IpAddress::Parse(ip)) add(ip, a->ToString(), a->is_v4());
  for (const auto& c : d.cidrs) {
    auto n = Cidr::Parse(c);
    if (!n) continue;
    const std::string text = n->ToString();
    add(c, text, text.find(':') == std::string::npos);
  }
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
  if (rc != 0) return Status::IoError("nftables: " + err.substr(0, err.find('\n')));
  return Status::Ok();
}

Status NftFirewallAction::Apply(const DesiredBlocks& desired, TimeUs) {
  return Run(Script(desired, desired.wall_now));
}

Status NftFirewallAction::Remove() {
  const std::string t = "inet " + o_.table;
  return Run("table " + t + "\ndelete table " + t + "\n");
}

}  // namespace mailtrail
