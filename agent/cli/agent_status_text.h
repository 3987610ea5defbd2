// The "Agents" section of `mailtrail stats`: each live agent's status row
// (Store::ListAgentStatus), as text.
#ifndef MAILTRAIL_AGENT_CLI_AGENT_STATUS_TEXT_H_
#define MAILTRAIL_AGENT_CLI_AGENT_STATUS_TEXT_H_

#include <string>
#include <vector>

#include "agent/store/store.h"

namespace mailtrail::cli {

// `now`: wall clock, for how long ago each row was saved.
std::string AgentStatusText(const std::vector<AgentStatus>& agents, TimeUs now);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_AGENT_STATUS_TEXT_H_
