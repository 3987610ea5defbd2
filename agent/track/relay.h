// Where a delivery went: a delivery line's relay= field read once, for every
// place that asks (docs/postfix-logs.md). The tracker asks whether it was a
// content filter (whose reply may name the leg that comes back), the answer
// memory whether it was another MTA (agent/detect/outbound.h), the detector
// whether a notice from our own networks was handed in for our users or is
// on its way out (FloodDetector::OnItsWayOut). Three readings of the field
// once disagreed: a dovecot LMTP socket was taken for an outside MTA.
#ifndef MAILTRAIL_AGENT_TRACK_RELAY_H_
#define MAILTRAIL_AGENT_TRACK_RELAY_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/ip_address.h"

namespace mailtrail {

struct Relay {
  enum class Kind : uint8_t {
    kNone,       // "" or "none": delivered nowhere (deferred before a connection, discarded)
    kTransport,  // no brackets: local, virtual, a pipe transport's name
    kSocket,     // "host[private/dovecot-lmtp]": a local socket (LMTP)
    kAddress,    // "host[ip]:port"
  };
  Kind kind = Kind::kNone;
  std::string_view host;        // before '[' (kTransport: the whole field)
  std::optional<IpAddress> ip;  // kAddress
  std::string_view port;        // after ']': ":25", or empty

  // A mailbox server over LMTP: a socket, or port 24.
  bool IsLmtp() const { return kind == Kind::kSocket || (kind == Kind::kAddress && port == ":24"); }
  // Another MTA: an address, not LMTP's port, and on loopback only port 25
  // (a content filter listens on 127.0.0.1:10024 and the like; a lab's
  // "remote" MX may sit on 127.0.0.3:25).
  bool IsAnotherMta() const {
    return kind == Kind::kAddress && port != ":24" && !(ip->IsLoopback() && port != ":25");
  }
  // A content filter's listener: on loopback, or on a port other than SMTP's
  // and submission's (amavis's 10024 on another host). An outside MX answers
  // on port 25, a relay host or smarthost on 587, 465 or 2525.
  bool IsContentFilter() const {
    if (kind != Kind::kAddress) return false;
    if (ip->IsLoopback()) return true;
    return port.size() > 1 && port[0] == ':' && port != ":25" && port != ":587" && port != ":465" &&
           port != ":2525";
  }
};

Relay ParseRelay(std::string_view relay);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_RELAY_H_
