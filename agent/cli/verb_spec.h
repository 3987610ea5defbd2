// One description of each verb: its name, one-line summary, usage, flags,
// sub-verbs and positional arguments. From it come the parse (one
// parse-or-usage for every verb), `--help`, `mailtrail --help`, the man page
// (`mailtrail help --man 8`) and, through --help, the bash completion.
#ifndef MAILTRAIL_AGENT_CLI_VERB_SPEC_H_
#define MAILTRAIL_AGENT_CLI_VERB_SPEC_H_

#include <optional>
#include <string>
#include <vector>

#include "agent/cli/args.h"

namespace mailtrail::cli {

constexpr int kAnyNumber = -1;

struct VerbSpec {
  const char* name;
  const char* summary;  // one line: `mailtrail --help` and the man page's NAME list
  const char* usage;    // after "mailtrail NAME ": "[options] FILE..."
  std::vector<FlagSpec> flags;
  int min_positionals = 0;
  int max_positionals = 0;  // kAnyNumber: no limit
  // A verb with sub-verbs (`db migrate`): the first positional names one; its
  // flags add to the verb's, its positionals follow its name.
  std::vector<VerbSpec> subverbs = {};
  const char* description = "";  // more, for the man page (roff-free text)
};

// The verbs, in the order `mailtrail --help` lists them (agent/cli/verb_table.cc).
const std::vector<const VerbSpec*>& AllVerbSpecs();

struct ParsedArgs {
  Args args;
  const VerbSpec* sub = nullptr;  // the sub-verb named, if the verb has any
  // The positionals after the sub-verb's name (all of them without sub-verbs).
  std::vector<std::string> operands;
};

// Parses `argv` (after the verb) by `verb`. nullopt: go on with `out`.
// Otherwise the exit code to return: 0 after --help (on stdout), 2 after a
// usage error (one line and the usage on stderr).
std::optional<int> ParseOrUsage(const VerbSpec& verb, const std::vector<std::string>& argv,
                                ParsedArgs* out);

// A verb's (or a sub-verb's, with `parent`) full --help text.
std::string VerbHelp(const VerbSpec& verb, const VerbSpec* parent = nullptr);
// `mailtrail --help`.
std::string TopHelp();
// "mailtrail VERB: what" and the verb's usage on stderr; returns kExitUsage.
int UsageError(const VerbSpec& verb, const std::string& what);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_VERB_SPEC_H_
