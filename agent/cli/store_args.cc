#include "agent/cli/store_args.h"

#include <cstdio>

#include "agent/cli/verbs.h"
#include "agent/store/locked_wait.h"
#include "base/civil_time.h"
#include "base/real_clock.h"
#include "base/text.h"

namespace mailtrail::cli {

StatusOr<std::unique_ptr<Store>> OpenStoreFromArgs(const Args& args, StoreOptions options) {
  options.password_file = args.Get("password-file").value_or("");
  if (auto agent = args.Get("agent")) options.agent_name = *agent;
  const std::string url = args.Get("store").value_or(kDefaultStore);
  auto store = OpenStore(url, options);
  // A SQLite file another process holds locked (a `db purge`, the agent's
  // batch behind one) is waited for, as the store's writes wait for it
  // (LockedWait: 10 minutes), said once a minute; a MySQL server that does not answer is an
  // error at once (it may not come back soon).
  if (options.read_only || url.rfind("mysql://", 0) == 0) return store;  // sqlite: or a path
  const RealClock clock;
  const LockedWait wait(clock);
  TimeUs said = -1;
  while (!store.ok() && store.status().code() == Status::Code::kUnavailable && wait.TryAgain()) {
    if (said < 0 || wait.waited() - said >= 60 * kUsPerSecond) {
      std::fprintf(stderr, "mailtrail: %s; waiting for it (at most %lld s)\n",
                   EscapeForLog(store.status().message(), 300).c_str(),
                   static_cast<long long>(wait.left() / kUsPerSecond));
      said = wait.waited();
    }
    clock.SleepFor(kUsPerSecond);
    store = OpenStore(url, options);
  }
  return store;
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
