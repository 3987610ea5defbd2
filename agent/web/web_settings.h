// The web console's settings, one set for both ways of serving it: `[web]` of
// the configuration (the live agent, and `mailtrail web --config`) and
// `mailtrail web`'s flags, which win over the file key by key. The rules
// between them are written once, here: the configuration's parser and
// `mailtrail web` both call CheckWebSettings. No dependency beyond base (the
// configuration library links this).
#ifndef MAILTRAIL_AGENT_WEB_WEB_SETTINGS_H_
#define MAILTRAIL_AGENT_WEB_WEB_SETTINGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace mailtrail::web {

// Each field is the key of [web] of the same name and the flag with '-'
// for '_' (docs/web.md).
struct WebSettings {
  std::string listen;                        // "" = the live agent serves no console; else IP:PORT
  std::string auth_file;                     // users and tokens (agent/web/auth.h); "" = none
  std::string proxy_header;                  // "" = no proxy is believed (proxy_auth.h)
  std::vector<std::string> trusted_proxy;    // the proxies' IPs and CIDRs
  std::vector<std::string> proxy_operators;  // users the proxy names who may write
  int64_t exports_per_minute = 20;           // export starts per client per minute
  int64_t report_records = 200000;           // a report not made by the hour sums at most these
  int64_t mmap_mb = 2048;                    // SQLite: the store read through a map (0: none)
  bool writes = false;                       // block add / extend / remove for operators
  std::string audit;                         // SQLite file of the writes' audit table
};

constexpr int64_t kMaxExportsPerMinute = 100000;
constexpr int64_t kMaxReportRecords = 100000000;
constexpr int64_t kMaxMmapMb = 1 << 20;

// "IP:PORT" ("[::1]:8025"): the host and port to bind. A non-loopback address
// is refused unless authentication is configured (InvalidArgument says so).
Status CheckListen(const std::string& listen, bool auth_configured, std::string* host, int* port);

// Whether a request's Host header (absent: "") names this machine in a way
// DNS cannot rebind: an IP literal ("127.0.0.1:8025", "[::1]:8025"),
// "localhost" or a name under it. Without authentication the console answers
// only such requests: a web page whose own name an attacker's DNS points at
// 127.0.0.1 would otherwise read every record (DNS rebinding).
bool HostIsUnrebindable(std::string_view host_header);

// Authentication is configured: users and tokens, or a trusted proxy.
inline bool Authenticated(const WebSettings& s) {
  return !s.auth_file.empty() || !s.proxy_header.empty();
}

// The rules between the settings: the proxy's three settings together and
// well-formed, a listen address (when set) that CheckListen accepts, writes
// only with authentication and an audit file. InvalidArgument names the keys
// (and their flags) and what is wrong. Files are not opened here.
Status CheckWebSettings(const WebSettings& s);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_WEB_SETTINGS_H_
