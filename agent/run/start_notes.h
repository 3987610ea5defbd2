// What `check-config` and `run` say of a configuration before the agent
// starts, computed once so that the two verbs say the same (they drifted
// apart, each with its own three checks): a firewall in a network namespace
// of its own (fatal), the access map as the only backend for clients, the
// policy service's capacity against Postfix's limits.
#ifndef MAILTRAIL_AGENT_RUN_START_NOTES_H_
#define MAILTRAIL_AGENT_RUN_START_NOTES_H_

#include <string>
#include <vector>

#include "agent/config/config.h"
#include "base/cidr.h"

namespace mailtrail {

enum class NoteLevel { kInfo, kWarning, kFatal };

struct StartNote {
  NoteLevel level = NoteLevel::kInfo;
  std::string text;  // escaped for the log already
};

// `own`: this machine's addresses (OwnAddresses()). A fatal note comes first.
std::vector<StartNote> StartNotes(const Config& c, const std::vector<Cidr>& own);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_START_NOTES_H_
