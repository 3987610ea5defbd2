// The `mailtrail` verbs. Each takes its arguments (after the verb) and returns
// the process exit code: 0 ok, 1 failure (one clear line on stderr), 2 usage.
#ifndef MAILTRAIL_AGENT_CLI_VERBS_H_
#define MAILTRAIL_AGENT_CLI_VERBS_H_

#include <string>
#include <vector>

#include "base/clock.h"

namespace mailtrail::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// Data that restarting will not mend (a damaged checkpoint or database): the
// systemd unit does not restart on it (RestartPreventExitStatus).
constexpr int kExitDataErr = 65;  // EX_DATAERR
constexpr const char* kDefaultStore = "sqlite:mailtrail.db";

int ReplayMain(const std::vector<std::string>& args, const Clock& clock);
int SearchMain(const std::vector<std::string>& args, const Clock& clock);
int ShowMain(const std::vector<std::string>& args, const Clock& clock);
int StatsMain(const std::vector<std::string>& args, const Clock& clock);
int ReportMain(const std::vector<std::string>& args, const Clock& clock);
int VersionMain(const std::vector<std::string>& args, const Clock& clock);
int RunMain(const std::vector<std::string>& args, const Clock& clock);
int DetectMain(const std::vector<std::string>& args, const Clock& clock);
int BlocksMain(const std::vector<std::string>& args, const Clock& clock);
int QueueMain(const std::vector<std::string>& args, const Clock& clock);
int DbMain(const std::vector<std::string>& args, const Clock& clock);
int EnforceMain(const std::vector<std::string>& args, const Clock& clock);
int CheckConfigMain(const std::vector<std::string>& args, const Clock& clock);
int WebMain(const std::vector<std::string>& args, const Clock& clock);  // agent/web

// "UTC", "local", "+HH:MM", "-HH:MM" -> seconds east of UTC.
bool ParseTz(const std::string& tz, const Clock& clock, int* offset);

// Prints "mailtrail: <what>" on stderr (escaped) and returns kExitFailure.
int Fail(const std::string& what);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_VERBS_H_
