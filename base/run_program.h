// Runs a program with fixed arguments (posix_spawn: no shell, docs/security.md
// rule 2) and returns what it printed on stdout, or an error naming it.
// stderr is kept apart: Postfix's tools print warnings there ("postconf:
// warning: ...") that must never be read as data; a failure's message quotes
// stderr's first line (or stdout's, when stderr is empty). Each stream is
// capped at 1 MiB (the rest is read and dropped, so the child never blocks).
#ifndef MAILTRAIL_BASE_RUN_PROGRAM_H_
#define MAILTRAIL_BASE_RUN_PROGRAM_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace mailtrail {

// `timeout_ms` > 0: a program still running then is killed (SIGKILL) and the
// call fails saying so (postconf at a start: a hung one must not hold the
// agent, helper-146 F3). 0: waits as long as it runs.
StatusOr<std::string> RunProgram(const std::vector<std::string>& argv, int timeout_ms = 0);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_RUN_PROGRAM_H_
