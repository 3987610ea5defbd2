// LoginThrottle: how many wrong credentials one client may send. Each is a
// password hash of tens of milliseconds (yescrypt), and they were answered
// as fast as they came: 1,113 wrong passwords for one name in 10 s from one
// address, about 9.6 million guesses a day, each a hash of CPU (helper-129).
// Past kMaxFailures within kWindow a client (an address; an IPv6 one by its
// /64, as SlowHeadClient) is answered 429 before any hash, until its oldest
// failure leaves the window. A name is not locked: that would let anyone
// lock its user out. Times come from the injected clock.
#ifndef MAILTRAIL_AGENT_WEB_LOGIN_THROTTLE_H_
#define MAILTRAIL_AGENT_WEB_LOGIN_THROTTLE_H_

#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "base/clock.h"

namespace mailtrail::web {

class LoginThrottle {
 public:
  static constexpr int kMaxFailures = 10;
  static constexpr TimeUs kWindow = 60 * kUsPerSecond;
  static constexpr size_t kMaxClients = 4096;

  // Seconds until `client` may try again (0: now).
  int WaitSeconds(const std::string& client, TimeUs now);
  void Failed(const std::string& client, TimeUs now);

 private:
  std::mutex mu_;
  std::map<std::string, std::deque<TimeUs>> failures_;  // per client, oldest first
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_LOGIN_THROTTLE_H_
