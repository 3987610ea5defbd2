#include "agent/web/proxy_auth.h"

#include <algorithm>

namespace mailtrail::web {

namespace {

constexpr size_t kMaxName = 256;

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

std::string ProxyHeaderProblem(std::string_view header) {
  return IsHeaderName(header) ? ""
                              : "proxy_header (--proxy-header): letters, digits and '-' "
                                "(X-Remote-User), not " +
                                    std::string(header);
}

std::string TrustedProxyProblem(std::string_view net) {
  return Cidr::Parse(net)
             ? ""
             : "trusted_proxy (--trusted-proxy): not an address or network: " + std::string(net);
}

std::string ProxyOperatorProblem(std::string_view user) {
  return IsName(user)
             ? ""
             : "proxy_operators (--proxy-operators): not a user name: " + std::string(user);
}

StatusOr<ProxyAuth> ParseProxyAuth(std::string_view header, const std::vector<std::string>& trusted,
                                   const std::vector<std::string>& operators) {
  ProxyAuth p;
  if (std::string why = ProxyHeaderProblem(header); !why.empty())
    return Status::InvalidArgument(why);
  p.header = std::string(header);
  for (const std::string& net : trusted) {
    if (std::string why = TrustedProxyProblem(net); !why.empty())
      return Status::InvalidArgument(why);
    p.trusted.push_back(*Cidr::Parse(net));
  }
  if (p.trusted.empty())
    return Status::InvalidArgument(
        "a proxy header needs the proxies' addresses (trusted_proxy, --trusted-proxy)");
  for (const std::string& user : operators) {
    if (std::string why = ProxyOperatorProblem(user); !why.empty())
      return Status::InvalidArgument(why);
    p.operators.insert(user);
  }
  return p;
}

StatusOr<ProxyAuth> ParseProxyAuth(std::string_view header, std::string_view trusted,
                                   std::string_view operators) {
  return ParseProxyAuth(header, SplitCommas(trusted), SplitCommas(operators));
}

bool IsTrustedProxy(const ProxyAuth& p, std::string_view peer) {
  const auto ip = IpAddress::Parse(peer);
  return ip && std::any_of(p.trusted.begin(), p.trusted.end(),
                           [&](const Cidr& c) { return c.Contains(*ip); });
}

std::optional<Principal> ProxyPrincipal(const ProxyAuth& p, std::string_view peer,
                                        const std::optional<std::string>& value) {
  if (!value || !IsName(*value) || !IsTrustedProxy(p, peer)) return std::nullopt;
  return Principal{*value, p.operators.count(*value) ? Role::kOperator : Role::kViewer};
}

}  // namespace mailtrail::web
