// Action: one way of enforcing blocks (a Postfix table, the firewall...). The
// Reconciler (actions/reconciler.h) hands every action the whole desired set;
// an action makes its backend match it (level-triggered, idempotent).
#ifndef MAILTRAIL_ACTIONS_ACTION_H_
#define MAILTRAIL_ACTIONS_ACTION_H_

#include <map>
#include <string>
#include <vector>

#include "base/civil_time.h"
#include "base/status.h"

namespace mailtrail {

// The live blocks, validated: IPs in canonical text, CIDRs as Cidr::ToString(),
// subjects as Postfix logged them (raw forms).
struct DesiredBlocks {
  std::vector<std::string> ips, cidrs, subjects;
  // When each IP/CIDR block ends (wall clock), and the wall clock now: for
  // backends with their own expiry (nftables timeouts). The ends are
  // compared: a block extended or shortened changes no member, and those
  // backends heard of its new end only at the next recheck (helper-110);
  // the clock is not.
  std::map<std::string, TimeUs> expires;
  TimeUs wall_now = 0;
  bool operator==(const DesiredBlocks& o) const {
    return ips == o.ips && cidrs == o.cidrs && subjects == o.subjects && expires == o.expires;
  }
};

class Action {
 public:
  virtual ~Action() = default;
  virtual const char* name() const = 0;
  // Makes the backend hold `desired`. kUnavailable: not now (a debounce),
  // call again later; other errors are failures (reported, retried).
  virtual Status Apply(const DesiredBlocks& desired, TimeUs now) = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_ACTION_H_
