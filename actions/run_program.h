// Runs a program with fixed arguments (posix_spawn: no shell, SECURITY.md
// rule 2) and returns its output (stdout and stderr), or an error naming it.
#ifndef MAILTRAIL_ACTIONS_RUN_PROGRAM_H_
#define MAILTRAIL_ACTIONS_RUN_PROGRAM_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace mailtrail {

StatusOr<std::string> RunProgram(const std::vector<std::string>& argv);

}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_RUN_PROGRAM_H_
