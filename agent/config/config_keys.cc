#include "agent/config/config_keys.h"

#include <cstdio>
#include <set>

#include "actions/policy/policy_protocol.h"
#include "agent/config/config_table.h"
#include "base/cidr.h"

namespace mailtrail {

std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

namespace {

using Check = std::function<std::string(const std::string&)>;  // what is wrong, or ""

template <typename T>
KeyDef<T> Text(const char* section, const char* key, const char* help, bool reloadable,
               std::string T::*field, Check check = nullptr) {
  return {section,
          key,
          "string",
          help,
          reloadable,
          [=](const toml::node& n, T* t) -> KeyError {
            if (!n.is_string()) return {std::string(key) + " must be a string"};
            const std::string v = **n.as_string();
            if (check)
              if (std::string why = check(v); !why.empty()) return {why};
            t->*field = v;
            return {};
          },
          [=](const T& t) { return TomlString(t.*field); }};
}

template <typename T>
KeyDef<T> Boolean(const char* section, const char* key, const char* help, bool reloadable,
                  bool T::*field) {
  return {section,
          key,
          "boolean",
          help,
          reloadable,
          [=](const toml::node& n, T* t) -> KeyError {
            if (!n.is_boolean()) return {std::string(key) + " must be true or false"};
            t->*field = **n.as_boolean();
            return {};
          },
          [=](const T& t) { return std::string(t.*field ? "true" : "false"); }};
}

// An integer key; `unit` scales it into the field (1000 for "_ms" keys held
// in microseconds, kUsPerSecond for "_s").
template <typename T, typename F>
KeyDef<T> Integer(const char* section, const char* key, const char* help, bool reloadable,
                  F T::*field, int64_t lo, int64_t hi, int64_t unit = 1) {
  const std::string range = "from " + std::to_string(lo) + " to " + std::to_string(hi);
  return {section,
          key,
          "integer (" + range + ")",
          help,
          reloadable,
          [=](const toml::node& n, T* t) -> KeyError {
            if (!n.is_integer() || **n.as_integer() < lo || **n.as_integer() > hi)
              return {std::string(key) + " must be an integer " + range};
            t->*field = static_cast<F>(**n.as_integer() * unit);
            return {};
          },
          [=](const T& t) { return std::to_string(static_cast<int64_t>(t.*field) / unit); }};
}

template <typename T>
KeyDef<T> Texts(const char* section, const char* key, const char* help, bool reloadable,
                std::vector<std::string> T::*field, Check check) {
  return {section,
          key,
          "list of strings",
          help,
          reloadable,
          [=](const toml::node& n, T* t) -> KeyError {
            const toml::array* a = n.as_array();
            if (a == nullptr) return {std::string(key) + " must be a list of strings"};
            std::vector<std::string> out;
            for (const auto& v : *a) {
              if (!v.is_string()) return {std::string(key) + " must be a list of strings", &v};
              const std::string value = **v.as_string();
              if (std::string why = check(value); !why.empty()) return {why, &v};
              out.push_back(value);
            }
            t->*field = std::move(out);
            return {};
          },
          [=](const T& t) {
            std::string out = "[";
            for (const auto& v : t.*field) out += (out.size() > 1 ? ", " : "") + TomlString(v);
            return out + "]";
          }};
}

// A string key whose value is one of `allowed`.
template <typename T>
KeyDef<T> Choice(const char* section, const char* key, const char* help, bool reloadable,
                 std::string T::*field, std::vector<std::string> allowed) {
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i)
    list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
  KeyDef<T> def = Text<T>(section, key, help, reloadable, field, [=](const std::string& v) {
    for (const auto& a : allowed)
      if (v == a) return std::string();
    return std::string(key) + " must be " + list;
  });
  def.type = "string: " + list;
  return def;
}

std::string Loopback(const std::string& v, bool need_port, const char* example) {
  if (v.empty()) return "";
  auto hp = ParseLoopbackHostPort(v);
  if (hp && (!need_port || hp->port != 0)) return "";
  return std::string("listen must be a loopback HOST:PORT") + (need_port ? " with a port" : "") +
         ", e.g. " + example;
}

std::vector<KeyDef<Config>> BuildConfigTable() {
  using C = Config;
  constexpr int64_t kS = kUsPerSecond, kMs = 1000, kDay = 86400;
  const Check any = [](const std::string&) { return std::string(); };
  std::vector<KeyDef<C>> t = {
      Text<C>("store", "url",
              "where records go: sqlite:PATH, or mysql://USER@HOST[:PORT]/DB[?socket=PATH] (the "
              "password never in the URL)",
              true, &C::store_url,
              [](const std::string& u) {
                return u.rfind("mysql://", 0) == 0 && u.find(':', 8) < u.find('@')
                           ? "no password in the URL: put it in password_file"
                           : "";
              }),
      {"store", "detail", "string: minimal, standard or full",
       "how much of each message is kept: minimal (times, client, sender, recipients, outcomes, "
       "size), standard (+ names, HELO, Message-ID, subject, links, rejects, DSN, relay, delays), "
       "full (+ status texts, scan results and every log line)",
       true,
       [](const toml::node& n, C* c) -> KeyError {
         auto d = n.is_string() ? DetailFromName(**n.as_string()) : std::nullopt;
         if (!d) return {"detail must be minimal, standard or full"};
         c->detail = *d;
         return {};
       },
       [](const C& c) { return TomlString(DetailName(c.detail)); }},
      Text<C>("store", "password_file",
              "MySQL: the file whose first line is the password (not readable by others); \"\" = "
              "none",
              true, &C::password_file),
      Text<C>("store", "spool",
              "MySQL: while the server is unreachable, batches wait in this local file; \"\" = "
              "no spool (the agent stops when the server stays away)",
              true, &C::spool_path),
      Integer<C>("store", "spool_max_mb",
                 "the spool's bound, MiB of compressed records; when full, reading waits", true,
                 &C::spool_max_mb, 1, 1 << 20),
      Integer<C>("store", "cache_mb", "SQLite: its page cache, MiB", true, &C::cache_mb, 1,
                 1 << 16),
      Integer<C>("store", "dictionary_cache",
                 "addresses and host names remembered with their dictionary ids (each kind)", true,
                 &C::dictionary_cache, 1024, 1 << 26),
      Text<C>("agent", "name",
              "this agent's name in a shared MySQL database (its checkpoint and record ids); \"\" "
              "= the machine's host name",
              true, &C::agent_name),
      Text<C>("agent", "host",
              "the host of this agent's records; \"\" = each log line's syslog host field", true,
              &C::host),
      {"logs", "paths", "list of absolute file names",
       "the logs to follow, each through its rotations", true,
       [](const toml::node& n, C* c) -> KeyError {
         const toml::array* a = n.as_array();
         if (a == nullptr || a->empty()) return {"paths must be a list of log files"};
         std::vector<std::string> paths;
         for (const auto& p : *a) {
           if (!p.is_string() || (**p.as_string()).empty() || (**p.as_string())[0] != '/')
             return {"each path must be an absolute file name", &p};
           paths.push_back(**p.as_string());
         }
         c->log_paths = std::move(paths);
         return {};
       },
       [](const C& c) {
         std::string out = "[";
         for (const auto& v : c.log_paths) out += (out.size() > 1 ? ", " : "") + TomlString(v);
         return out + "]";
       }},
      Boolean<C>("logs", "from_start",
                 "first start without a checkpoint: true reads what the logs hold, false starts "
                 "at their end; later starts resume from the checkpoint",
                 true, &C::from_start),
      Text<C>("logs", "timezone",
              "time zone of syslog timestamps that carry none: UTC, local, or +01:00 / -05:00",
              true, &C::timezone),
      Integer<C>("logs", "poll_interval_ms",
                 "how often the logs are re-checked besides file events", true, &C::poll_interval,
                 10, 3600000, kMs),
      Integer<C>("writer", "flush_interval_ms", "records and checkpoint are committed this often",
                 true, &C::flush_interval, 10, 60000, kMs),
      Integer<C>("writer", "batch_records", "... or as soon as this many records wait", true,
                 &C::batch_records, 1, 1000000),
      Integer<C>("writer", "queue_batches", "batches waiting for the store before reading pauses",
                 true, &C::queue_batches, 1, 1000),
      Integer<C>("writer", "checkpoint_kib_per_s",
                 "commits by time are spaced so that checkpoints write at most this many KiB per "
                 "second; 0 = no limit",
                 true, &C::checkpoint_kib_per_s, 0, 1 << 30),
      Integer<C>("tracker", "grace_s",
                 "how long (log time) a message waits after removed for "
                 "late lines",
                 true, &C::grace, 0, 3600, kS),
      Integer<C>("tracker", "stale_after_s",
                 "a message with no line for this long is closed as stale", true, &C::stale_after,
                 60, 90 * kDay, kS),
      Integer<C>("tracker", "max_open", "at most this many messages open; beyond, the oldest close",
                 true, &C::max_open, 1000, 100000000),
      Text<C>("metrics", "listen",
              "serve Prometheus metrics on this loopback HOST:PORT; \"\" = off", true,
              &C::metrics_listen,
              [](const std::string& v) { return Loopback(v, true, "127.0.0.1:9432"); }),
      Text<C>("policy", "socket",
              "serve the Postfix policy service (check_policy_service) on this UNIX socket; \"\" "
              "= off",
              false, &C::policy_socket),
      Text<C>("policy", "listen", "... or on this loopback HOST:PORT; \"\" = off", false,
              &C::policy_listen,
              [](const std::string& v) { return Loopback(v, false, "127.0.0.1:10031"); }),
      Text<C>("policy", "reply",
              "the action for a blocked client: \"450 4.7.1 text\", REJECT or "
              "DEFER_IF_PERMIT",
              false, &C::policy_reply,
              [](const std::string& v) {
                return ValidPolicyReply(v)
                           ? ""
                           : "reply must be like \"450 4.7.1 text\", REJECT or DEFER_IF_PERMIT";
              }),
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
         c->policy_socket_mode = static_cast<int>(m);
         return {};
       },
       [](const C& c) {
         char buf[8];
         std::snprintf(buf, sizeof buf, "\"%04o\"", c.policy_socket_mode);
         return std::string(buf);
       }},
      {"policy", "socket_group", "string",
       "the socket's group (Postfix's); when set here it must exist; \"\" = leave it", false,
       [](const toml::node& n, C* c) -> KeyError {
         if (!n.is_string()) return {"socket_group must be a string"};
         c->policy_socket_group = **n.as_string();
         c->policy_socket_group_required = true;
         return {};
       },
       [](const C& c) { return TomlString(c.policy_socket_group); }},
      Integer<C>("policy", "idle_timeout_s", "an idle connection is closed after this long", false,
                 &C::policy_idle_timeout, 1, 3600, kS),
      Integer<C>("policy", "max_connections", "connections served at once", false,
                 &C::policy_max_connections, 16, 1000000),
      Integer<C>("policy", "max_connections_per_peer", "... from one peer", false,
                 &C::policy_max_connections_per_peer, 1, 1000000),
      Text<C>("enforce", "access_map",
              "write blocked clients to this Postfix access table (check_client_access); \"\" = "
              "off",
              false, &C::access_map),
      Choice<C>("enforce", "access_map_type", "the access table's type (postmap)", false,
                &C::access_map_type, {"lmdb", "hash"}),
      Text<C>("enforce", "header_checks",
              "write blocked subjects to this pcre header_checks table; \"\" = off", false,
              &C::header_checks),
      Integer<C>("enforce", "reload_interval_s",
                 "at most one postfix reload for header_checks this often", false,
                 &C::reload_interval, 1, 86400, kS),
      Boolean<C>("enforce", "postfix_reload",
                 "false: header_checks is written, Postfix never reloaded", false,
                 &C::postfix_reload),
      Boolean<C>("enforce", "dry_run", "say what would be written, write nothing", false,
                 &C::enforce_dry_run),
      Boolean<C>("enforce", "nftables", "the nftables backend (needs CAP_NET_ADMIN)", false,
                 &C::nftables),
      Boolean<C>("enforce", "nftables_remove_on_stop", "remove the nftables set when stopping",
                 false, &C::nftables_remove_on_stop),
      Boolean<C>("enforce", "iptables", "the iptables backend (CAP_NET_ADMIN, CAP_NET_RAW)", false,
                 &C::iptables),
      Boolean<C>("enforce", "iptables_remove_on_stop", "remove the iptables rules when stopping",
                 false, &C::iptables_remove_on_stop),
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
         c->firewall_ports = std::move(ports);
         return {};
       },
       [](const C& c) {
         std::string out = "[";
         for (int p : c.firewall_ports) out += (out.size() > 1 ? ", " : "") + std::to_string(p);
         return out + "]";
       }},
      Choice<C>("queue", "read",
                "read Postfix's queue: off, files (the queue files: subjects of waiting bounces; "
                "needs the postfix user or CAP_DAC_READ_SEARCH) or postqueue (postqueue -j)",
                true, &C::queue_read, {"off", "files", "postqueue"}),
      Text<C>("queue", "directory", "Postfix's queue_directory", true, &C::queue_dir),
      Integer<C>("queue", "scan_interval_s", "how often the queue is counted", true,
                 &C::queue_scan_interval, 5, 86400, kS),
      Integer<C>("queue", "bounce_alert",
                 "deferred bounces that mean outgoing backscatter (a metric and a log line)", true,
                 &C::queue_bounce_alert, 1, 100000000),
      Boolean<C>("detect", "enabled", "run the backscatter detector", true, &C::detect),
      Integer<C>("detect", "subject_bounces", "bounces with one subject that trip the subject rule",
                 true, &C::subject_bounces, 1, 1000000),
      Integer<C>("detect", "subject_ips", "distinct sources the subject rule needs", true,
                 &C::subject_min_ips, 1, 1000),
      Integer<C>("detect", "subject_source_bounces",
                 "bounces of the subject a source must send in the window to count and be blocked",
                 true, &C::subject_source_bounces, 1, 1000),
      Integer<C>("detect", "subject_window_s", "the subject rule's window", true,
                 &C::subject_window, 1, 86400, kS),
      Integer<C>("detect", "ip_bounces", "bounces from one IP that trip the IP rule", true,
                 &C::ip_bounces, 1, 1000000),
      Integer<C>("detect", "ip_window_s", "the IP rule's window", true, &C::ip_window, 1, 86400,
                 kS),
      Boolean<C>("detect", "answers",
                 "recognise bounces that answer our own mail (not counted towards any rule)", true,
                 &C::answers),
      Integer<C>("detect", "answer_window_s", "how long relayed mail can be answered", true,
                 &C::answer_window, 60, 7 * kDay, kS),
      Boolean<C>("detect", "fleet", "count with the other agents of the store", true, &C::fleet),
      Integer<C>("detect", "fleet_interval_s", "how often the fleet's counts are exchanged", true,
                 &C::fleet_interval, 1, 60, kS),
      // "rule" ([[detect.rule]]) is read by ParseConfig with RuleTable().
      Integer<C>("blocks", "period_s", "a first block's period (each strike doubles it)", true,
                 &C::block_period, 1, 30 * kDay, kS),
      Integer<C>("blocks", "max_period_s", "the longest block period", true, &C::block_max_period,
                 1, 365 * kDay, kS),
      Integer<C>("blocks", "max_active", "at most this many blocks active at once", true,
                 &C::max_active_blocks, 1, 10000000),
      Integer<C>("blocks", "max_new_per_minute", "at most this many new blocks a minute", true,
                 &C::max_new_blocks_per_minute, 1, 1000000),
      Texts<C>("blocks", "allow", "IPs and CIDRs never blocked", true, &C::allow,
               [](const std::string& v) {
                 return Cidr::Parse(v) ? std::string() : "not an IP address or CIDR: " + v;
               }),
      Texts<C>("blocks", "allow_subjects", "subjects never blocked", true, &C::allow_subjects, any),
      Integer<C>("blocks", "min_subject_chars", "shorter normalised subjects are never blocked",
                 true, &C::min_subject_chars, 1, 160),
      Boolean<C>("blocks", "allow_mynetworks", "never block Postfix's mynetworks (postconf)", true,
                 &C::allow_mynetworks),
      Text<C>("blocks", "postfix_config_dir", "Postfix's configuration directory", true,
              &C::postfix_config_dir),
      Boolean<C>("blocks", "allow_own_addresses", "never block this machine's interface addresses",
                 true, &C::allow_own_addresses),
      Boolean<C>("blocks", "dry_run", "decide and record blocks, never enforce them", true,
                 &C::dry_run),
  };
  return t;
}

std::vector<KeyDef<ContentRuleSpec>> BuildRuleTable() {
  using R = ContentRuleSpec;
  return {
      Text<R>("detect.rule", "name", "the rule's name (required), in blocks and metrics", true,
              &R::name),
      Text<R>("detect.rule", "header", "the header the pattern sees: From or Subject", true,
              &R::header),
      Text<R>("detect.rule", "pattern", "a PCRE2 pattern, matched against \"Header: as logged\"",
              true, &R::pattern),
      Text<R>("detect.rule", "action", "count, block-ip or block-subject", true, &R::action),
      Integer<R>("detect.rule", "threshold", "matches within the window that trigger the action",
                 true, &R::threshold, 1, 1000000),
      Integer<R>("detect.rule", "window_s", "the rule's window", true, &R::window, 1, 86400,
                 kUsPerSecond),
  };
}

}  // namespace

const std::vector<KeyDef<Config>>& ConfigTable() {
  static const std::vector<KeyDef<Config>> table = BuildConfigTable();
  return table;
}

const std::vector<KeyDef<ContentRuleSpec>>& RuleTable() {
  static const std::vector<KeyDef<ContentRuleSpec>> table = BuildRuleTable();
  return table;
}

std::vector<ConfigKeyDoc> ConfigKeyDocs() {
  std::vector<ConfigKeyDoc> out;
  const Config defaults;
  for (const auto& k : ConfigTable()) {
    out.push_back({k.section, k.key, k.type, k.help, k.show(defaults), k.reloadable});
    if (std::string(k.section) == "detect" && std::string(k.key) == "fleet_interval_s") {
      out.push_back({"detect", "rule", "array of tables ([[detect.rule]])",
                     "content rules: each a table of the keys of [[detect.rule]]", "[]", true});
    }
  }
  const ContentRuleSpec rule_defaults;
  for (const auto& k : RuleTable())
    out.push_back({k.section, k.key, k.type, k.help, k.show(rule_defaults), k.reloadable});
  return out;
}

std::string ConfigToml(const Config& c) {
  std::string out, section;
  for (const auto& k : ConfigTable()) {
    if (section != k.section) {
      section = k.section;
      out += (out.empty() ? "[" : "\n[") + section + "]\n";
    }
    out += std::string(k.key) + " = " + k.show(c) + "\n";
  }
  for (const ContentRuleSpec& r : c.rules) {
    out += "\n[[detect.rule]]\n";
    for (const auto& k : RuleTable()) out += std::string(k.key) + " = " + k.show(r) + "\n";
  }
  return out;
}

std::vector<std::string> SectionsWaitingForRestart(const Config& before, const Config& after) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& k : ConfigTable())
    if (!k.reloadable && k.show(before) != k.show(after) && seen.insert(k.section).second)
      out.push_back(std::string("[") + k.section + "]");
  return out;
}

}  // namespace mailtrail
