// The agent's configuration file (TOML): every key, its default and its check.
// A bad file is reported as "FILE:LINE: what" (docs/style.md rule 3: exit 78 at start;
// a bad reload keeps the running configuration).
#ifndef MAILTRAIL_AGENT_CONFIG_CONFIG_H_
#define MAILTRAIL_AGENT_CONFIG_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "agent/detect/content_rules.h"
#include "agent/store/store.h"
#include "agent/web/web_settings.h"
#include "base/civil_time.h"
#include "base/status.h"

namespace mailtrail {

constexpr const char* kDefaultConfigPath = "/etc/mailtrail/mailtrail.toml";

// Each section of the file is one component's part of the configuration.
struct StoreConfig {
  std::string url = "sqlite:/var/lib/mailtrail/mailtrail.db";
  Detail detail = Detail::kStandard;
  std::string password_file;                          // MySQL: the file holding the password
  std::string spool = "/var/lib/mailtrail/spool.db";  // MySQL: "" = no spool
  int64_t spool_max_mb = 1024;
  int64_t cache_mb = kDefaultSqliteCacheMb;            // SQLite's page cache
  int64_t dictionary_cache = kDefaultDictionaryCache;  // texts per kind and generation
};

struct AgentConfig {
  std::string name;  // "" = this machine's host name
  std::string host;  // the records' host; "" = each line's syslog host field
};

struct LogsConfig {
  std::vector<std::string> paths = {"/var/log/mail.log"};
  bool paths_given = false;  // [logs] paths was set (else none beside the journal)
  bool from_start = false;
  std::string timezone = "UTC";
  TimeUs poll_interval = kUsPerSecond;
};

// [input] (agent/journal/journal_reader.h)
struct InputConfig {
  bool journal = false;                      // Postfix's messages from the systemd journal
  std::vector<std::string> journal_matches;  // "FIELD=VALUE" / "FIELD=PREFIX*"; none: the default
  std::string journal_directory;             // "" = the system journal
  // Who may write Postfix's and amavis's entries: user names, ids, "*" for
  // anyone; none: root, postfix, amavis (agent/journal/journal_writers.h).
  std::vector<std::string> journal_writers;
};

struct WriterConfig {
  TimeUs flush_interval = kUsPerSecond;
  size_t batch_records = 20000;
  size_t queue_batches = 4;
  int64_t checkpoint_kib_per_s = 4096;  // 0: no limit
};

struct TrackerConfig {
  TimeUs grace = 10 * kUsPerSecond;
  TimeUs stale_after = 6LL * 86400 * kUsPerSecond;
  size_t max_open = 1'000'000;
};

struct MetricsConfig {
  std::string listen;  // "" = off; else a loopback HOST:PORT
};

// The web console served by the live agent too, and `mailtrail web --config`'s
// settings (agent/web/web_settings.h: the keys, the flags, their rules).
using WebConfig = web::WebSettings;

// actions/policy/policy_server.h
struct PolicyConfig {
  std::string socket;  // "" = off
  std::string listen;  // "" = off; else a loopback HOST:PORT
  std::string reply = "450 4.7.1 Service temporarily unavailable";
  // For a bounce (MAIL FROM:<>) from a blocked client (PolicyReplies);
  // "" = reply. HOLD is the admin's choice: docs/postfix.md says its price.
  std::string bounce_action;
  int socket_mode = 0660;                // never world-writable
  std::string socket_group = "postfix";  // "" = leave it
  bool socket_group_required = false;    // true when the file names one
  // Over smtpd_policy_service_max_idle (300 s): Postfix closes first.
  TimeUs idle_timeout = 330 * kUsPerSecond;
  int64_t max_connections = 512, max_connections_per_peer = 384;
};

// actions/postfix/postfix_tables.h, actions/firewall
struct EnforceConfig {
  std::string access_map;  // "" = off
  std::string access_map_type = "lmdb";
  std::string header_checks;  // "" = off
  TimeUs reload_interval = 60 * kUsPerSecond;
  // Every backend is applied again this often, repairing what was changed
  // behind the agent's back (`nft flush ruleset`, a table edited by hand).
  TimeUs recheck_interval = 30 * kUsPerSecond;
  bool postfix_reload = true;  // false: header_checks written, never reloaded
  bool dry_run = false;
  bool nftables = false;  // the nftables backend (needs CAP_NET_ADMIN)
  bool nftables_remove_on_stop = false;
  bool iptables = false;  // the libiptc backend (CAP_NET_ADMIN, CAP_NET_RAW)
  bool iptables_remove_on_stop = false;
  std::vector<int> firewall_ports = {25, 465, 587};  // TCP ports both firewalls guard
};

// agent/queue/queue_watcher.h
// How the queue is read: not at all, its files, or `postqueue -j`.
enum class QueueRead { kOff, kFiles, kPostqueue };
// "off", "files", "postqueue": the names the config uses.
const char* QueueReadName(QueueRead r);
// The mode named `name`; anything else is InvalidArgument "read must be off,
// files or postqueue, not "..."". Parsed once, by the config's key table.
StatusOr<QueueRead> ParseQueueRead(std::string_view name);

struct QueueConfig {
  QueueRead read = QueueRead::kOff;
  std::string directory = "/var/spool/postfix";
  TimeUs scan_interval = 60 * kUsPerSecond;
  int64_t bounce_alert = 50;
};

// agent/detect/flood_detector.h
struct DetectConfig {
  bool enabled = true;
  int64_t subject_bounces = 50, subject_ips = 2, ip_bounces = 20;
  int64_t subject_source_bounces = 5;  // bounces of the subject each counted source sent
  TimeUs subject_window = 120 * kUsPerSecond, ip_window = 60 * kUsPerSecond;
  bool answers = true;  // recognise answers to our own mail (agent/detect/outbound.h)
  TimeUs answer_window = 24 * 3600 * kUsPerSecond;
  std::vector<ContentRuleSpec> rules;  // [[detect.rule]]
  bool fleet =
      true;  // count, and share answers, with the other agents of the store (docs/detection.md)
  TimeUs fleet_interval = 2 * kUsPerSecond;
};

// agent/blocks/block_manager.h
struct BlocksConfig {
  TimeUs period = 3600 * kUsPerSecond, max_period = 7 * 86400 * kUsPerSecond;
  int64_t max_active = 10000, max_new_per_minute = 120;
  std::vector<std::string> allow = {"127.0.0.0/8", "::1"};  // IPs and CIDRs never blocked
  std::vector<std::string> allow_subjects;
  int64_t min_subject_chars = 12;  // shorter normalised subjects are never blocked
  bool allow_mynetworks = true;    // Postfix's mynetworks (postconf), never blocked
  std::string postfix_config_dir = "/etc/postfix";
  bool allow_own_addresses = true;  // this machine's interface addresses
  bool dry_run = false;             // decide and record, never live (never enforced)
};

// The whole file; every key, its type, default and help: agent/config/config_keys.cc.
struct Config {
  StoreConfig store;
  AgentConfig agent;
  LogsConfig logs;
  InputConfig input;
  WriterConfig writer;
  TrackerConfig tracker;
  MetricsConfig metrics;
  WebConfig web;
  PolicyConfig policy;
  EnforceConfig enforce;
  QueueConfig queue;
  DetectConfig detect;
  BlocksConfig blocks;
};

// The store options the configuration asks for (the spool only for MySQL).
StoreOptions ToStoreOptions(const Config& c);

// Reads and checks a configuration file. Unknown keys are errors (a typo must not
// silently mean "default").
StatusOr<Config> LoadConfig(const std::string& path);
// The same, from text (for tests); `name` appears in messages.
StatusOr<Config> ParseConfig(const std::string& text, const std::string& name);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_CONFIG_CONFIG_H_
