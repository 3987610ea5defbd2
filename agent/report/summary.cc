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
bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
}  // namespace

std::string DeferralReason(std::string_view text) {
  constexpr std::string_view kSuspended = "delivery temporarily suspended: ";
  if (StartsWith(text, kSuspended)) text.remove_prefix(kSuspended.size());
  // "host mx.example.net[192.0.2.5] said: 451 ...": the name holds no space.
  if (StartsWith(text, "host ")) {
    const size_t said = text.find("] said: ");
    if (said != std::string_view::npos && text.substr(5, said - 5).find(' ') == text.npos)
      text.remove_prefix(said + 8);
  }
  // An address is a '<' whose next '>' comes before any space or '<'. The
  // next of each is found once and only moved on (a remote's reply of a
  // thousand '<' costs a thousand steps, not a million).
  std::string out;
  out.reserve(text.size());
  size_t next_close = 0, next_space = 0, next_open = 0;
  auto next = [&text](size_t* at, size_t from, char c) {
    if (*at != text.npos && *at < from) *at = text.find(c, from);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] != '<') continue;
    next(&next_close, i + 1, '>');
    next(&next_space, i + 1, ' ');
    next(&next_open, i + 1, '<');
    if (next_close != text.npos && next_close > i + 1 && next_close < next_space &&
        next_close < next_open)
      i = next_close - 1;  // the address, up to its '>', is dropped
  }
  out = std::string(TruncateUtf8(out, 160));
  return out.empty() ? "(no reason)" : out;
}

std::pair<std::string_view, std::string_view> SplitDeferralKey(std::string_view key) {
  // The relay comes first and never holds a space (a parsed relay= ends at one).
  const size_t space = key.find(' ');
  if (space == key.npos) return {key, {}};
  return {key.substr(0, space), key.substr(space + 1)};
}

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
    // Counted where it ended: on the leg a content filter or a requeue made.
    if (HandedToNextLeg(r, rc)) continue;
    ++recipients_[static_cast<int>(rc.outcome)];
    const std::string address = AsciiLower(rc.address);
    ++domain_outcomes_[DomainOf(address)][static_cast<int>(rc.outcome)];
    recipient_addresses_.insert(address);
    if (!IsProblem(rc.outcome)) continue;
    const std::string relay = rc.relay.empty() ? "none" : rc.relay;
    ++by_problem_[std::string(OutcomeName(rc.outcome)) + " " + relay + " " +
                  (rc.dsn.empty() ? "-" : rc.dsn)];
    if (rc.outcome != Outcome::kBounced)
      ++by_deferral_[relay + " " + DeferralReason(rc.status_text)];
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
