// The keys of [metrics], [web], [policy], [enforce], [queue], [detect] and [blocks]
// (agent/config/config_keys.cc has the others, and what is made of them).
#include "actions/policy/policy_protocol.h"
#include "agent/config/config_table.h"
#include "agent/config/key_kinds.h"
#include "agent/web/proxy_auth.h"
#include "agent/web/web_settings.h"
#include "base/cidr.h"

namespace mailtrail {

using namespace key_kinds;  // NOLINT: the table reads as a list of keys

namespace {

std::string Loopback(const std::string& v, bool need_port, const char* example) {
  if (v.empty()) return "";
  auto hp = ParseLoopbackHostPort(v);
  if (hp && (!need_port || hp->port != 0)) return "";
  return std::string("listen must be a loopback HOST:PORT") + (need_port ? " with a port" : "") +
         ", e.g. " + example;
}

}  // namespace

void MetricsKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  std::vector<KeyDef<C>> keys = {
      Lift(&C::metrics,
           Text<MetricsConfig>(
               "metrics", "listen",
               "serve Prometheus metrics on this loopback HOST:PORT; \"\" = off", true,
               &MetricsConfig::listen,
               [](const std::string& v) { return Loopback(v, true, "127.0.0.1:9432"); })),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void WebKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  using W = WebConfig;
  // Each key alone here; the rules between them (web::CheckWebSettings) when
  // the whole [web] is read (config.cc).
  const Check listen = [](const std::string& v) -> std::string {
    std::string host;
    int port = 0;
    if (v.empty()) return "";
    Status st = web::CheckListen(v, /*auth_configured=*/true, &host, &port);
    return st.ok() ? "" : st.message();
  };
  std::vector<KeyDef<C>> keys = {
      Lift(&C::web, Text<W>("web", "listen",
                            "the live agent serves the web console on this IP:PORT too (`mailtrail "
                            "web --config` too: its --listen); loopback unless auth_file or "
                            "proxy_header is set; \"\" = off (mailtrail web: 127.0.0.1:8025)",
                            false, &W::listen, listen)),
      Lift(&C::web, Text<W>("web", "auth_file",
                            "the console's users and tokens (`mailtrail web --auth-file`); \"\" = "
                            "none",
                            false, &W::auth_file)),
      Lift(&C::web, Text<W>("web", "proxy_header",
                            "believe this header, set by a reverse proxy, as the user name, from "
                            "trusted_proxy only (--proxy-header); \"\" = none",
                            false, &W::proxy_header,
                            [](const std::string& v) {
                              return v.empty() ? "" : web::ProxyHeaderProblem(v);
                            })),
      Lift(&C::web,
           Texts<W>("web", "trusted_proxy", "the reverse proxies' IPs and CIDRs (--trusted-proxy)",
                    false, &W::trusted_proxy,
                    [](const std::string& v) { return web::TrustedProxyProblem(v); })),
      Lift(&C::web, Texts<W>("web", "proxy_operators",
                             "users named by the proxy who are operators; others are viewers "
                             "(--proxy-operators)",
                             false, &W::proxy_operators,
                             [](const std::string& v) { return web::ProxyOperatorProblem(v); })),
      Lift(&C::web, Integer<W>("web", "exports_per_minute",
                               "exports one client may start per minute (--exports-per-minute)",
                               false, &W::exports_per_minute, 1, web::kMaxExportsPerMinute)),
      Lift(&C::web, Integer<W>("web", "report_records",
                               "records a report not made by the hour sums at most "
                               "(--report-records; docs/web.md)",
                               false, &W::report_records, 1, web::kMaxReportRecords)),
      Lift(&C::web, Integer<W>("web", "mmap_mb",
                               "SQLite: MiB of the store the console reads through a memory map "
                               "(--mmap-mb); 0 = none (docs/web.md)",
                               false, &W::mmap_mb, 0, web::kMaxMmapMb)),
      Lift(&C::web, Boolean<W>("web", "writes",
                               "block add / extend / remove for operators (--writes); needs "
                               "auth_file or proxy_header, and audit",
                               false, &W::writes)),
      Lift(&C::web, Text<W>("web", "audit",
                            "SQLite file whose table web_audit records every write (--audit); "
                            "\"\" = none",
                            false, &W::audit)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void PolicyKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  constexpr int64_t kS = kUsPerSecond;
  const Check any = [](const std::string&) { return std::string(); };
  std::vector<KeyDef<C>> keys = {
      Lift(&C::policy,
           Text<PolicyConfig>(
               "policy", "socket",
               "serve the Postfix policy service (check_policy_service) on this UNIX socket; \"\" "
               "= off",
               false, &PolicyConfig::socket)),
      Lift(&C::policy,
           Text<PolicyConfig>(
               "policy", "listen", "... or on this loopback HOST:PORT; \"\" = off", false,
               &PolicyConfig::listen,
               [](const std::string& v) { return Loopback(v, false, "127.0.0.1:10031"); })),
      Lift(&C::policy,
           Text<PolicyConfig>(
               "policy", "reply",
               "the action for a blocked client: \"450 4.7.1 text\", REJECT or "
               "DEFER_IF_PERMIT",
               false, &PolicyConfig::reply,
               [](const std::string& v) {
                 return ValidPolicyReply(v)
                            ? ""
                            : "reply must be like \"450 4.7.1 text\", REJECT or DEFER_IF_PERMIT";
               })),
      Lift(&C::policy,
           Text<PolicyConfig>(
               "policy", "bounce_action",
               "... for its bounces (MAIL FROM:<>); \"\" = reply. \"HOLD text\" keeps them in "
               "Postfix's hold queue, so that its MTA does not send them again as a burst "
               "when the block ends (docs/postfix.md says the price); DISCARD, or a reply",
               false, &PolicyConfig::bounce_action,
               [](const std::string& v) {
                 return v.empty() || ValidBounceAction(v)
                            ? ""
                            : "bounce_action must be HOLD, DISCARD (with optional text), or a "
                              "reply like \"450 4.7.1 text\"";
               })),
      {"policy", "socket_mode", "string: octal",
       "the socket's permissions, octal text; never world-writable", false,
       [](const toml::node& n, C* c) -> KeyError {
         // Octal text ("0660"): TOML's 0o660 is easy to get wrong as 660.
         const std::string mode = n.is_string() ? std::string(**n.as_string()) : "";
         int64_t m = 0;
         bool ok = !mode.empty() && mode.size() <= 4;
         for (const char ch : mode) {
           ok &= ch >= '0' && ch <= '7';
           m = m * 8 + (ch - '0');
         }
         if (!ok || m > 0777 || (m & 0002))
           return {
               "socket_mode must be octal like \"0660\", never world-writable (any local "
               "user could hold the service's connections)"};
         c->policy.socket_mode = static_cast<int>(m);
         return {};
       },
       [](const C& c) {
         char buf[8];
         std::snprintf(buf, sizeof buf, "\"%04o\"", c.policy.socket_mode);
         return std::string(buf);
       }},
      {"policy", "socket_group", "string",
       "the socket's group (Postfix's); when set here it must exist; \"\" = leave it", false,
       [](const toml::node& n, C* c) -> KeyError {
         if (!n.is_string()) return {"socket_group must be a string"};
         c->policy.socket_group = **n.as_string();
         c->policy.socket_group_required = true;
         return {};
       },
       [](const C& c) { return TomlString(c.policy.socket_group); }},
      Lift(&C::policy, Integer<PolicyConfig>("policy", "idle_timeout_s",
                                             "an idle connection is closed after this long", false,
                                             &PolicyConfig::idle_timeout, 1, 3600, kS)),
      Lift(&C::policy,
           Integer<PolicyConfig>("policy", "max_connections", "connections served at once", false,
                                 &PolicyConfig::max_connections, 16, 1000000)),
      Lift(&C::policy,
           Integer<PolicyConfig>("policy", "max_connections_per_peer", "... from one peer", false,
                                 &PolicyConfig::max_connections_per_peer, 1, 1000000)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void EnforceKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  constexpr int64_t kS = kUsPerSecond;
  std::vector<KeyDef<C>> keys = {
      Lift(&C::enforce,
           Text<EnforceConfig>(
               "enforce", "access_map",
               "write blocked clients to this Postfix access table (check_client_access); \"\" = "
               "off",
               false, &EnforceConfig::access_map)),
      Lift(&C::enforce,
           Choice<EnforceConfig>("enforce", "access_map_type", "the access table's type (postmap)",
                                 false, &EnforceConfig::access_map_type, {"lmdb", "hash"})),
      Lift(&C::enforce, Text<EnforceConfig>(
                            "enforce", "header_checks",
                            "write blocked subjects to this pcre header_checks table; \"\" = off",
                            false, &EnforceConfig::header_checks)),
      Lift(&C::enforce,
           Integer<EnforceConfig>("enforce", "reload_interval_s",
                                  "at most one postfix reload for header_checks this often", false,
                                  &EnforceConfig::reload_interval, 1, 86400, kS)),
      Lift(&C::enforce,
           Integer<EnforceConfig>("enforce", "recheck_interval_s",
                                  "apply every backend again this often (repairs a flushed "
                                  "firewall or an edited table)",
                                  false, &EnforceConfig::recheck_interval, 1, 3600, kS)),
      Lift(&C::enforce,
           Boolean<EnforceConfig>("enforce", "postfix_reload",
                                  "false: header_checks is written, Postfix never reloaded", false,
                                  &EnforceConfig::postfix_reload)),
      Lift(&C::enforce,
           Boolean<EnforceConfig>("enforce", "dry_run", "say what would be written, write nothing",
                                  false, &EnforceConfig::dry_run)),
      Lift(&C::enforce, Boolean<EnforceConfig>("enforce", "nftables",
                                               "the nftables backend (needs CAP_NET_ADMIN)", false,
                                               &EnforceConfig::nftables)),
      Lift(&C::enforce, Boolean<EnforceConfig>("enforce", "nftables_remove_on_stop",
                                               "remove the nftables set when stopping", false,
                                               &EnforceConfig::nftables_remove_on_stop)),
      Lift(&C::enforce, Boolean<EnforceConfig>("enforce", "iptables",
                                               "the iptables backend (CAP_NET_ADMIN, CAP_NET_RAW)",
                                               false, &EnforceConfig::iptables)),
      Lift(&C::enforce, Boolean<EnforceConfig>("enforce", "iptables_remove_on_stop",
                                               "remove the iptables rules when stopping", false,
                                               &EnforceConfig::iptables_remove_on_stop)),
      {"enforce", "firewall_ports", "list of TCP ports", "the TCP ports both firewalls guard",
       false,
       [](const toml::node& n, C* c) -> KeyError {
         const toml::array* a = n.as_array();
         if (a == nullptr || a->empty())
           return {"firewall_ports must be a non-empty list of TCP ports"};
         std::vector<int> ports;
         for (const auto& v : *a) {
           if (!v.is_integer() || **v.as_integer() < 1 || **v.as_integer() > 65535)
             return {"firewall_ports must hold ports from 1 to 65535", &v};
           ports.push_back(static_cast<int>(**v.as_integer()));
         }
         c->enforce.firewall_ports = std::move(ports);
         return {};
       },
       [](const C& c) {
         std::string out = "[";
         for (int p : c.enforce.firewall_ports)
           out += (out.size() > 1 ? ", " : "") + std::to_string(p);
         return out + "]";
       }},
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void QueueKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  constexpr int64_t kS = kUsPerSecond;
  std::vector<KeyDef<C>> keys = {
      Lift(&C::queue,
           Enum<QueueConfig>(
               "queue", "read",
               "read Postfix's queue: off, files (the queue files: subjects of waiting bounces; "
               "needs the postfix user or CAP_DAC_READ_SEARCH) or postqueue (postqueue -j)",
               true, &QueueConfig::read, ParseQueueRead, QueueReadName, "off, files or postqueue")),
      Lift(&C::queue, Text<QueueConfig>("queue", "directory", "Postfix's queue_directory", true,
                                        &QueueConfig::directory)),
      Lift(&C::queue,
           Integer<QueueConfig>("queue", "scan_interval_s", "how often the queue is counted", true,
                                &QueueConfig::scan_interval, 5, 86400, kS)),
      Lift(&C::queue,
           Integer<QueueConfig>(
               "queue", "bounce_alert",
               "deferred bounces that mean outgoing backscatter (a metric and a log line)", true,
               &QueueConfig::bounce_alert, 1, 100000000)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void DetectKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  constexpr int64_t kS = kUsPerSecond, kDay = 86400;
  const Check any = [](const std::string&) { return std::string(); };
  std::vector<KeyDef<C>> keys = {
      Lift(&C::detect, Boolean<DetectConfig>("detect", "enabled", "run the backscatter detector",
                                             true, &DetectConfig::enabled)),
      Lift(&C::detect, Integer<DetectConfig>("detect", "subject_bounces",
                                             "bounces with one subject that trip the subject rule",
                                             true, &DetectConfig::subject_bounces, 1, 1000000)),
      Lift(&C::detect,
           Integer<DetectConfig>("detect", "subject_ips", "distinct sources the subject rule needs",
                                 true, &DetectConfig::subject_ips, 1, 1000)),
      Lift(&C::detect,
           Integer<DetectConfig>(
               "detect", "subject_source_bounces",
               "bounces of the subject a source must send in the window to count and be blocked",
               true, &DetectConfig::subject_source_bounces, 1, 1000)),
      Lift(&C::detect,
           Integer<DetectConfig>("detect", "subject_window_s", "the subject rule's window", true,
                                 &DetectConfig::subject_window, 1, 86400, kS)),
      Lift(&C::detect, Integer<DetectConfig>("detect", "ip_bounces",
                                             "bounces from one IP that trip the IP rule", true,
                                             &DetectConfig::ip_bounces, 1, 1000000)),
      Lift(&C::detect, Integer<DetectConfig>("detect", "ip_window_s", "the IP rule's window", true,
                                             &DetectConfig::ip_window, 1, 86400, kS)),
      Lift(&C::detect,
           Boolean<DetectConfig>(
               "detect", "answers",
               "recognise bounces that answer our own mail (not counted towards any rule)", true,
               &DetectConfig::answers)),
      Lift(&C::detect, Integer<DetectConfig>("detect", "answer_window_s",
                                             "how long relayed mail can be answered", true,
                                             &DetectConfig::answer_window, 60, 7 * kDay, kS)),
      Lift(&C::detect, Boolean<DetectConfig>(
                           "detect", "fleet",
                           "count with the other agents of the store, and share the mail relayed",
                           true, &DetectConfig::fleet)),
      Lift(&C::detect,
           Integer<DetectConfig>("detect", "fleet_interval_s",
                                 "how often the fleet's counts and answers are exchanged", true,
                                 &DetectConfig::fleet_interval, 1, 60, kS)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void BlocksKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  constexpr int64_t kS = kUsPerSecond, kDay = 86400;
  const Check any = [](const std::string&) { return std::string(); };
  std::vector<KeyDef<C>> keys = {
      // "rule" ([[detect.rule]]) is read by ParseConfig with RuleTable().
      Lift(&C::blocks, Integer<BlocksConfig>("blocks", "period_s",
                                             "a first block's period (each strike doubles it)",
                                             true, &BlocksConfig::period, 1, 30 * kDay, kS)),
      Lift(&C::blocks, Integer<BlocksConfig>("blocks", "max_period_s", "the longest block period",
                                             true, &BlocksConfig::max_period, 1, 365 * kDay, kS)),
      Lift(&C::blocks,
           Integer<BlocksConfig>("blocks", "max_active", "at most this many blocks active at once",
                                 true, &BlocksConfig::max_active, 1, 10000000)),
      Lift(&C::blocks, Integer<BlocksConfig>("blocks", "max_new_per_minute",
                                             "at most this many new blocks a minute", true,
                                             &BlocksConfig::max_new_per_minute, 1, 1000000)),
      Lift(&C::blocks, Texts<BlocksConfig>("blocks", "allow", "IPs and CIDRs never blocked", true,
                                           &BlocksConfig::allow,
                                           [](const std::string& v) {
                                             return Cidr::Parse(v)
                                                        ? std::string()
                                                        : "not an IP address or CIDR: " + v;
                                           })),
      Lift(&C::blocks, Texts<BlocksConfig>("blocks", "allow_subjects", "subjects never blocked",
                                           true, &BlocksConfig::allow_subjects, any)),
      Lift(&C::blocks, Integer<BlocksConfig>("blocks", "min_subject_chars",
                                             "shorter normalised subjects are never blocked", true,
                                             &BlocksConfig::min_subject_chars, 1, 160)),
      Lift(&C::blocks, Boolean<BlocksConfig>("blocks", "allow_mynetworks",
                                             "never block Postfix's mynetworks (postconf)", true,
                                             &BlocksConfig::allow_mynetworks)),
      Lift(&C::blocks,
           Text<BlocksConfig>("blocks", "postfix_config_dir", "Postfix's configuration directory",
                              true, &BlocksConfig::postfix_config_dir)),
      Lift(&C::blocks, Boolean<BlocksConfig>("blocks", "allow_own_addresses",
                                             "never block this machine's interface addresses", true,
                                             &BlocksConfig::allow_own_addresses)),
      Lift(&C::blocks, Boolean<BlocksConfig>("blocks", "dry_run",
                                             "decide and record blocks, never enforce them", true,
                                             &BlocksConfig::dry_run)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

}  // namespace mailtrail
