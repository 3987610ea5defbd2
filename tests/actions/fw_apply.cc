// Test helper: applies blocks with a firewall backend in the network namespace
// it runs in: `ip netns exec NS fw_apply nft|iptc [--ttl S] [--remove] ADDR...`.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "actions/firewall/iptc_firewall.h"
#include "actions/firewall/nft_firewall.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const bool nft = !std::strcmp(argv[1], "nft");
  mailtrail::NftFirewallAction n({});
  mailtrail::IptcFirewallAction i({});
  mailtrail::DesiredBlocks d;
  long ttl = 3600;
  for (int k = 2; k < argc; ++k) {
    if (!std::strcmp(argv[k], "--remove")) {
      auto st = nft ? n.Remove() : i.Remove();
      if (!st.ok()) std::fprintf(stderr, "%s\n", st.message().c_str());
      return st.ok() ? 0 : 1;
    }
    if (!std::strcmp(argv[k], "--ttl") && k + 1 < argc) {
      ttl = std::atol(argv[++k]);
      continue;
    }
    (std::strchr(argv[k], '/') ? d.cidrs : d.ips).push_back(argv[k]);
  }
  d.wall_now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  for (const auto& key : d.ips) d.expires[key] = d.wall_now + ttl * mailtrail::kUsPerSecond;
  for (const auto& key : d.cidrs) d.expires[key] = d.wall_now + ttl * mailtrail::kUsPerSecond;
  auto st = nft ? n.Apply(d, 0) : i.Apply(d, 0);
  if (!st.ok()) std::fprintf(stderr, "%s\n", st.message().c_str());
  return st.ok() ? 0 : 1;
}
