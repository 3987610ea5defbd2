// ClientWindow: the times of one kind of request per client within a sliding
// window, for limits of the form "at most N a minute per client": export
// starts (ExportLimiter), write attempts and wrong credentials (WebServer).
// A client is whatever the caller keys by (a principal, an address). Times
// come from the injected clock. Thread-safe.
#ifndef MAILTRAIL_AGENT_WEB_CLIENT_WINDOW_H_
#define MAILTRAIL_AGENT_WEB_CLIENT_WINDOW_H_

#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "base/clock.h"

namespace mailtrail::web {

class ClientWindow {
 public:
  // At most `max` times are kept per client, and at most `max_clients`
  // clients: a new one past that forgets those whose times all left the
  // window, else the one quiet the longest (a bound on memory; a client
  // cycling through more names than that within the window still starts
  // afresh with each).
  ClientWindow(int max, TimeUs window, size_t max_clients = 4096)
      : max_(max), window_(window), max_clients_(max_clients) {}
  // Seconds until `client` may have another request: 0 now, else at least 1
  // (for Retry-After), when it had `max` within the window before `now`.
  int WaitSeconds(const std::string& client, TimeUs now);
  // Keeps `now` as one of `client`'s requests (past `max`, the oldest goes).
  void Add(const std::string& client, TimeUs now);
  // Add() unless WaitSeconds() is over 0; false then.
  bool TryAdd(const std::string& client, TimeUs now);

 private:
  int WaitLocked(const std::string& client, TimeUs now);
  void AddLocked(const std::string& client, TimeUs now);
  const int max_;
  const TimeUs window_;
  const size_t max_clients_;
  std::mutex mu_;
  std::map<std::string, std::deque<TimeUs>> times_;  // per client, oldest first
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_CLIENT_WINDOW_H_
