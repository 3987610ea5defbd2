// A Summary sealed for merging, and the report made by merging sealed parts.
//
// The web console's 24 h report must not read a day of records on every
// request (docs/web.md, "Reports"): it keeps one sealed part per UTC hour and
// merges the hours a window covers. A part keeps each of the Summary's keyed
// lists as an array sorted by a 64-bit hash of the key, so merging k parts is
// a k-way merge of sorted arrays — no map of every key of the day is built,
// and only the `top` best keys of each list are kept. The hash only orders:
// keys are merged when their texts are equal, so keys made to collide (a
// sender can choose its address) stay apart and every count is exact.
//
// `mailtrail report` goes the same way with one part, so the CLI, the API and
// the page cannot disagree. Pure: no store, no clock.
#ifndef MAILTRAIL_AGENT_REPORT_SUMMARY_PART_H_
#define MAILTRAIL_AGENT_REPORT_SUMMARY_PART_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/report/summary.h"

namespace mailtrail {

// What a report says: a window's totals and its top lists, cut to `top` rows.
struct Report {
  int64_t records = 0;
  // More records matched than the reader took (the web console's work bound
  // for a report not made by the hour): these are the first `records`.
  bool partial = false;
  TimeUs first_seen = 0, last_seen = 0;
  std::array<int64_t, kOutcomeCount> messages{}, recipients{};
  int64_t bytes_received = 0;
  int64_t senders = 0, sending_hosts = 0, recipient_addresses = 0, recipient_domains = 0;
  Summary::Top top_senders, top_sending_hosts;
  struct Domain {
    int64_t recipients = 0;
    std::string domain;
    std::array<int64_t, kOutcomeCount> outcomes{};  // recipients by outcome
  };
  std::vector<Domain> top_recipient_domains;
  Summary::Top top_reject_reasons, top_rejected_clients, top_delivery_problems;
  Summary::Top top_deferral_reasons;  // "relay reason" (Summary::TopDeferralReasons)
  Summary::Top top_bounce_subjects;
  std::map<TimeUs, int64_t> hours;  // messages first seen in each UTC hour
  std::map<TimeUs, std::array<int64_t, kOutcomeCount>> hour_outcomes;  // ... by outcome
};

class SummaryPart {
 public:
  using KeyHashFn = uint64_t (*)(std::string_view);
  static uint64_t DefaultKeyHash(std::string_view key);
  // `hash` orders the keys; tests give a bad one (every key colliding).
  static std::shared_ptr<const SummaryPart> Seal(const Summary& s, KeyHashFn hash = DefaultKeyHash);

  // Roughly what the part holds in memory, for a cache's bound.
  size_t bytes() const;
  int64_t records() const { return records_; }

  // One of the keyed lists, ordered by (hash, text): `width` counts per key
  // (a domain's are by outcome; the recipient addresses' none: only distinct
  // ones are counted).
  struct Keys {
    int width = 1;
    std::vector<uint64_t> hashes;  // ascending
    std::vector<int64_t> counts;   // width per key
    std::vector<uint64_t> ends;    // each key's end in `texts`
    std::string texts;
    std::string_view Text(size_t i) const {
      const uint64_t begin = i == 0 ? 0 : ends[i - 1];
      return std::string_view(texts).substr(begin, ends[i] - begin);
    }
  };
  enum List {
    kSenders,
    kSendingHosts,
    kDomains,
    kRejectReasons,
    kRejectedClients,
    kProblems,
    kDeferrals,
    kBounceSubjects,
    kAddresses,
    kLists
  };

 private:
  friend Report MergeParts(const std::vector<std::shared_ptr<const SummaryPart>>& parts,
                           size_t top);
  int64_t records_ = 0;
  TimeUs first_seen_ = 0, last_seen_ = 0;
  std::array<int64_t, kOutcomeCount> messages_{}, recipients_{};
  int64_t bytes_received_ = 0;
  std::map<TimeUs, int64_t> hours_;
  std::map<TimeUs, std::array<int64_t, kOutcomeCount>> hour_outcomes_;
  std::array<Keys, kLists> lists_;
};

// The report of the records of all `parts` (of disjoint sets of records:
// different hours), each list cut to `top` keys, largest first, ties by key.
Report MergeParts(const std::vector<std::shared_ptr<const SummaryPart>>& parts, size_t top);
// The report of one Summary: MergeParts of it sealed.
Report ReportOf(const Summary& s, size_t top);

// The report as text for a terminal (untrusted text escaped) or as one JSON
// object.
std::string ReportText(const Report& r);
std::string ReportJson(const Report& r);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_REPORT_SUMMARY_PART_H_
