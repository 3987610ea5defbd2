// The `mailtrail` verbs. Each takes its arguments (after the verb) and returns
// the process exit code, by the one exit policy below.
#ifndef MAILTRAIL_AGENT_CLI_VERBS_H_
#define MAILTRAIL_AGENT_CLI_VERBS_H_

#include <string>
#include <string_view>
#include <vector>

#include "agent/cli/verb_spec.h"
#include "base/clock.h"
#include "base/status.h"

namespace mailtrail::cli {

// The exit policy, for every verb (docs/style.md rule 3; sysexits.h's numbers):
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // at run time: a file, the store, the network
constexpr int kExitUsage = 2;    // a bad option, argument or value on the command line
// Data that restarting will not mend (a damaged checkpoint or database): the
// systemd unit does not restart on it (RestartPreventExitStatus).
constexpr int kExitDataErr = 65;  // EX_DATAERR
constexpr int kExitConfig = 78;   // EX_CONFIG: a bad configuration file
constexpr const char* kDefaultStore = "sqlite:mailtrail.db";

// Each verb's spec (agent/cli/verb_spec.h), defined beside its Main.
extern const VerbSpec kReplayVerb, kSearchVerb, kShowVerb, kStatsVerb, kReportVerb, kRunVerb,
    kEnforceVerb, kCheckConfigVerb, kDbVerb, kDetectVerb, kBlocksVerb, kQueueVerb, kWebVerb,
    kVersionVerb;

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
// `mailtrail help [VERB]`, and (hidden) `help --man 8|5`: the man pages.
int HelpMain(const std::vector<std::string>& args, const Clock& clock);
int WebMain(const std::vector<std::string>& args, const Clock& clock);  // agent/web

using VerbMain = int (*)(const std::vector<std::string>& args, const Clock& clock);
// A row of the one verb table (agent/cli/verb_table.cc).
struct Verb {
  const VerbSpec* spec;
  VerbMain run;
};
// Every verb, in the order `mailtrail --help` lists them.
const std::vector<Verb>& AllVerbs();
// The verb called `name`, or nullptr.
const Verb* FindVerb(std::string_view name);

// `web`'s row: WebMain lives in the web library, which links this one, so the
// table names this stand-in; it runs what SetWebMain registered, and without
// one fails ("this mailtrail has no web console").
int RegisteredWebMain(const std::vector<std::string>& args, const Clock& clock);
void SetWebMain(VerbMain web_main);
// Lets `mailtrail run` serve the web console ([web] listen) and `mailtrail web`
// run it; defined with the console (agent/web/live_console_server.cc); main()
// calls it once.
void RegisterWebConsole();

// "UTC", "local", "+HH:MM", "-HH:MM" -> seconds east of UTC.
bool ParseTz(const std::string& tz, const Clock& clock, int* offset);

// Prints "mailtrail: <what>" on stderr (escaped) and returns kExitFailure.
int Fail(const std::string& what);
// The same for a Status: kExitDataErr for damaged data, else kExitFailure.
int FailWith(const Status& st);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_VERBS_H_
