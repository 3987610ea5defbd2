// Runs a program with fixed arguments (posix_spawn: no shell, docs/security.md
// rule 2) and returns what it printed on stdout, or an error naming it.
// stderr is kept apart: Postfix's tools print warnings there ("postconf:
// warning: ...") that must never be read as data; a failure's message quotes
// stderr's first line (or stdout's, when stderr is empty). Each stream kept is
// capped at 1 MiB (the rest is read and dropped, so the child never blocks);
// a program whose output grows with what it reports (postqueue -j with the
// queue) hands it to `on_stdout` instead, whole.
#ifndef MAILTRAIL_BASE_RUN_PROGRAM_H_
#define MAILTRAIL_BASE_RUN_PROGRAM_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace mailtrail {

struct RunOptions {
  // > 0: a program still running then is killed (SIGKILL) and the call fails
  // saying so (postconf at a start: a hung one must not hold the agent,
  // helper-146 F3). 0: waits as long as it runs.
  int timeout_ms = 0;
  // A descriptor that becomes readable when the caller stops (an eventfd):
  // the program is killed and the call fails (postqueue on the queue watcher's
  // thread must not hold the agent's stop, helper-147). -1: none.
  int cancel_fd = -1;
  // Set: stdout goes here as it comes, in pieces, and none is kept.
  std::function<void(std::string_view)> on_stdout;
};

StatusOr<std::string> RunProgram(const std::vector<std::string>& argv, const RunOptions& options);

inline StatusOr<std::string> RunProgram(const std::vector<std::string>& argv, int timeout_ms = 0) {
  RunOptions o;
  o.timeout_ms = timeout_ms;
  return RunProgram(argv, o);
}

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_RUN_PROGRAM_H_
