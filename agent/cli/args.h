// A small command-line parser for the verbs: "--name value", "--name=value",
// boolean "--flag", positionals. Unknown options, values outside a flag's
// allowed list and malformed numbers or durations are errors (exit 2). The
// verbs describe themselves with a VerbSpec (agent/cli/verb_spec.h), which
// also gives --help, the man page and the bash completion.
#ifndef MAILTRAIL_AGENT_CLI_ARGS_H_
#define MAILTRAIL_AGENT_CLI_ARGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/parse_number.h"
#include "base/status.h"

namespace mailtrail::cli {

// What a flag's value must be: any text, a decimal integer in [lo, hi], or a
// duration (base/parse_number.h) in [lo, hi] microseconds.
enum class ValueKind { kText, kInteger, kDuration };

struct FlagSpec {
  const char* name;  // without "--"
  bool takes_value;
  const char* help;
  const char* value_name = "VALUE";       // in help and man pages: FILE, URL, N
  std::vector<std::string> allowed = {};  // the only values accepted; empty: any
  ValueKind kind = ValueKind::kText;
  int64_t lo = 0, hi = 0;
  DurationUnit bare_unit = DurationUnit::kNone;  // durations: what "30" means
};

inline const FlagSpec kHelpFlag = {"help", false, "this help"};

// Flag constructors for the common kinds, so a verb's table reads as one line each.
FlagSpec IntFlag(const char* name, const char* help, int64_t lo, int64_t hi,
                 const char* value_name = "N");
FlagSpec DurationFlag(const char* name, const char* help, TimeUs lo, TimeUs hi,
                      DurationUnit bare_unit, const char* value_name = "DURATION");
FlagSpec ChoiceFlag(const char* name, const char* help, std::vector<std::string> allowed);

struct Args {
  std::map<std::string, std::string> values;  // flags given (booleans map to ""); the last wins
  std::map<std::string, std::vector<std::string>> repeated;  // every value, in order
  std::map<std::string, int64_t> numbers;  // integer and duration flags, parsed and checked
  std::vector<std::string> positionals;
  bool Has(const std::string& name) const { return values.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  // An integer or duration flag's checked value (microseconds for durations),
  // or `absent` when it was not given.
  int64_t Number(const std::string& name, int64_t absent) const {
    auto it = numbers.find(name);
    return it == numbers.end() ? absent : it->second;
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
// "  --name VALUE_NAME   help" lines; a flag with allowed values shows them as
// its value name ("minimal|standard|full"), which the bash completion offers.
std::string FlagsHelp(const std::vector<FlagSpec>& specs);
// The value name as help shows it.
std::string ValueName(const FlagSpec& spec);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_ARGS_H_
