#include "agent/blocks/desired.h"

#include <algorithm>

#include "base/cidr.h"
#include "base/ip_address.h"

namespace mailtrail {

DesiredBlocks DesiredOf(const std::vector<Block>& blocks, TimeUs wall_now) {
  DesiredBlocks d;
  d.wall_now = wall_now;
  for (const Block& b : blocks) {
    if (!b.live) continue;
    if (b.kind == BlockKind::kIp) {
      if (auto ip = IpAddress::Parse(b.key)) {
        d.ips.push_back(ip->ToString());
        d.expires[ip->ToString()] = b.expires;
      }
    } else if (b.kind == BlockKind::kCidr) {
      if (auto n = Cidr::Parse(b.key)) {
        d.cidrs.push_back(n->ToString());
        d.expires[n->ToString()] = b.expires;
      }
    } else if (b.kind == BlockKind::kSubject) {
      for (const auto& raw : b.raw_subjects) d.subjects.push_back(raw);
    }
  }
  for (auto* v : {&d.ips, &d.cidrs, &d.subjects}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return d;
}

}  // namespace mailtrail
