// FloodDetector and the hosts of ours (never_counted): which bounces count
// from their client, and which are our own servers' notices on their way out
// (docs/detection.md, "How it decides").
#include <string_view>

#include "agent/detect/flood_detector.h"
#include "agent/track/relay.h"
#include "base/ip_address.h"

namespace mailtrail {

bool FloodDetector::CountsFromItsClient(const MessageRecord& r, bool* ours) const {
  if (r.client_ip.empty() || !r.parent_qid.empty() || !r.sasl_username.empty()) return false;
  static const IpAddress kLoopback4 = *IpAddress::Parse("127.0.0.1");
  static const IpAddress kLoopback6 = *IpAddress::Parse("::1");
  const auto ip = IpAddress::Parse(r.client_ip);
  if (!ip || *ip == kLoopback4 || *ip == kLoopback6) return false;
  *ours = NeverCounted(*ip);
  return !(*ours && OnItsWayOut(r));
}

// A bounce from our own networks counts only when it was handed in for our
// users: one of its recipients delivered here (local, virtual, a pipe
// transport, LMTP) or to a mailbox server inside our networks. Anything else
// (relayed to an outside MTA, to a content filter on loopback whose leg goes
// out, or not delivered at all, relay=none) is taken for our own servers'
// notice on its way out: counting those got the standard NDR subject blocked
// for everyone (helper-65, helper-67). The price: backscatter a gateway of
// ours hands in for mailboxes hosted elsewhere is not counted.
bool FloodDetector::OnItsWayOut(const MessageRecord& r) const {
  if (r.recipients.empty()) return false;
  for (const auto& rc : r.recipients) {
    if (rc.relay == kRequeueRelay) continue;  // postsuper -r: its way goes on
    const Relay relay = ParseRelay(rc.relay);
    switch (relay.kind) {
      case Relay::Kind::kNone:
        continue;
      case Relay::Kind::kTransport:  // local, virtual, a pipe
      case Relay::Kind::kSocket:     // LMTP: dovecot's host[private/dovecot-lmtp]
        return false;
      case Relay::Kind::kAddress:
        // LMTP, or a mailbox server inside our networks (not loopback: a
        // content filter, whose leg goes on).
        if (relay.IsLmtp() || (!relay.ip->IsLoopback() && NeverCounted(*relay.ip))) return false;
        continue;
    }
  }
  return true;
}

bool FloodDetector::NeverCounted(std::string_view ip) const {
  const auto a = IpAddress::Parse(ip);
  return a && NeverCounted(*a);
}

bool FloodDetector::NeverCounted(const IpAddress& ip) const {
  for (const Cidr& n : o_.never_counted)
    if (n.Contains(ip)) return true;
  return false;
}

}  // namespace mailtrail
