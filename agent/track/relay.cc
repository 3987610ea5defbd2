#include "agent/track/relay.h"

namespace mailtrail {

Relay ParseRelay(std::string_view relay) {
  Relay r;
  if (relay.empty() || relay == "none") return r;
  const size_t open = relay.find('['), close = relay.rfind(']');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    r.kind = Relay::Kind::kTransport;
    r.host = relay;
    return r;
  }
  r.host = relay.substr(0, open);
  r.port = relay.substr(close + 1);
  r.ip = IpAddress::Parse(relay.substr(open + 1, close - open - 1));
  r.kind = r.ip ? Relay::Kind::kAddress : Relay::Kind::kSocket;
  return r;
}

}  // namespace mailtrail
