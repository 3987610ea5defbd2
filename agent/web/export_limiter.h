// ExportLimiter: how many exports run at once, and how often one client may
// start one (issue 21 item 8, "request limits include export rate"). An
// export streams a whole search with no row cap: it holds a worker and reads
// the store for as long as the search is long, so a few clients looping on
// /api/v1/export could starve the pages. Times come from the injected clock.
#ifndef MAILTRAIL_AGENT_WEB_EXPORT_LIMITER_H_
#define MAILTRAIL_AGENT_WEB_EXPORT_LIMITER_H_

#include <mutex>
#include <string>

#include "agent/web/client_window.h"
#include "base/clock.h"

namespace mailtrail::web {

struct ExportLimits {
  int concurrent = 2;   // exports streaming at once, all clients together
  int per_client = 20;  // starts per client in any `window` (--exports-per-minute)
  TimeUs window = 60 * kUsPerSecond;
};

class ExportLimiter {
 public:
  explicit ExportLimiter(ExportLimits limits)
      : limits_(limits), starts_(limits.per_client, limits.window) {}
  enum class Verdict { kStart, kBusy, kTooOften };
  // kStart: `client` (the principal, or the remote address without
  // authentication) may start one now (monotonic time); the caller calls
  // Finish() when it ends. kBusy: `concurrent` are running. kTooOften: this
  // client started `per_client` within the window. Neither counts a start.
  Verdict TryStart(const std::string& client, TimeUs now);
  void Finish();
  // Seconds until `client` may start again (for Retry-After); at least 1.
  int RetryAfterSeconds(const std::string& client, TimeUs now);

 private:
  const ExportLimits limits_;
  std::mutex mu_;  // running_, and a start counted with its place
  int running_ = 0;
  ClientWindow starts_;
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_EXPORT_LIMITER_H_
