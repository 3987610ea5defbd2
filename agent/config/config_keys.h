// Every key of the configuration file, declared once (agent/config/config_keys.cc):
// section, key, type, default, help and whether a reload (SIGHUP) applies it.
// The table drives ParseConfig, `check-config --print`, the reload's list of
// what waits for a restart, and mailtrail.toml(5).
#ifndef MAILTRAIL_AGENT_CONFIG_CONFIG_KEYS_H_
#define MAILTRAIL_AGENT_CONFIG_CONFIG_KEYS_H_

#include <string>
#include <vector>

#include "agent/config/config.h"

namespace mailtrail {

struct ConfigKeyDoc {
  std::string section;  // "store", "detect.rule" (an array of tables)
  std::string key;
  std::string type;  // "string", "integer (1 to 1024)", "list of strings", ...
  std::string help;
  std::string default_toml;  // the default, as TOML would write it
  bool reloadable;           // false: a reload says it waits for a restart
};

// The keys, in the order of the file's sections.
std::vector<ConfigKeyDoc> ConfigKeyDocs();

// Every key of `c` as a TOML file ([detect.rule]s included), in table order.
std::string ConfigToml(const Config& c);

// The sections ("[policy]") with a key that differs between `before` and
// `after` and is not reloadable: what a reload leaves for the next restart.
std::vector<std::string> SectionsWaitingForRestart(const Config& before, const Config& after);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_CONFIG_CONFIG_KEYS_H_
