#include "agent/run/smtpd_capacity.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>

#include "agent/blocks/allowlist.h"
#include "agent/config/config.h"
#include "base/parse_number.h"
#include "base/run_program.h"

namespace mailtrail {

namespace {
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// A process limit: digits, as postconf prints them.
bool ParseCount(std::string_view s, int64_t* out) {
  return !s.empty() && s[0] != '-' && ParseInteger(s, 0, int64_t{1} << 40, out);
}
}  // namespace

SmtpdProcessLimit ParseSmtpdProcessLimit(std::string_view text, int64_t default_limit) {
  // By service ("smtp/inet"): its command's program and its limit.
  struct Service {
    bool smtpd = false;
    std::string limit;
  };
  std::map<std::string, Service> services;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const size_t eq = line.find(" = ");
    if (eq == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, eq), value = Trim(line.substr(eq + 3));
    const size_t slash = key.rfind('/');
    if (slash == std::string_view::npos) continue;
    const std::string service(key.substr(0, slash));
    const std::string_view field = key.substr(slash + 1);
    if (field == "command") {
      const std::string_view program = value.substr(0, value.find_first_of(" \t"));
      services[service].smtpd = program == "smtpd";
    } else if (field == "process_limit") {
      services[service].limit = std::string(value);
    }
  }
  SmtpdProcessLimit out;
  for (const auto& [name, s] : services) {
    if (!s.smtpd) continue;
    int64_t n = default_limit;
    if (s.limit != "-" && !ParseCount(s.limit, &n)) continue;
    const std::string shown = name.substr(0, name.rfind('/'));
    // A listener on loopback is a content filter's return smtpd, which asks
    // no policy (its restrictions emptied), whatever its limit.
    if (shown.rfind("127.", 0) == 0 || shown.rfind("[::1]:", 0) == 0 ||
        shown.rfind("localhost:", 0) == 0)
      continue;
    if (n == 0) {
      out.unlimited += (out.unlimited.empty() ? "" : ", ") + shown;
      continue;
    }
    out.total += n;
    out.services += (out.services.empty() ? "" : ", ") + shown + " " + std::to_string(n);
  }
  return out;
}

StatusOr<SmtpdProcessLimit> PostfixSmtpdProcessLimit(const std::string& config_dir,
                                                     const std::string& postconf) {
  // Without a master.cf postconf -F prints nothing; without a main.cf it only
  // fails, after Postfix's one-second pause.
  struct stat st;
  for (const char* file : {"/main.cf", "/master.cf"}) {
    if (stat((config_dir + file).c_str(), &st) != 0)
      return Status::NotFound(config_dir + file + ": " + std::strerror(errno));
  }
  auto limit =
      RunProgram({postconf, "-c", config_dir, "-h", "default_process_limit"}, kPostconfTimeoutMs);
  if (!limit.ok()) return limit.status();
  int64_t default_limit = 0;
  if (!ParseCount(Trim(std::string_view(*limit).substr(0, limit->find('\n'))), &default_limit))
    return Status::InvalidArgument("default_process_limit is not a count: " + *limit);
  auto fields = RunProgram({postconf, "-c", config_dir, "-F"}, kPostconfTimeoutMs);
  if (!fields.ok()) return fields.status();
  return ParseSmtpdProcessLimit(*fields, default_limit);
}

std::string SmtpdCapacityWarning(const SmtpdProcessLimit& limit, int64_t max_connections,
                                 int64_t max_per_peer) {
  const int64_t room = std::min(max_connections, max_per_peer);
  const std::string keeps =
      "each smtpd keeps its own connection to the policy service, which keeps " +
      std::to_string(room) + " ([policy] max_connections_per_peer " + std::to_string(max_per_peer) +
      ", max_connections " + std::to_string(max_connections) +
      "); beyond that they close each other's, and smtpd sleeps a second before it asks again "
      "on a closed one";
  // The numbers and the advice before the lists, which a log line may cut.
  if (limit.total > room)
    return "Postfix may run " + std::to_string(limit.total) + " smtpd processes at once: raise " +
           "both limits above " + std::to_string(limit.total) +
           " (and the unit's LimitNOFILE with them); " + keeps + " (" + limit.services + ")";
  if (!limit.unlimited.empty())
    return "Postfix's smtpd has no process limit (0) in " + limit.unlimited +
           ": keep both limits above the number it may run; " + keeps;
  return "";
}

std::string PolicyCapacityNote(const Config& c, bool* warning) {
  *warning = false;
  if (c.policy.socket.empty() && c.policy.listen.empty()) return "";
  auto limit = PostfixSmtpdProcessLimit(c.blocks.postfix_config_dir);
  if (!limit.ok())
    return "smtpd's process limits not read (" + limit.status().message() +
           "): keep [policy] max_connections_per_peer above them (docs/postfix.md)";
  std::string w =
      SmtpdCapacityWarning(*limit, c.policy.max_connections, c.policy.max_connections_per_peer);
  *warning = !w.empty();
  return w;
}

}  // namespace mailtrail
