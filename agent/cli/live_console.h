// The web console inside `mailtrail run` ([web] listen): started by the web
// library's starter, which main() registers (the web library links the CLI's,
// not the reverse). The console reads the agent's store through a read-only
// connection of its own (the agent's writer is not shared between threads).
#ifndef MAILTRAIL_AGENT_CLI_LIVE_CONSOLE_H_
#define MAILTRAIL_AGENT_CLI_LIVE_CONSOLE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "base/clock.h"
#include "base/status.h"

namespace mailtrail::cli {

// A running console; destroying it stops it.
class LiveConsole {
 public:
  virtual ~LiveConsole() = default;
  virtual std::string url() const = 0;  // "http://127.0.0.1:8025/"
  // What its settings hold that works but is unwise (web::WebSetup::warnings).
  virtual std::vector<std::string> warnings() const { return {}; }
};

using LiveConsoleStarter =
    std::function<StatusOr<std::unique_ptr<LiveConsole>>(const Config&, const Clock&)>;
void SetLiveConsoleStarter(LiveConsoleStarter starter);
// Starts the console of `config.web` (listen not empty); Unimplemented when
// no starter was registered.
StatusOr<std::unique_ptr<LiveConsole>> StartLiveConsole(const Config& config, const Clock& clock);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_LIVE_CONSOLE_H_
