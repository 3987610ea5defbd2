#include "agent/web/web_settings.h"

#include "agent/web/proxy_auth.h"
#include "base/ip_address.h"

namespace mailtrail::web {

Status CheckListen(const std::string& listen, bool auth_configured, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  std::string h = colon == std::string::npos ? "" : listen.substr(0, colon);
  const std::string p = colon == std::string::npos ? "" : listen.substr(colon + 1);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto ip = IpAddress::Parse(h);
  int n = 0;
  bool port_ok = !p.empty() && p.size() <= 5;
  for (char c : p) {
    port_ok = port_ok && c >= '0' && c <= '9';
    n = n * 10 + (c - '0');
  }
  if (!ip || !port_ok || n > 65535)
    return Status::InvalidArgument("listen (--listen) wants IP:PORT (e.g. 127.0.0.1:8025), not " +
                                   listen);
  if (!ip->IsLoopback() && !auth_configured)
    return Status::InvalidArgument(
        "refusing to listen on " + listen +
        ": not a loopback address and no authentication is configured (the console shows every "
        "address mail touched); configure authentication (auth_file or proxy_header, "
        "--auth-file or --proxy-header) or listen on 127.0.0.1");
  *host = ip->ToString();
  *port = n;
  return Status::Ok();
}

Status CheckWebSettings(const WebSettings& s) {
  if (!s.proxy_header.empty()) {
    auto p = ParseProxyAuth(s.proxy_header, s.trusted_proxy, s.proxy_operators);
    if (!p.ok()) return p.status();
  } else if (!s.trusted_proxy.empty() || !s.proxy_operators.empty()) {
    return Status::InvalidArgument(
        "trusted_proxy and proxy_operators (--trusted-proxy, --proxy-operators) need "
        "proxy_header (--proxy-header)");
  }
  if (s.exports_per_minute < 1 || s.exports_per_minute > kMaxExportsPerMinute)
    return Status::InvalidArgument("exports_per_minute (--exports-per-minute) must be from 1 to " +
                                   std::to_string(kMaxExportsPerMinute));
  if (s.report_records < 1 || s.report_records > kMaxReportRecords)
    return Status::InvalidArgument("report_records (--report-records) must be from 1 to " +
                                   std::to_string(kMaxReportRecords));
  if (s.mmap_mb < 0 || s.mmap_mb > kMaxMmapMb)
    return Status::InvalidArgument("mmap_mb (--mmap-mb) must be from 0 to " +
                                   std::to_string(kMaxMmapMb));
  if (!s.listen.empty()) {
    std::string host;
    int port = 0;
    if (Status st = CheckListen(s.listen, Authenticated(s), &host, &port); !st.ok()) return st;
  }
  if (s.writes && !Authenticated(s))
    return Status::InvalidArgument(
        "writes (--writes) need auth_file or proxy_header (--auth-file, --proxy-header): a write "
        "needs an operator");
  if (s.writes && s.audit.empty())
    return Status::InvalidArgument(
        "writes (--writes) need audit (--audit FILE): every write is recorded");
  return Status::Ok();
}

bool HostIsUnrebindable(std::string_view h) {
  if (h.empty()) return true;  // HTTP/1.0: no browser sends a request without it
  std::string host;
  if (h.front() == '[') {
    const size_t close = h.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(h.substr(1, close - 1));
    h.remove_prefix(close + 1);
    if (!h.empty() && h.front() != ':') return false;
  } else {
    const size_t colon = h.find(':');
    host = std::string(h.substr(0, colon));
    if (colon != std::string_view::npos)
      h.remove_prefix(colon);
    else
      h = {};
  }
  if (!h.empty()) {  // ":PORT"
    if (h.size() < 2 || h.size() > 6) return false;
    for (char c : h.substr(1))
      if (c < '0' || c > '9') return false;
  }
  if (IpAddress::Parse(host)) return true;
  for (char& c : host) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  while (!host.empty() && host.back() == '.') host.pop_back();
  constexpr std::string_view kLocal = "localhost", kUnder = ".localhost";
  return host == kLocal ||
         (host.size() > kUnder.size() &&
          host.compare(host.size() - kUnder.size(), kUnder.size(), kUnder.data()) == 0);
}

}  // namespace mailtrail::web
