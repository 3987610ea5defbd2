#include "agent/cli/args.h"

#include "base/text.h"

namespace mailtrail::cli {

FlagSpec IntFlag(const char* name, const char* help, int64_t lo, int64_t hi,
                 const char* value_name) {
  FlagSpec f{name, true, help, value_name};
  f.kind = ValueKind::kInteger;
  f.lo = lo;
  f.hi = hi;
  return f;
}

FlagSpec DurationFlag(const char* name, const char* help, TimeUs lo, TimeUs hi,
                      DurationUnit bare_unit, const char* value_name) {
  FlagSpec f{name, true, help, value_name};
  f.kind = ValueKind::kDuration;
  f.lo = lo;
  f.hi = hi;
  f.bare_unit = bare_unit;
  return f;
}

FlagSpec ChoiceFlag(const char* name, const char* help, std::vector<std::string> allowed) {
  FlagSpec f{name, true, help};
  f.allowed = std::move(allowed);
  return f;
}

std::string ValueName(const FlagSpec& spec) {
  if (spec.allowed.empty()) return spec.value_name;
  std::string out;
  for (const auto& v : spec.allowed) out += (out.empty() ? "" : "|") + v;
  return out;
}

namespace {

// A bound of a duration flag as it may be written: "3650d", "1s", "250ms".
std::string DurationName(TimeUs us) {
  const struct {
    TimeUs unit;
    const char* name;
  } kUnits[] = {{86400 * kUsPerSecond, "d"},
                {3600 * kUsPerSecond, "h"},
                {60 * kUsPerSecond, "m"},
                {kUsPerSecond, "s"},
                {kUsPerSecond / 1000, "ms"}};
  for (const auto& u : kUnits)
    if (us >= u.unit && us % u.unit == 0) return std::to_string(us / u.unit) + u.name;
  return std::to_string(us) + "us";
}

// Checks a value against its flag's kind; the parsed number into `number`.
Status CheckValue(const FlagSpec& spec, const std::string& value, int64_t* number) {
  const std::string flag = std::string("--") + spec.name;
  if (!spec.allowed.empty()) {
    for (const auto& a : spec.allowed)
      if (value == a) return Status::Ok();
    return Status::InvalidArgument(flag + " must be one of " + ValueName(spec) + ", not '" +
                                   EscapeForLog(value, 60) + "'");
  }
  if (spec.kind == ValueKind::kInteger && !ParseInteger(value, spec.lo, spec.hi, number))
    return Status::InvalidArgument(flag + " must be an integer from " + std::to_string(spec.lo) +
                                   " to " + std::to_string(spec.hi) + ", not '" +
                                   EscapeForLog(value, 60) + "'");
  if (spec.kind == ValueKind::kDuration &&
      !ParseDuration(value, spec.bare_unit, spec.lo, spec.hi, number))
    return Status::InvalidArgument(flag + " must be a duration like 90s, 30m, 1h or 2d, from " +
                                   DurationName(spec.lo) + " to " + DurationName(spec.hi) +
                                   ", not '" + EscapeForLog(value, 60) + "'");
  return Status::Ok();
}

}  // namespace

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
    if (spec->takes_value) {
      int64_t number = 0;
      if (Status st = CheckValue(*spec, value, &number); !st.ok()) return st;
      if (spec->kind != ValueKind::kText) out.numbers[name] = number;
    }
    out.values[name] = value;
    out.repeated[name].push_back(value);
  }
  return out;
}

bool Args::Int(const std::string& name, int64_t lo, int64_t hi, int64_t* out) const {
  auto v = Get(name);
  return !v || ParseInteger(*v, lo, hi, out);
}

std::string FlagsHelp(const std::vector<FlagSpec>& specs) {
  std::string out;
  for (const auto& s : specs) {
    std::string left = std::string("  --") + s.name + (s.takes_value ? " " + ValueName(s) : "");
    if (left.size() < 26)
      left.resize(26, ' ');
    else
      left += "\n" + std::string(26, ' ');
    out += left + " " + s.help + "\n";
  }
  return out;
}

}  // namespace mailtrail::cli
