#include "agent/web/proxy_auth.h"

namespace mailtrail::web {

namespace {

constexpr size_t kMaxName = 256;

std::vector<std::string> SplitCommas(std::string_view s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= s.size()) {
    const size_t c = std::min(s.find(',', at), s.size());
    if (c > at) out.emplace_back(s.substr(at, c - at));
    at = c + 1;
  }
  return out;
}

bool IsHeaderName(std::string_view h) {
  if (h.empty() || h.size() > 64) return false;
  for (char c : h)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

bool IsName(std::string_view v) {
  if (v.empty() || v.size() > kMaxName) return false;
  for (char c : v)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

}  // namespace

StatusOr<ProxyAuth> ParseProxyAuth(std::string_view header, std::string_view trusted,
                                   std::string_view operators) {
  ProxyAuth p;
  if (!IsHeaderName(header))
    return Status::InvalidArgument("proxy header: letters, digits and '-' (X-Remote-User)");
  p.header = std::string(header);
  for (const std::string& net : SplitCommas(trusted)) {
    auto c = Cidr::Parse(net);
    if (!c) return Status::InvalidArgument("trusted proxy: not an address or network: " + net);
    p.trusted.push_back(*c);
  }
  if (p.trusted.empty())
    return Status::InvalidArgument("a proxy header needs the proxies' addresses (--trusted-proxy)");
  for (const std::string& user : SplitCommas(operators)) {
    if (!IsName(user)) return Status::InvalidArgument("proxy operator: not a user name: " + user);
    p.operators.insert(user);
  }
  return p;
}

std::optional<Principal> ProxyPrincipal(const ProxyAuth& p, std::string_view peer,
                                        const std::optional<std::string>& value) {
  if (!value || !IsName(*value)) return std::nullopt;
  const auto ip = IpAddress::Parse(peer);
  if (!ip) return std::nullopt;
  bool trusted = false;
  for (const Cidr& c : p.trusted) trusted = trusted || c.Contains(*ip);
  if (!trusted) return std::nullopt;
  return Principal{*value, p.operators.count(*value) ? Role::kOperator : Role::kViewer};
}

}  // namespace mailtrail::web
