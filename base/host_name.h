// This machine's host name (gethostname), or `fallback` when it has none.
#ifndef MAILTRAIL_BASE_HOST_NAME_H_
#define MAILTRAIL_BASE_HOST_NAME_H_

#include <string>

namespace mailtrail {

std::string MachineName(const std::string& fallback = "localhost");

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_HOST_NAME_H_
