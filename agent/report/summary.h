// Summary: what `mailtrail report` says of a time window, made from the stored
// records (pflogsumm's grand totals and top lists, but per message and per
// recipient with the outcome mailtrail worked out, and from the store instead
// of a second pass over the logs). Pure: records in, counts out.
#ifndef MAILTRAIL_AGENT_REPORT_SUMMARY_H_
#define MAILTRAIL_AGENT_REPORT_SUMMARY_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "agent/track/record.h"

namespace mailtrail {

class Summary {
 public:
  void Add(const MessageRecord& r);

  // (count, key) pairs, largest first, at most `n`; ties by key.
  using Top = std::vector<std::pair<int64_t, std::string>>;

  int64_t records() const { return records_; }
  TimeUs first_seen() const { return first_seen_; }
  TimeUs last_seen() const { return last_seen_; }
  const std::array<int64_t, kOutcomeCount>& messages() const { return messages_; }
  const std::array<int64_t, kOutcomeCount>& recipients() const { return recipients_; }
  int64_t bytes_received() const { return bytes_received_; }
  size_t senders() const { return by_sender_.size(); }
  size_t sending_hosts() const { return by_sending_host_.size(); }
  size_t recipient_addresses() const { return recipient_addresses_.size(); }
  size_t recipient_domains() const { return domain_outcomes_.size(); }

  Top TopSenders(size_t n) const { return Largest(by_sender_, n); }
  Top TopSendingHosts(size_t n) const { return Largest(by_sending_host_, n); }
  Top TopRecipientDomains(size_t n) const;
  // A domain's recipients by outcome.
  const std::array<int64_t, kOutcomeCount>& DomainOutcomes(const std::string& domain) const {
    return domain_outcomes_.at(domain);
  }
  // "action stage code dsn" of rejected messages; clients rejected.
  Top TopRejectReasons(size_t n) const { return Largest(by_reject_, n); }
  Top TopRejectedClients(size_t n) const { return Largest(by_rejected_client_, n); }
  // "outcome relay dsn" of recipients bounced, deferred or expired.
  Top TopDeliveryProblems(size_t n) const { return Largest(by_problem_, n); }
  // "relay reason" of recipients deferred or expired (DeferralReason), like
  // pflogsumm's deferral detail but per recipient and by its last reason.
  Top TopDeferralReasons(size_t n) const { return Largest(by_deferral_, n); }
  // Non-delivery notices (null sender) and bounced messages, by subject.
  Top TopBounceSubjects(size_t n) const { return Largest(by_bounce_subject_, n); }
  // Messages first seen in each UTC hour, by the hour's start, in order; and
  // the same by the message's outcome.
  const std::map<TimeUs, int64_t>& hours() const { return by_hour_; }
  const std::map<TimeUs, std::array<int64_t, kOutcomeCount>>& hour_outcomes() const {
    return by_hour_outcome_;
  }

 private:
  friend class SummaryPart;  // seals the maps (agent/report/summary_part.h)
  // Hash maps: a month of a large server has hundreds of thousands of senders.
  using Counts = std::unordered_map<std::string, int64_t>;
  static Top Largest(Top all, size_t n);
  static Top Largest(const Counts& counts, size_t n);

  int64_t records_ = 0;
  TimeUs first_seen_ = 0, last_seen_ = 0;
  std::array<int64_t, kOutcomeCount> messages_{}, recipients_{};
  int64_t bytes_received_ = 0;
  std::unordered_set<std::string> recipient_addresses_;
  Counts by_sender_, by_sending_host_, by_reject_, by_rejected_client_, by_problem_, by_deferral_,
      by_bounce_subject_;
  std::map<TimeUs, int64_t> by_hour_;
  std::map<TimeUs, std::array<int64_t, kOutcomeCount>> by_hour_outcome_;
  std::unordered_map<std::string, std::array<int64_t, kOutcomeCount>> domain_outcomes_;
};

// A recipient's status text as the reason of a deferral report, so that the
// recipients of one cause are counted together: without the "delivery
// temporarily suspended: " and "host NAME[IP] said: " prefixes (the relay is
// the report's other column), each <address> as <>, at most 160 bytes (whole
// UTF-8 characters). "(no reason)" when nothing is left.
std::string DeferralReason(std::string_view status_text);
// A key of TopDeferralReasons as its relay and its reason.
std::pair<std::string_view, std::string_view> SplitDeferralKey(std::string_view key);

// The report as text for a terminal (untrusted text escaped) or as one JSON
// object; `top` rows per list. ReportText/ReportJson of ReportOf(s, top)
// (agent/report/summary_part.h).
std::string SummaryText(const Summary& s, size_t top);
std::string SummaryJson(const Summary& s, size_t top);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_REPORT_SUMMARY_H_
