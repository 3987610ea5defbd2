#include "agent/cli/args.h"

#include <cstdlib>

#include "base/text.h"

namespace mailtrail::cli {

StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const std::vector<FlagSpec>& specs) {
  Args out;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      for (++i; i < argv.size(); ++i) out.positionals.push_back(argv[i]);
      break;
    }
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
      out.positionals.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      inline_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const auto& s : specs)
      if (name == s.name) spec = &s;
    if (spec == nullptr)
      return Status::InvalidArgument("unknown option --" + EscapeForLog(name, 60));
    if (spec->takes_value && !inline_value) {
      if (i + 1 >= argv.size())
        return Status::InvalidArgument("option --" + name + " needs a value");
      value = argv[++i];
    } else if (!spec->takes_value && inline_value) {
      return Status::InvalidArgument("option --" + name + " takes no value");
    }
    out.values[name] = value;
    out.repeated[name].push_back(value);
  }
  return out;
}

bool Args::Int(const std::string& name, int64_t lo, int64_t hi, int64_t* out) const {
  auto v = Get(name);
  if (!v) return true;
  char* end = nullptr;
  const long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || n < lo || n > hi) return false;
  *out = n;
  return true;
}

std::string FlagsHelp(const std::vector<FlagSpec>& specs) {
  std::string out;
  for (const auto& s : specs) {
    std::string left = std::string("  --") + s.name + (s.takes_value ? " VALUE" : "");
    if (left.size() < 26) left.resize(26, ' ');
    out += left + " " + s.help + "\n";
  }
  return out;
}

}  // namespace mailtrail::cli
