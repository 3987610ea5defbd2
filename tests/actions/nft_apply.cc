// Test helper: applies blocks with NftFirewallAction in the network namespace
// it runs in (`ip netns exec NS nft_apply [--ttl S] [--remove] ADDR...`).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "actions/firewall/nft_firewall.h"

int main(int argc, char** argv) {
  mailtrail::NftFirewallAction nft({});
  mailtrail::DesiredBlocks d;
  long ttl = 3600;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--remove")) {
      auto st = nft.Remove();
      if (!st.ok()) std::fprintf(stderr, "%s\n", st.message().c_str());
      return st.ok() ? 0 : 1;
    }
    if (!std::strcmp(argv[i], "--ttl") && i + 1 < argc) {
      ttl = std::atol(argv[++i]);
      continue;
    }
    (std::strchr(argv[i], '/') ? d.cidrs : d.ips).push_back(argv[i]);
  }
  d.wall_now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  for (const auto& k : d.ips) d.expires[k] = d.wall_now + ttl * mailtrail::kUsPerSecond;
  for (const auto& k : d.cidrs) d.expires[k] = d.wall_now + ttl * mailtrail::kUsPerSecond;
  auto st = nft.Apply(d, 0);
  if (!st.ok()) std::fprintf(stderr, "%s\n", st.message().c_str());
  return st.ok() ? 0 : 1;
}
