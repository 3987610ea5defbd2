#include "agent/config/config.h"

#include <cstdlib>
#include <functional>

#include "actions/policy/policy_protocol.h"
#include "agent/journal/journal_reader.h"
#include "base/cidr.h"
#include "base/regular_file.h"

#include <toml++/toml.h>

#include <sstream>

namespace mailtrail {

namespace {

struct Reader {
  const std::string& name;
  Status error;

  Status At(const toml::node& n, const std::string& what) {
    return Status::InvalidArgument(name + ":" + std::to_string(n.source().begin.line) + ": " +
                                   what);
  }
  // Each table may only hold the keys listed.
  bool Known(const toml::table& t, std::initializer_list<std::string_view> keys,
             const std::string& table) {
    for (const auto& [k, v] : t) {
      bool ok = false;
      for (auto key : keys) ok |= k.str() == key;
      if (!ok) {
        error = At(v, "unknown key '" + std::string(k.str()) + "' in [" + table + "]");
        return false;
      }
    }
    return true;
  }
  bool String(const toml::table& t, std::string_view key, std::string* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return true;
    if (!n->is_string()) {
      error = At(*n, std::string(key) + " must be a string");
      return false;
    }
    *out = **n->as_string();
    return true;
  }
  bool Bool(const toml::table& t, std::string_view key, bool* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return true;
    if (!n->is_boolean()) {
      error = At(*n, std::string(key) + " must be true or false");
      return false;
    }
    *out = **n->as_boolean();
    return true;
  }
  bool Int(const toml::table& t, std::string_view key, int64_t lo, int64_t hi, int64_t* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return true;
    if (!n->is_integer() || **n->as_integer() < lo || **n->as_integer() > hi) {
      error = At(*n, std::string(key) + " must be an integer from " + std::to_string(lo) + " to " +
                         std::to_string(hi));
      return false;
    }
    *out = **n->as_integer();
    return true;
  }
  // A list of strings, each checked by `ok` (which says what is wrong, or "").
  bool Strings(const toml::table& t, std::string_view key, std::vector<std::string>* out,
               const std::function<std::string(const std::string&)>& ok) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return true;
    const toml::array* a = n->as_array();
    if (a == nullptr) {
      error = At(*n, std::string(key) + " must be a list of strings");
      return false;
    }
    out->clear();
    for (const auto& v : *a) {
      if (!v.is_string()) {
        error = At(v, std::string(key) + " must be a list of strings");
        return false;
      }
      const std::string value = **v.as_string();
      if (std::string why = ok(value); !why.empty()) {
        error = At(v, why);
        return false;
      }
      out->push_back(value);
    }
    return true;
  }
  // A non-empty list of TCP ports (1..65535).
  bool Ports(const toml::table& t, std::string_view key, std::vector<int>* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return true;
    const toml::array* a = n->as_array();
    if (a == nullptr || a->empty()) {
      error = At(*n, std::string(key) + " must be a non-empty list of TCP ports");
      return false;
    }
    out->clear();
    for (const auto& v : *a) {
      if (!v.is_integer() || **v.as_integer() < 1 || **v.as_integer() > 65535) {
        error = At(v, std::string(key) + " must hold ports from 1 to 65535");
        return false;
      }
      out->push_back(static_cast<int>(**v.as_integer()));
    }
    return true;
  }
  const toml::table* Table(const toml::table& root, std::string_view key) {
    const toml::node* n = root.get(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) {
      error = At(*n, std::string(key) + " must be a table");
      return nullptr;
    }
    return n->as_table();
  }
};

}  // namespace

StatusOr<Config> ParseConfig(const std::string& text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(name + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  Config c;
  Reader r{name, Status::Ok()};
  if (!r.Known(root,
               {"store", "agent", "logs", "input", "writer", "tracker", "metrics", "queue",
                "detect", "blocks", "policy", "enforce"},
               "top level"))
    return r.error;
  if (const toml::table* t = r.Table(root, "store")) {
    std::string detail = DetailName(c.detail);
    if (!r.Known(*t,
                 {"url", "detail", "password_file", "spool", "spool_max_mb", "cache_mb",
                  "dictionary_cache"},
                 "store") ||
        !r.String(*t, "url", &c.store_url) || !r.String(*t, "detail", &detail) ||
        !r.String(*t, "password_file", &c.password_file) || !r.String(*t, "spool", &c.spool_path) ||
        !r.Int(*t, "spool_max_mb", 1, 1 << 20, &c.spool_max_mb) ||
        !r.Int(*t, "cache_mb", 1, 1 << 16, &c.cache_mb) ||
        !r.Int(*t, "dictionary_cache", 1024, 1 << 26, &c.dictionary_cache))
      return r.error;
    if (c.store_url.rfind("mysql://", 0) == 0 && c.store_url.find(':', 8) < c.store_url.find('@'))
      return r.At(*t->get("url"), "no password in the URL: put it in password_file");
    auto d = DetailFromName(detail);
    if (!d) return r.At(*t->get("detail"), "detail must be minimal, standard or full");
    c.detail = *d;
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "agent")) {
    if (!r.Known(*t, {"name", "host"}, "agent") || !r.String(*t, "name", &c.agent_name) ||
        !r.String(*t, "host", &c.host))
      return r.error;
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "logs")) {
    int64_t poll_ms = c.poll_interval / 1000;
    if (!r.Known(*t, {"paths", "from_start", "timezone", "poll_interval_ms"}, "logs") ||
        !r.Bool(*t, "from_start", &c.from_start) || !r.String(*t, "timezone", &c.timezone) ||
        !r.Int(*t, "poll_interval_ms", 10, 3600000, &poll_ms))
      return r.error;
    c.poll_interval = poll_ms * 1000;
    if (const toml::node* n = t->get("paths")) {
      const toml::array* a = n->as_array();
      if (a == nullptr || a->empty()) return r.At(*n, "paths must be a list of log files");
      c.log_paths.clear();
      for (const auto& p : *a) {
        if (!p.is_string() || (**p.as_string()).empty() || (**p.as_string())[0] != '/')
          return r.At(p, "each path must be an absolute file name");
        c.log_paths.push_back(**p.as_string());
      }
      c.log_paths_given = true;
    }
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "input")) {
    auto match = [](const std::string& m) {
      return ValidJournalMatch(m) ? std::string()
                                  : "journal_match must be FIELD=VALUE or FIELD=PREFIX* (FIELD in"
                                    " capitals, as SYSLOG_IDENTIFIER=postfix*)";
    };
    if (!r.Known(*t, {"journal", "journal_match", "journal_directory"}, "input") ||
        !r.Bool(*t, "journal", &c.journal) ||
        !r.Strings(*t, "journal_match", &c.journal_matches, match) ||
        !r.String(*t, "journal_directory", &c.journal_directory))
      return r.error;
    if (c.journal && !c.log_paths_given) c.log_paths.clear();  // the journal only
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "writer")) {
    int64_t flush_ms = c.flush_interval / 1000;
    int64_t batch = static_cast<int64_t>(c.batch_records);
    int64_t queue = static_cast<int64_t>(c.queue_batches);
    if (!r.Known(*t,
                 {"flush_interval_ms", "batch_records", "queue_batches", "checkpoint_kib_per_s"},
                 "writer") ||
        !r.Int(*t, "flush_interval_ms", 10, 60000, &flush_ms) ||
        !r.Int(*t, "batch_records", 1, 1000000, &batch) ||
        !r.Int(*t, "queue_batches", 1, 1000, &queue) ||
        !r.Int(*t, "checkpoint_kib_per_s", 0, 1 << 30, &c.checkpoint_kib_per_s))
      return r.error;
    c.flush_interval = flush_ms * 1000;
    c.batch_records = static_cast<size_t>(batch);
    c.queue_batches = static_cast<size_t>(queue);
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "tracker")) {
    int64_t grace = c.grace / kUsPerSecond, stale = c.stale_after / kUsPerSecond;
    int64_t max_open = static_cast<int64_t>(c.max_open);
    if (!r.Known(*t, {"grace_s", "stale_after_s", "max_open"}, "tracker") ||
        !r.Int(*t, "grace_s", 0, 3600, &grace) ||
        !r.Int(*t, "stale_after_s", 60, 90LL * 86400, &stale) ||
        !r.Int(*t, "max_open", 1000, 100000000, &max_open))
      return r.error;
    c.grace = grace * kUsPerSecond;
    c.stale_after = stale * kUsPerSecond;
    c.max_open = static_cast<size_t>(max_open);
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "metrics")) {
    if (!r.Known(*t, {"listen"}, "metrics") || !r.String(*t, "listen", &c.metrics_listen))
      return r.error;
    // As `run` checks it (agent/metrics): check-config must not pass a file
    // that the agent then refuses.
    if (!c.metrics_listen.empty()) {
      auto hp = ParseLoopbackHostPort(c.metrics_listen);
      if (!hp || hp->port == 0)
        return r.At(*t->get("listen"),
                    "listen must be a loopback HOST:PORT with a port, e.g. 127.0.0.1:9432");
    }
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "policy")) {
    std::string mode = "0660";
    int64_t idle = c.policy_idle_timeout / kUsPerSecond;
    if (!r.Known(*t,
                 {"socket", "listen", "reply", "socket_mode", "socket_group", "idle_timeout_s",
                  "max_connections", "max_connections_per_peer"},
                 "policy") ||
        !r.String(*t, "socket", &c.policy_socket) || !r.String(*t, "listen", &c.policy_listen) ||
        !r.String(*t, "reply", &c.policy_reply) || !r.String(*t, "socket_mode", &mode) ||
        !r.String(*t, "socket_group", &c.policy_socket_group) ||
        !r.Int(*t, "idle_timeout_s", 1, 3600, &idle) ||
        !r.Int(*t, "max_connections", 16, 1000000, &c.policy_max_connections) ||
        !r.Int(*t, "max_connections_per_peer", 1, 1000000, &c.policy_max_connections_per_peer))
      return r.error;
    c.policy_idle_timeout = idle * kUsPerSecond;
    c.policy_socket_group_required = t->get("socket_group") != nullptr;
    // Octal text ("0660"): TOML's 0o660 is easy to get wrong as 660.
    char* end = nullptr;
    const long m = std::strtol(mode.c_str(), &end, 8);
    if (mode.empty() || mode.size() > 4 || *end != '\0' || m < 0 || m > 0777 || (m & 0002))
      return r.At(*t->get("socket_mode"),
                  "socket_mode must be octal like \"0660\", never world-writable (any local "
                  "user could hold the service's connections)");
    c.policy_socket_mode = static_cast<int>(m);
    if (!c.policy_listen.empty() && !ParseLoopbackHostPort(c.policy_listen))
      return r.At(*t->get("listen"), "listen must be a loopback HOST:PORT, e.g. 127.0.0.1:10031");
    if (!ValidPolicyReply(c.policy_reply))
      return r.At(*t->get("reply"),
                  "reply must be like \"450 4.7.1 text\", REJECT or DEFER_IF_PERMIT");
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "enforce")) {
    int64_t reload = c.reload_interval / kUsPerSecond;
    if (!r.Known(*t,
                 {"access_map", "access_map_type", "header_checks", "reload_interval_s", "dry_run",
                  "nftables", "nftables_remove_on_stop", "iptables", "iptables_remove_on_stop",
                  "firewall_ports", "postfix_reload"},
                 "enforce") ||
        !r.String(*t, "access_map", &c.access_map) ||
        !r.String(*t, "access_map_type", &c.access_map_type) ||
        !r.String(*t, "header_checks", &c.header_checks) ||
        !r.Int(*t, "reload_interval_s", 1, 86400, &reload) ||
        !r.Bool(*t, "dry_run", &c.enforce_dry_run) || !r.Bool(*t, "nftables", &c.nftables) ||
        !r.Bool(*t, "nftables_remove_on_stop", &c.nftables_remove_on_stop) ||
        !r.Bool(*t, "iptables", &c.iptables) ||
        !r.Bool(*t, "iptables_remove_on_stop", &c.iptables_remove_on_stop) ||
        !r.Ports(*t, "firewall_ports", &c.firewall_ports) ||
        !r.Bool(*t, "postfix_reload", &c.postfix_reload))
      return r.error;
    if (c.access_map_type != "lmdb" && c.access_map_type != "hash")
      return r.At(*t->get("access_map_type"), "access_map_type must be lmdb or hash");
    c.reload_interval = reload * kUsPerSecond;
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "queue")) {
    int64_t scan = c.queue_scan_interval / kUsPerSecond;
    if (!r.Known(*t, {"read", "directory", "scan_interval_s", "bounce_alert"}, "queue") ||
        !r.String(*t, "read", &c.queue_read) || !r.String(*t, "directory", &c.queue_dir) ||
        !r.Int(*t, "scan_interval_s", 5, 86400, &scan) ||
        !r.Int(*t, "bounce_alert", 1, 100000000, &c.queue_bounce_alert))
      return r.error;
    if (c.queue_read != "off" && c.queue_read != "files" && c.queue_read != "postqueue")
      return r.At(*t->get("read"), "read must be off, files or postqueue");
    c.queue_scan_interval = scan * kUsPerSecond;
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "detect")) {
    int64_t sw = c.subject_window / kUsPerSecond, iw = c.ip_window / kUsPerSecond,
            aw = c.answer_window / kUsPerSecond, fi = c.fleet_interval / kUsPerSecond;
    if (!r.Known(*t,
                 {"enabled", "subject_bounces", "subject_ips", "subject_source_bounces",
                  "subject_window_s", "ip_bounces", "ip_window_s", "answers", "answer_window_s",
                  "rule", "fleet", "fleet_interval_s"},
                 "detect") ||
        !r.Bool(*t, "enabled", &c.detect) || !r.Bool(*t, "fleet", &c.fleet) ||
        !r.Int(*t, "fleet_interval_s", 1, 60, &fi) ||
        !r.Int(*t, "subject_bounces", 1, 1000000, &c.subject_bounces) ||
        !r.Int(*t, "subject_ips", 1, 1000, &c.subject_min_ips) ||
        !r.Int(*t, "subject_source_bounces", 1, 1000, &c.subject_source_bounces) ||
        !r.Bool(*t, "answers", &c.answers) || !r.Int(*t, "answer_window_s", 60, 7 * 86400, &aw) ||
        !r.Int(*t, "subject_window_s", 1, 86400, &sw) ||
        !r.Int(*t, "ip_bounces", 1, 1000000, &c.ip_bounces) ||
        !r.Int(*t, "ip_window_s", 1, 86400, &iw))
      return r.error;
    c.subject_window = sw * kUsPerSecond;
    c.ip_window = iw * kUsPerSecond;
    c.answer_window = aw * kUsPerSecond;
    c.fleet_interval = fi * kUsPerSecond;
    if (const toml::node* n = t->get("rule")) {
      const toml::array* a = n->as_array();
      if (a == nullptr) return r.At(*n, "rule must be [[detect.rule]] tables");
      for (const auto& item : *a) {
        const toml::table* rt = item.as_table();
        if (rt == nullptr) return r.At(item, "rule must be [[detect.rule]] tables");
        ContentRuleSpec spec;
        int64_t threshold = 1, window = 60;
        if (!r.Known(*rt, {"name", "header", "pattern", "action", "threshold", "window_s"},
                     "detect.rule") ||
            !r.String(*rt, "name", &spec.name) || !r.String(*rt, "header", &spec.header) ||
            !r.String(*rt, "pattern", &spec.pattern) || !r.String(*rt, "action", &spec.action) ||
            !r.Int(*rt, "threshold", 1, 1000000, &threshold) ||
            !r.Int(*rt, "window_s", 1, 86400, &window))
          return r.error;
        spec.threshold = static_cast<int>(threshold);
        spec.window = window * kUsPerSecond;
        if (spec.name.empty()) return r.At(item, "a rule needs a name");
        // Compiled now, so that a bad pattern stops check-config, not the agent.
        // The error points at the pattern's own line, where the mistake is.
        if (auto compiled = ContentRules::Compile({spec}); !compiled.ok()) {
          const toml::node* where = rt->get("pattern");
          return r.At(where ? *where : item, compiled.status().message());
        }
        c.rules.push_back(std::move(spec));
      }
    }
  }
  if (!r.error.ok()) return r.error;
  if (const toml::table* t = r.Table(root, "blocks")) {
    int64_t period = c.block_period / kUsPerSecond, max = c.block_max_period / kUsPerSecond;
    auto cidr = [](const std::string& v) {
      return Cidr::Parse(v) ? std::string() : "not an IP address or CIDR: " + v;
    };
    auto any = [](const std::string&) { return std::string(); };
    if (!r.Known(*t,
                 {"period_s", "max_period_s", "max_active", "max_new_per_minute", "allow",
                  "allow_subjects", "allow_mynetworks", "postfix_config_dir", "allow_own_addresses",
                  "dry_run", "min_subject_chars"},
                 "blocks") ||
        !r.Int(*t, "period_s", 1, 30LL * 86400, &period) ||
        !r.Int(*t, "max_period_s", 1, 365LL * 86400, &max) ||
        !r.Int(*t, "max_active", 1, 10000000, &c.max_active_blocks) ||
        !r.Int(*t, "max_new_per_minute", 1, 1000000, &c.max_new_blocks_per_minute) ||
        !r.Strings(*t, "allow", &c.allow, cidr) ||
        !r.Strings(*t, "allow_subjects", &c.allow_subjects, any) ||
        !r.Int(*t, "min_subject_chars", 1, 160, &c.min_subject_chars) ||
        !r.Bool(*t, "allow_mynetworks", &c.allow_mynetworks) ||
        !r.String(*t, "postfix_config_dir", &c.postfix_config_dir) ||
        !r.Bool(*t, "allow_own_addresses", &c.allow_own_addresses) ||
        !r.Bool(*t, "dry_run", &c.dry_run))
      return r.error;
    c.block_period = period * kUsPerSecond;
    c.block_max_period = max * kUsPerSecond;
  }
  if (!r.error.ok()) return r.error;
  return c;
}

StatusOr<Config> LoadConfig(const std::string& path) {
  // A regular file only (a FIFO would block check-config and every reload).
  auto text = ReadRegularFile(path, ReadFileOptions{});
  if (!text.ok())
    return Status::IoError(text.status().message() + ": cannot read the configuration file");
  return ParseConfig(*text, path);
}

StoreOptions ToStoreOptions(const Config& c) {
  StoreOptions o;
  o.detail = c.detail;
  o.create = true;
  o.password_file = c.password_file;
  o.agent_name = c.agent_name;
  o.sqlite_cache_mb = c.cache_mb;
  o.dictionary_cache = static_cast<size_t>(c.dictionary_cache);
  if (c.store_url.rfind("mysql://", 0) == 0) {
    o.spool_path = c.spool_path;
    o.spool_max_bytes = c.spool_max_mb << 20;
  }
  return o;
}

}  // namespace mailtrail
