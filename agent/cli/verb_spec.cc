#include "agent/cli/verb_spec.h"

#include <cstdio>
#include <set>

#include "agent/cli/verbs.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {

std::string UsageLines(const VerbSpec& verb) {
  std::string out;
  const char* lead = "usage: ";
  if (verb.subverbs.empty())
    return std::string(lead) + "mailtrail " + verb.name + (*verb.usage ? " " : "") + verb.usage +
           "\n";
  for (const VerbSpec& sub : verb.subverbs) {
    out += std::string(lead) + "mailtrail " + verb.name + " " + sub.name + " " + sub.usage + "\n";
    lead = "       ";
  }
  return out;
}

// The verb's flags, then each sub-verb's not yet listed.
std::vector<FlagSpec> AllFlags(const VerbSpec& verb) {
  std::vector<FlagSpec> flags = verb.flags;
  std::set<std::string> seen;
  for (const auto& f : flags) seen.insert(f.name);
  for (const VerbSpec& sub : verb.subverbs)
    for (const auto& f : sub.flags)
      if (seen.insert(f.name).second) flags.push_back(f);
  return flags;
}

bool CountOk(const VerbSpec& spec, size_t n) {
  return static_cast<int>(n) >= spec.min_positionals &&
         (spec.max_positionals == kAnyNumber || static_cast<int>(n) <= spec.max_positionals);
}

}  // namespace

std::string VerbHelp(const VerbSpec& verb, const VerbSpec* parent) {
  std::string out;
  if (parent != nullptr) {
    out = std::string("usage: mailtrail ") + parent->name + " " + verb.name + " " + verb.usage +
          "\n" + verb.summary + "\noptions:\n";
    std::vector<FlagSpec> flags = parent->flags;
    flags.insert(flags.end(), verb.flags.begin(), verb.flags.end());
    return out + FlagsHelp(flags);
  }
  out = UsageLines(verb) + verb.summary + "\n";
  for (const VerbSpec& sub : verb.subverbs) {
    std::string left = std::string("  ") + sub.name;
    if (left.size() < 22) left.resize(22, ' ');
    out += left + sub.summary + "\n";
  }
  const std::vector<FlagSpec> flags = AllFlags(verb);
  if (!flags.empty()) out += "options:\n" + FlagsHelp(flags);
  return out;
}

std::string TopHelp() {
  std::string out = "usage: mailtrail VERB [options]\n";
  for (const VerbSpec* v : AllVerbSpecs()) {
    std::string left = std::string("  ") + v->name;
    if (left.size() < 19) left.resize(19, ' ');
    out += left + v->summary + "\n";
  }
  return out + "Run `mailtrail VERB --help` for a verb's options, `man 8 mailtrail` for all.\n";
}

int UsageError(const VerbSpec& verb, const std::string& what) {
  std::fprintf(stderr, "mailtrail %s: %s\n%s", verb.name, EscapeForLog(what, 300).c_str(),
               UsageLines(verb).c_str());
  return kExitUsage;
}

std::optional<int> ParseOrUsage(const VerbSpec& verb, const std::vector<std::string>& argv,
                                ParsedArgs* out) {
  *out = ParsedArgs();
  const std::vector<FlagSpec> flags = AllFlags(verb);
  auto args = ParseArgs(argv, flags);
  if (!args.ok()) return UsageError(verb, args.status().message());
  out->args = std::move(*args);
  const auto& pos = out->args.positionals;
  const bool help = out->args.Has("help");
  if (verb.subverbs.empty()) {
    if (help) {
      std::fputs(VerbHelp(verb).c_str(), stdout);
      return kExitOk;
    }
    if (!CountOk(verb, pos.size()))
      return UsageError(verb, pos.size() < static_cast<size_t>(verb.min_positionals)
                                  ? "missing argument"
                                  : "unexpected argument '" + pos.back() + "'");
    out->operands = pos;
    return std::nullopt;
  }
  for (const VerbSpec& sub : verb.subverbs)
    if (!pos.empty() && pos[0] == sub.name) out->sub = &sub;
  if (out->sub == nullptr) {
    if (help) {
      std::fputs(VerbHelp(verb).c_str(), stdout);
      return kExitOk;
    }
    return UsageError(verb, pos.empty() ? "which one?" : "unknown sub-verb '" + pos[0] + "'");
  }
  if (help) {
    std::fputs(VerbHelp(*out->sub, &verb).c_str(), stdout);
    return kExitOk;
  }
  // Each flag must be the verb's or this sub-verb's (not another sub-verb's).
  for (const auto& [name, value] : out->args.values) {
    bool mine = false;
    for (const auto& f : verb.flags) mine |= name == f.name;
    for (const auto& f : out->sub->flags) mine |= name == f.name;
    if (!mine)
      return UsageError(
          verb, "option --" + name + " is not for `" + verb.name + " " + out->sub->name + "`");
  }
  out->operands.assign(pos.begin() + 1, pos.end());
  if (!CountOk(*out->sub, out->operands.size()))
    return UsageError(verb, out->operands.size() < static_cast<size_t>(out->sub->min_positionals)
                                ? std::string("missing argument to ") + out->sub->name
                                : "unexpected argument '" + out->operands.back() + "'");
  return std::nullopt;
}

}  // namespace mailtrail::cli
