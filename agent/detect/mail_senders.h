// MailSenders: the client IPs that lately handed us mail that was no bounce
// and was taken (queued). Such an IP that also floods us with bounces is a
// shared server: a provider's outbound IP (Exchange Online, Google) hands in
// the backscatter of one tenant and the mail of thousands. Its blocks do not
// escalate (BlockManager): the flood is still refused for a period each time,
// but the tenants' mail no longer waits up to max_period behind a block that
// doubles daily (helper-114 F4: 1 h, 2 h, ... 64 h for one shared IP). Pure
// logic, time from the records (docs/style.md rule 6).
#ifndef MAILTRAIL_AGENT_DETECT_MAIL_SENDERS_H_
#define MAILTRAIL_AGENT_DETECT_MAIL_SENDERS_H_

#include <string>
#include <unordered_map>

#include "base/civil_time.h"

namespace mailtrail {

class MailSenders {
 public:
  // How long a message keeps its client a sender, and how many senders are
  // remembered at most (beyond, a new one is not: its blocks escalate, as
  // before).
  static constexpr TimeUs kKeep = 86400 * kUsPerSecond;
  static constexpr size_t kMax = 50000;

  // `ip` handed in a message that was no bounce, taken at `at` (log time).
  void Note(const std::string& ip, TimeUs at);
  // Whether `ip` did so within kKeep before `at`.
  bool Sent(const std::string& ip, TimeUs at) const;
  size_t size() const { return last_.size(); }

 private:
  friend struct DetectorStateCodec;  // saved with the detector's state
  std::unordered_map<std::string, TimeUs> last_;
  TimeUs next_sweep_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_MAIL_SENDERS_H_
