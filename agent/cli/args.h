// A small command-line parser for the verbs: "--name value", "--name=value",
// boolean "--flag", positionals. Unknown options are errors (exit 2).
#ifndef MAILTRAIL_AGENT_CLI_ARGS_H_
#define MAILTRAIL_AGENT_CLI_ARGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace mailtrail::cli {

struct FlagSpec {
  const char* name;  // without "--"
  bool takes_value;
  const char* help;
};

struct Args {
  std::map<std::string, std::string> values;  // flags given (booleans map to ""); the last wins
  std::map<std::string, std::vector<std::string>> repeated;  // every value, in order
  std::vector<std::string> positionals;
  bool Has(const std::string& name) const { return values.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  // The flag's value as an integer in [lo, hi] into `out` (left alone when the
  // flag is absent); false when it is given but not such a number.
  bool Int(const std::string& name, int64_t lo, int64_t hi, int64_t* out) const;
  std::vector<std::string> GetAll(const std::string& name) const {
    auto it = repeated.find(name);
    return it == repeated.end() ? std::vector<std::string>() : it->second;
  }
};

StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const std::vector<FlagSpec>& specs);
std::string FlagsHelp(const std::vector<FlagSpec>& specs);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_ARGS_H_
