#include "agent/track/session_counters.h"

#include <algorithm>

namespace mailtrail {

namespace {
// How many of the commands `name` ("data=", "mail=") succeeded ("data=1",
// "data=1/2": one of two), and whether all did; -1 when the counters name
// none, -2 when they name it unreadably.
int64_t Succeeded(std::string_view counters, std::string_view name, bool* all) {
  size_t at = counters.find(name);
  while (at != std::string_view::npos && at > 0 && counters[at - 1] != ' ')
    at = counters.find(name, at + 1);
  if (at == std::string_view::npos) return -1;
  int64_t n = 0;
  size_t e = at + name.size();
  for (; e < counters.size() && counters[e] >= '0' && counters[e] <= '9' && n < 1000000; ++e)
    n = n * 10 + (counters[e] - '0');
  if (e == at + name.size() || (e < counters.size() && counters[e] != ' ' && counters[e] != '/'))
    return -2;
  *all = e == counters.size() || counters[e] == ' ';
  return n;
}
}  // namespace

SessionCounters ReadCounters(std::string_view counters) {
  SessionCounters c;
  bool all = false;
  c.mail = std::max<int64_t>(-1, Succeeded(counters, "mail=", &all));
  if (counters.find("bdat=") != std::string_view::npos) return c;
  all = false;
  c.data = Succeeded(counters, "data=", &all);
  c.all_data = c.data >= 0 && all;
  if (c.data == -1 && c.mail >= 0) c.data = 0;
  c.data = std::max<int64_t>(-1, c.data);
  return c;
}

}  // namespace mailtrail
