// Log lines that tests make by the hundred.
#ifndef MAILTRAIL_TESTS_SUPPORT_LOG_LINES_H_
#define MAILTRAIL_TESTS_SUPPORT_LOG_LINES_H_

#include <cstdio>
#include <string>
#include <vector>

namespace mailtrail {

// `n` messages reaching the queue manager (open, none delivered yet), stamped
// `stamp` ("Mar  3 06:00:00"), queue ids 4B0000A, 4B0001A, ...
inline std::vector<std::string> QueuedMessageLines(int n, const std::string& stamp) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "%s mx postfix/qmgr[1777]: 4B%04dA: from=<sender%d@example.org>, size=1200,"
                  " nrcpt=1 (queue active)",
                  stamp.c_str(), i, i);
    out.push_back(line);
  }
  return out;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_LOG_LINES_H_
