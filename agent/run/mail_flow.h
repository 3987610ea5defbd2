// Mail-flow counters for the metrics endpoint, counted from the records the
// agent writes: what postfix_exporter counts from single lines, but per
// message and per recipient with their outcome. Label values come only from
// fixed sets (outcome names, SMTP stages, reply codes), never from log text, so
// a hostile client cannot grow the number of series.
#ifndef MAILTRAIL_AGENT_RUN_MAIL_FLOW_H_
#define MAILTRAIL_AGENT_RUN_MAIL_FLOW_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "agent/track/record.h"

namespace mailtrail {

class MailFlow {
 public:
  // Upper bounds (seconds) of the delivery delay histogram's buckets; +Inf after.
  static constexpr std::array<double, 10> kDelayBuckets = {1,   5,    30,    60,    300,
                                                           900, 3600, 14400, 86400, 432000};

  // A record as first written; a later update of it is not counted again.
  void Count(const MessageRecord& r);

  int64_t messages(Outcome o) const { return messages_[static_cast<int>(o)]; }
  int64_t recipients(Outcome o) const { return recipients_[static_cast<int>(o)]; }
  // Delivered recipients with a known delay: per bucket (not cumulative; the
  // last is above every bound), their sum and count.
  const std::array<int64_t, kDelayBuckets.size() + 1>& delay_buckets() const { return delays_; }
  double delay_sum() const { return delay_sum_; }
  // Rejected messages by (SMTP stage, reply code), both from fixed sets.
  const std::map<std::pair<std::string, std::string>, int64_t>& rejects() const { return rejects_; }

 private:
  std::array<int64_t, kOutcomeCount> messages_{}, recipients_{};
  std::array<int64_t, kDelayBuckets.size() + 1> delays_{};
  double delay_sum_ = 0;
  std::map<std::pair<std::string, std::string>, int64_t> rejects_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_MAIL_FLOW_H_
