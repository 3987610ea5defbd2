#include "agent/report/summary.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "base/civil_time.h"
#include "base/json_writer.h"
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
  ++by_hour_[r.first_seen - ((r.first_seen % kHour) + kHour) % kHour];
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

namespace {
void Line(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void Line(std::string* out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  *out += buf;
  out->push_back('\n');
}

void TopText(std::string* out, const char* title, const Summary::Top& top) {
  Line(out, "\n%s", title);
  if (top.empty()) Line(out, "  (none)");
  for (const auto& [count, key] : top)
    Line(out, "  %8" PRId64 "  %s", count, EscapeForLog(key, 160).c_str());
}
}  // namespace

std::string SummaryText(const Summary& s, size_t top) {
  std::string out;
  Line(&out, "mailtrail report: %" PRId64 " records, first seen %s, last seen %s", s.records(),
       s.records() ? FormatRfc3339(s.first_seen()).c_str() : "-",
       s.records() ? FormatRfc3339(s.last_seen()).c_str() : "-");
  Line(&out, "\n%-12s %10s %12s", "outcome", "messages", "recipients");
  for (int i = 0; i < kOutcomeCount; ++i) {
    if (!s.messages()[i] && !s.recipients()[i]) continue;
    Line(&out, "%-12s %10" PRId64 " %12" PRId64, OutcomeName(static_cast<Outcome>(i)),
         s.messages()[i], s.recipients()[i]);
  }
  Line(&out, "\n%12" PRId64 "  bytes received (queued messages)", s.bytes_received());
  Line(&out, "%12zu  senders\n%12zu  sending hosts\n%12zu  recipients\n%12zu  recipient domains",
       s.senders(), s.sending_hosts(), s.recipient_addresses(), s.recipient_domains());
  TopText(&out, "Top senders (messages queued)", s.TopSenders(top));
  TopText(&out, "Top sending hosts (messages queued)", s.TopSendingHosts(top));
  Line(&out, "\nTop recipient domains (recipients: all, delivered, bounced, deferred, expired)");
  const auto domains = s.TopRecipientDomains(top);
  if (domains.empty()) Line(&out, "  (none)");
  for (const auto& [count, domain] : domains) {
    const auto& o = s.DomainOutcomes(domain);
    auto n = [&](Outcome x) { return o[static_cast<int>(x)]; };
    Line(&out, "  %8" PRId64 " %8" PRId64 " %8" PRId64 " %8" PRId64 " %8" PRId64 "  %s", count,
         n(Outcome::kDelivered), n(Outcome::kBounced), n(Outcome::kDeferred), n(Outcome::kExpired),
         EscapeForLog(domain, 160).c_str());
  }
  TopText(&out, "Rejects (action, stage, code, DSN)", s.TopRejectReasons(top));
  TopText(&out, "Clients rejected most", s.TopRejectedClients(top));
  TopText(&out, "Delivery problems (outcome, relay, DSN; recipients)", s.TopDeliveryProblems(top));
  Line(&out, "\nMessages per hour (UTC, first seen)");
  for (const auto& [hour, n] : s.hours())
    Line(&out, "  %s:00  %8" PRId64, FormatRfc3339(hour).substr(0, 13).c_str(), n);
  return out;
}

std::string SummaryJson(const Summary& s, size_t top) {
  std::string out;
  JsonWriter w(&out);
  auto top_list = [&](const char* key, const Summary::Top& t) {
    w.OpenArray(key);
    for (const auto& [count, k] : t) {
      w.Open();
      w.Str("key", k);
      w.Int("count", count);
      w.Close();
    }
    w.CloseArray();
  };
  auto by_outcome = [&](const char* key, const std::array<int64_t, kOutcomeCount>& a) {
    w.Open(key);
    for (int i = 0; i < kOutcomeCount; ++i) w.Int(OutcomeName(static_cast<Outcome>(i)), a[i]);
    w.Close();
  };
  w.Open();
  w.Int("records", s.records());
  if (s.records()) {
    w.Str("first_seen", FormatRfc3339(s.first_seen()));
    w.Str("last_seen", FormatRfc3339(s.last_seen()));
  }
  by_outcome("messages", s.messages());
  by_outcome("recipients", s.recipients());
  w.Int("bytes_received", s.bytes_received());
  w.Int("senders", static_cast<int64_t>(s.senders()));
  w.Int("sending_hosts", static_cast<int64_t>(s.sending_hosts()));
  w.Int("recipient_addresses", static_cast<int64_t>(s.recipient_addresses()));
  w.Int("recipient_domains", static_cast<int64_t>(s.recipient_domains()));
  top_list("top_senders", s.TopSenders(top));
  top_list("top_sending_hosts", s.TopSendingHosts(top));
  w.OpenArray("top_recipient_domains");
  for (const auto& [count, domain] : s.TopRecipientDomains(top)) {
    w.Open();
    w.Str("domain", domain);
    w.Int("recipients", count);
    by_outcome("outcomes", s.DomainOutcomes(domain));
    w.Close();
  }
  w.CloseArray();
  top_list("top_reject_reasons", s.TopRejectReasons(top));
  top_list("top_rejected_clients", s.TopRejectedClients(top));
  top_list("top_delivery_problems", s.TopDeliveryProblems(top));
  w.Open("hours");
  for (const auto& [hour, n] : s.hours()) w.Int(FormatRfc3339(hour).substr(0, 13).c_str(), n);
  w.Close();
  w.Close();
  out.push_back('\n');
  return out;
}

}  // namespace mailtrail
