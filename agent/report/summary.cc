#include "agent/report/summary.h"

#include <algorithm>

#include "base/text.h"

namespace mailtrail {

namespace {
bool IsProblem(Outcome o) {
  return o == Outcome::kBounced || o == Outcome::kDeferred || o == Outcome::kExpired;
}

std::string DomainOf(const std::string& address) {
  const size_t at = address.rfind('@');
  return at == std::string::npos ? "(no domain)" : address.substr(at + 1);
}
}  // namespace

void Summary::Add(const MessageRecord& r) {
  first_seen_ = records_ == 0 ? r.first_seen : std::min(first_seen_, r.first_seen);
  last_seen_ = records_ == 0 ? r.last_seen : std::max(last_seen_, r.last_seen);
  ++records_;
  ++messages_[static_cast<int>(r.outcome)];
  constexpr TimeUs kHour = 3600 * kUsPerSecond;
  const TimeUs hour = r.first_seen - ((r.first_seen % kHour) + kHour) % kHour;
  ++by_hour_[hour];
  ++by_hour_outcome_[hour][static_cast<int>(r.outcome)];
  // report_bounce_subjects_daily's messages (schema/*/0004_reports.sql).
  if (r.subject && (r.outcome == Outcome::kBounced || (r.sender && r.sender->empty())))
    ++by_bounce_subject_[*r.subject];
  const bool queued = !r.qid.empty();
  if (queued && r.size >= 0) bytes_received_ += r.size;
  if (queued && r.sender) {
    const std::string sender = r.sender->empty() ? "<>" : AsciiLower(*r.sender);
    ++by_sender_[sender];
  }
  if (queued && r.has_client) {
    const std::string host = r.client_host.empty() || r.client_host == "unknown"
                                 ? r.client_ip
                                 : AsciiLower(r.client_host);
    ++by_sending_host_[host];
  }
  for (const RecipientRecord& rc : r.recipients) {
    ++recipients_[static_cast<int>(rc.outcome)];
    const std::string address = AsciiLower(rc.address);
    ++domain_outcomes_[DomainOf(address)][static_cast<int>(rc.outcome)];
    recipient_addresses_.insert(address);
    if (IsProblem(rc.outcome))
      ++by_problem_[std::string(OutcomeName(rc.outcome)) + " " +
                    (rc.relay.empty() ? "none" : rc.relay) + " " + (rc.dsn.empty() ? "-" : rc.dsn)];
  }
  if (r.outcome == Outcome::kRejected && r.reject) {
    const RejectInfo& j = *r.reject;
    ++by_reject_[j.action + " " + (j.stage.empty() ? "-" : j.stage) + " " +
                 (j.code ? std::to_string(j.code) : "-") + " " + (j.dsn.empty() ? "-" : j.dsn)];
    ++by_rejected_client_[r.client_ip.empty() ? "-" : r.client_ip];
  }
}

Summary::Top Summary::Largest(const Counts& counts, size_t n) {
  Top all;
  all.reserve(counts.size());
  for (const auto& [key, count] : counts) all.emplace_back(count, key);
  return Largest(std::move(all), n);
}

Summary::Top Summary::TopRecipientDomains(size_t n) const {
  Top all;
  all.reserve(domain_outcomes_.size());
  for (const auto& [domain, outcomes] : domain_outcomes_) {
    int64_t total = 0;
    for (int64_t c : outcomes) total += c;
    all.emplace_back(total, domain);
  }
  return Largest(std::move(all), n);
}

Summary::Top Summary::Largest(Top all, size_t n) {
  const size_t keep = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<long>(keep), all.end(),
                    [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  all.resize(keep);
  return all;
}

}  // namespace mailtrail
