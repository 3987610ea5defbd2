// Authentication by a trusted reverse proxy: the proxy authenticates the user
// (SSO, client certificates, ...) and names them in a header; the console
// believes that header only on connections from the proxy's configured
// addresses. From anywhere else the header is ignored (the request then needs
// its own credentials, or gets 401). Proxy users are viewers unless listed as
// operators.
//
// SECURITY: the header value is untrusted text even from the proxy: 1..256
// printable ASCII characters, or no principal.
#ifndef MAILTRAIL_AGENT_WEB_PROXY_AUTH_H_
#define MAILTRAIL_AGENT_WEB_PROXY_AUTH_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/web/auth.h"
#include "base/cidr.h"
#include "base/status.h"

namespace mailtrail::web {

struct ProxyAuth {
  std::string header;               // e.g. X-Remote-User
  std::vector<Cidr> trusted;        // the proxies' addresses
  std::set<std::string> operators;  // users the proxy names who may write
};

// From the settings ([web] proxy_header, trusted_proxy, proxy_operators):
// the header name, the proxies' IPs or CIDRs (at least one) and the operators'
// names. InvalidArgument names what is wrong.
StatusOr<ProxyAuth> ParseProxyAuth(std::string_view header, const std::vector<std::string>& trusted,
                                   const std::vector<std::string>& operators);
// The same from the flags: "CIDR,CIDR,..." and "USER,USER,...".
StatusOr<ProxyAuth> ParseProxyAuth(std::string_view header, std::string_view trusted,
                                   std::string_view operators);
// "A,B,C" -> {"A", "B", "C"} (empty items dropped): a flag's list.
std::vector<std::string> SplitCommas(std::string_view s);

// Each part alone: what is wrong with it, or "" (the configuration checks
// each key with these, to point at the key's own line).
std::string ProxyHeaderProblem(std::string_view header);
std::string TrustedProxyProblem(std::string_view net);
std::string ProxyOperatorProblem(std::string_view user);

// Whether `peer` (a connection's address) is one of the trusted proxies.
bool IsTrustedProxy(const ProxyAuth& p, std::string_view peer);
// The principal the proxy names: nullopt when `peer` (the connection's
// address) is not a trusted proxy, or the value is absent or malformed.
std::optional<Principal> ProxyPrincipal(const ProxyAuth& p, std::string_view peer,
                                        const std::optional<std::string>& value);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_PROXY_AUTH_H_
