#include "agent/cli/live_console.h"

namespace mailtrail::cli {

namespace {
LiveConsoleStarter& Starter() {
  static LiveConsoleStarter starter;
  return starter;
}
}  // namespace

void SetLiveConsoleStarter(LiveConsoleStarter starter) { Starter() = std::move(starter); }

StatusOr<std::unique_ptr<LiveConsole>> StartLiveConsole(const Config& config, const Clock& clock) {
  if (!Starter()) return Status::InvalidArgument("this mailtrail has no web console");
  return Starter()(config, clock);
}

}  // namespace mailtrail::cli
