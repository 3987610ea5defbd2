// The key table's entries (internal to agent/config): how each key is read
// from its TOML node into its target (Config, or one [[detect.rule]]) and
// written back as TOML text.
#ifndef MAILTRAIL_AGENT_CONFIG_CONFIG_TABLE_H_
#define MAILTRAIL_AGENT_CONFIG_CONFIG_TABLE_H_

#include <functional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "agent/config/config.h"

namespace mailtrail {

// What a read found wrong with the key's node: the message, and (if not the
// key's own node) where.
struct KeyError {
  std::string what;  // "" = ok
  const toml::node* where = nullptr;
};

template <typename T>
struct KeyDef {
  const char* section;
  const char* key;
  std::string type;
  const char* help;
  bool reloadable;
  std::function<KeyError(const toml::node&, T*)> read;
  std::function<std::string(const T&)> show;  // the value as TOML
};

const std::vector<KeyDef<Config>>& ConfigTable();
// The keys of the sections of agent/config/config_keys_actions.cc, appended to `t`.
void MetricsKeys(std::vector<KeyDef<Config>>* t);
void WebKeys(std::vector<KeyDef<Config>>* t);
void PolicyKeys(std::vector<KeyDef<Config>>* t);
void EnforceKeys(std::vector<KeyDef<Config>>* t);
void QueueKeys(std::vector<KeyDef<Config>>* t);
void DetectKeys(std::vector<KeyDef<Config>>* t);
void BlocksKeys(std::vector<KeyDef<Config>>* t);
const std::vector<KeyDef<ContentRuleSpec>>& RuleTable();  // one [[detect.rule]]

// A TOML basic string, escaped.
std::string TomlString(const std::string& s);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_CONFIG_CONFIG_TABLE_H_
