// Test helper: applies blocks with a firewall backend in the network namespace
// it runs in: `ip netns exec NS fw_apply nft|iptc [--ports P,P] [--ttl S] [--remove] ADDR...`.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "actions/firewall/iptc_firewall.h"
#include "actions/firewall/nft_firewall.h"
#include "base/real_clock.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const bool nft = !std::strcmp(argv[1], "nft");
  mailtrail::NftOptions no;
  mailtrail::IptcOptions io;
  if (argc > 3 && !std::strcmp(argv[2], "--ports")) {  // first, if given
    no.ports.clear();
    for (char* p = std::strtok(argv[3], ","); p != nullptr; p = std::strtok(nullptr, ","))
      no.ports.push_back(std::atoi(p));
    io.ports = no.ports;
    argv += 2;
    argc -= 2;
  }
  mailtrail::NftFirewallAction n(no);
  mailtrail::IptcFirewallAction i(io);
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
  // A program of its own: the real clock, as the agent's entry point builds it
  // (the kernel's set timeouts count real time).
  d.wall_now = mailtrail::RealClock().WallNow();
  for (const auto& key : d.ips) d.expires[key] = d.wall_now + ttl * mailtrail::kUsPerSecond;
  for (const auto& key : d.cidrs) d.expires[key] = d.wall_now + ttl * mailtrail::kUsPerSecond;
  auto st = nft ? n.Apply(d, 0) : i.Apply(d, 0);
  if (!st.ok()) std::fprintf(stderr, "%s\n", st.message().c_str());
  return st.ok() ? 0 : 1;
}
