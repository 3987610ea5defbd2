// Whether the policy service can hold a connection for every smtpd Postfix
// may run. Each smtpd process keeps its own connection open; all of them are
// one peer on the UNIX socket (uid postfix), so beyond `[policy]
// max_connections_per_peer` (or `max_connections`) they close each other's,
// and smtpd then sleeps a second before it asks again (helper-136 F5).
// Postfix's limits come from master.cf through `postconf -F` (run without a
// shell, as for mynetworks: agent/blocks/allowlist.h). docs/postfix.md, "The
// policy service".
#ifndef MAILTRAIL_AGENT_RUN_SMTPD_CAPACITY_H_
#define MAILTRAIL_AGENT_RUN_SMTPD_CAPACITY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace mailtrail {

// Services listening on loopback (127.0.0.1:10025: a content filter's return
// smtpd, its restrictions emptied) ask no policy and are not counted.
struct SmtpdProcessLimit {
  int64_t total = 0;      // the sum of the smtpd services' process limits
  std::string services;   // "smtp 100, submission 50" (from Postfix's files)
  std::string unlimited;  // services with limit 0: not in the total, warned of
};

// From `postconf -F` output ("smtp/inet/process_limit = -", "smtp/inet/command
// = smtpd ..."): the services whose command is smtpd; "-" is
// `default_limit` (default_process_limit). Lines it does not know are skipped.
SmtpdProcessLimit ParseSmtpdProcessLimit(std::string_view postconf_fields, int64_t default_limit);

// Runs `postconf -c config_dir` twice (-h default_process_limit, -F).
StatusOr<SmtpdProcessLimit> PostfixSmtpdProcessLimit(
    const std::string& config_dir, const std::string& postconf = "/usr/sbin/postconf");

// What to tell the admin when Postfix may run more smtpd processes than the
// service keeps connections for; "" when it fits.
std::string SmtpdCapacityWarning(const SmtpdProcessLimit& limit, int64_t max_connections,
                                 int64_t max_per_peer);

struct Config;
// For a configuration with the policy service: the warning above (and
// `*warning` set), or why Postfix's limits could not be read ("" when it fits
// or there is no service).
std::string PolicyCapacityNote(const Config& c, bool* warning);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_SMTPD_CAPACITY_H_
