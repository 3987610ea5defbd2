#include "base/host_name.h"

#include <unistd.h>

namespace mailtrail {

std::string MachineName(const std::string& fallback) {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return fallback;
  return buf;
}

}  // namespace mailtrail
