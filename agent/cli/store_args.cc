#include "agent/cli/store_args.h"

#include <cstdio>

#include "agent/cli/verbs.h"
#include "base/civil_time.h"

namespace mailtrail::cli {

StatusOr<std::unique_ptr<Store>> OpenStoreFromArgs(const Args& args, StoreOptions options) {
  options.password_file = args.Get("password-file").value_or("");
  if (auto agent = args.Get("agent")) options.agent_name = *agent;
  return OpenStore(args.Get("store").value_or(kDefaultStore), options);
}

bool TimeRangeFromArgs(const Args& args, const char* verb, SearchQuery* q) {
  for (const char* name : {"since", "until"}) {
    auto t = args.Get(name);
    if (!t) continue;
    TimeUs v;
    if (!ParseRfc3339(*t, &v)) {
      std::fprintf(stderr, "mailtrail %s: --%s wants 2026-11-27 or 2026-11-27T11:00:00Z\n", verb,
                   name);
      return false;
    }
    (std::string(name) == "since" ? q->since : q->until) = v;
  }
  return true;
}

}  // namespace mailtrail::cli
