#include "agent/config/config_keys.h"

#include <cstdio>
#include <set>

#include "actions/policy/policy_protocol.h"
#include "agent/config/config_table.h"
#include "agent/config/key_kinds.h"
#include "agent/journal/journal_reader.h"
#include "agent/journal/journal_writers.h"
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

using namespace key_kinds;  // NOLINT: the table reads as a list of keys

// The keys of each [section], in the order of the file.
void StoreKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  std::vector<KeyDef<C>> keys = {
      Lift(&C::store,
           Text<StoreConfig>(
               "store", "url",
               "where records go: sqlite:PATH, or mysql://USER@HOST[:PORT]/DB[?socket=PATH] (the "
               "password never in the URL)",
               true, &StoreConfig::url,
               [](const std::string& u) {
                 return u.rfind("mysql://", 0) == 0 && u.find(':', 8) < u.find('@')
                            ? "no password in the URL: put it in password_file"
                            : "";
               })),
      {"store", "detail", "string: minimal, standard or full",
       "how much of each message is kept: minimal (times, client, sender, recipients, outcomes, "
       "size), standard (+ names, HELO, Message-ID, subject, links, rejects, DSN, relay, delays), "
       "full (+ status texts, scan results and every log line)",
       true,
       [](const toml::node& n, C* c) -> KeyError {
         auto d = n.is_string() ? DetailFromName(**n.as_string()) : std::nullopt;
         if (!d) return {"detail must be minimal, standard or full"};
         c->store.detail = *d;
         return {};
       },
       [](const C& c) { return TomlString(DetailName(c.store.detail)); }},
      Lift(&C::store,
           Text<StoreConfig>(
               "store", "password_file",
               "MySQL: the file whose first line is the password (not readable by others); \"\" = "
               "none",
               true, &StoreConfig::password_file)),
      Lift(&C::store,
           Text<StoreConfig>(
               "store", "spool",
               "MySQL: while the server is unreachable, batches wait in this local file; \"\" = "
               "no spool (the agent stops when the server stays away)",
               true, &StoreConfig::spool)),
      Lift(&C::store,
           Integer<StoreConfig>(
               "store", "spool_max_mb",
               "the spool's bound, MiB of compressed records and checkpoints; when full, "
               "reading waits (the file adds its WAL, up to about 4 MiB)",
               true, &StoreConfig::spool_max_mb, 1, 1 << 20)),
      Lift(&C::store, Integer<StoreConfig>("store", "cache_mb", "SQLite: its page cache, MiB", true,
                                           &StoreConfig::cache_mb, 1, 1 << 16)),
      Lift(&C::store,
           Integer<StoreConfig>(
               "store", "dictionary_cache",
               "addresses and host names remembered with their dictionary ids (each kind)", true,
               &StoreConfig::dictionary_cache, 1024, 1 << 26)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void AgentKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  std::vector<KeyDef<C>> keys = {
      Lift(&C::agent,
           Text<AgentConfig>(
               "agent", "name",
               "this agent's name in a shared MySQL database (its checkpoint and record ids); \"\" "
               "= the machine's host name",
               true, &AgentConfig::name)),
      Lift(&C::agent,
           Text<AgentConfig>(
               "agent", "host",
               "the host of this agent's records; \"\" = each log line's syslog host field", true,
               &AgentConfig::host)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void LogsKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  constexpr int64_t kMs = 1000;
  std::vector<KeyDef<C>> keys = {
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
         c->logs.paths = std::move(paths);
         c->logs.paths_given = true;
         return {};
       },
       [](const C& c) {
         std::string out = "[";
         for (const auto& v : c.logs.paths) out += (out.size() > 1 ? ", " : "") + TomlString(v);
         return out + "]";
       }},
      Lift(&C::logs,
           Boolean<LogsConfig>(
               "logs", "from_start",
               "first start without a checkpoint: true reads what the logs hold, false starts "
               "at their end; later starts resume from the checkpoint",
               true, &LogsConfig::from_start)),
      Lift(&C::logs,
           Text<LogsConfig>(
               "logs", "timezone",
               "time zone of syslog timestamps that carry none: UTC, local, or +01:00 / -05:00",
               true, &LogsConfig::timezone)),
      Lift(&C::logs, Integer<LogsConfig>("logs", "poll_interval_ms",
                                         "how often the logs are re-checked besides file events",
                                         true, &LogsConfig::poll_interval, 10, 3600000, kMs)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void InputKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  std::vector<KeyDef<C>> keys = {
      Lift(&C::input, Boolean<InputConfig>(
                          "input", "journal",
                          "follow Postfix's messages in the systemd journal (alone, unless [logs] "
                          "paths is set too)",
                          true, &InputConfig::journal)),
      Lift(&C::input, Texts<InputConfig>(
                          "input", "journal_match",
                          "which journal entries are Postfix's: FIELD=VALUE or FIELD=PREFIX*; "
                          "none = a SYSLOG_IDENTIFIER beginning with postfix, or the mail facility",
                          true, &InputConfig::journal_matches,
                          [](const std::string& m) -> std::string {
                            return ValidJournalMatch(m)
                                       ? ""
                                       : "journal_match must be FIELD=VALUE or FIELD=PREFIX* "
                                         "(FIELD in capitals, as SYSLOG_IDENTIFIER=postfix*)";
                          })),
      Lift(&C::input, Texts<InputConfig>(
                          "input", "journal_writers",
                          "the users whose journal entries may be Postfix's or amavis's lines (by "
                          "_UID; names or ids, \"*\" = anyone); none = root, postfix, amavis",
                          true, &InputConfig::journal_writers,
                          [](const std::string& w) -> std::string {
                            return ValidJournalWriter(w)
                                       ? ""
                                       : "journal_writers: a user name, a user id, or \"*\"";
                          })),
      Lift(&C::input, Text<InputConfig>("input", "journal_directory",
                                        "read the journal files of this directory; \"\" = the "
                                        "system journal",
                                        true, &InputConfig::journal_directory)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void WriterKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  constexpr int64_t kMs = 1000;
  std::vector<KeyDef<C>> keys = {
      Lift(&C::writer, Integer<WriterConfig>("writer", "flush_interval_ms",
                                             "records and checkpoint are committed this often",
                                             true, &WriterConfig::flush_interval, 10, 60000, kMs)),
      Lift(&C::writer, Integer<WriterConfig>("writer", "batch_records",
                                             "... or as soon as this many records wait", true,
                                             &WriterConfig::batch_records, 1, 1000000)),
      Lift(&C::writer, Integer<WriterConfig>("writer", "queue_batches",
                                             "batches waiting for the store before reading pauses",
                                             true, &WriterConfig::queue_batches, 1, 1000)),
      Lift(&C::writer,
           Integer<WriterConfig>(
               "writer", "checkpoint_kib_per_s",
               "commits by time are spaced so that checkpoints write at most this many KiB per "
               "second; 0 = no limit",
               true, &WriterConfig::checkpoint_kib_per_s, 0, 1 << 30)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

void TrackerKeys(std::vector<KeyDef<Config>>* t) {
  using C = Config;
  constexpr int64_t kS = kUsPerSecond, kDay = 86400;
  std::vector<KeyDef<C>> keys = {
      Lift(&C::tracker,
           Integer<TrackerConfig>("tracker", "grace_s",
                                  "how long (log time) a message waits after removed for "
                                  "late lines",
                                  true, &TrackerConfig::grace, 0, 3600, kS)),
      Lift(&C::tracker,
           Integer<TrackerConfig>("tracker", "stale_after_s",
                                  "a message with no line for this long is closed as stale", true,
                                  &TrackerConfig::stale_after, 60, 90 * kDay, kS)),
      Lift(&C::tracker,
           Integer<TrackerConfig>("tracker", "max_open",
                                  "at most this many messages open; beyond, the oldest close", true,
                                  &TrackerConfig::max_open, 1000, 100000000)),
  };
  t->insert(t->end(), keys.begin(), keys.end());
}

std::vector<KeyDef<Config>> BuildConfigTable() {
  std::vector<KeyDef<Config>> t;
  StoreKeys(&t);
  AgentKeys(&t);
  LogsKeys(&t);
  InputKeys(&t);
  WriterKeys(&t);
  TrackerKeys(&t);
  MetricsKeys(&t);
  WebKeys(&t);
  PolicyKeys(&t);
  EnforceKeys(&t);
  QueueKeys(&t);
  DetectKeys(&t);
  BlocksKeys(&t);
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
      Enum<R>("detect.rule", "action", "count, block-ip or block-subject (required)", true,
              &R::action, ParseRuleAction, RuleActionName, "count, block-ip or block-subject"),
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
  for (const ContentRuleSpec& r : c.detect.rules) {
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
