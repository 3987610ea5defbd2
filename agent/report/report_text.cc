// The report's two renderings (agent/report/summary_part.h's Report): text for
// a terminal, untrusted text escaped; one JSON object, the API's and
// `mailtrail report --format json`'s (docs/reporting.md).
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "agent/report/summary_part.h"
#include "base/civil_time.h"
#include "base/json_writer.h"
#include "base/text.h"

namespace mailtrail {

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

void TopText(std::string* out, const char* title, const Summary::Top& rows) {
  Line(out, "\n%s", title);
  if (rows.empty()) Line(out, "  (none)");
  for (const auto& [count, key] : rows)
    Line(out, "  %8" PRId64 "  %s", count, EscapeForLog(key, 160).c_str());
}
}  // namespace

std::string ReportText(const Report& s) {
  std::string out;
  Line(&out, "mailtrail report: %" PRId64 " records, first seen %s, last seen %s", s.records,
       s.records ? FormatRfc3339(s.first_seen).c_str() : "-",
       s.records ? FormatRfc3339(s.last_seen).c_str() : "-");
  Line(&out, "\n%-13s %10s %12s", "outcome", "messages", "recipients");
  for (int i = 0; i < kOutcomeCount; ++i) {
    if (!s.messages[i] && !s.recipients[i]) continue;
    Line(&out, "%-13s %10" PRId64 " %12" PRId64, OutcomeName(static_cast<Outcome>(i)),
         s.messages[i], s.recipients[i]);
  }
  Line(&out, "\n%12" PRId64 "  bytes received (queued messages)", s.bytes_received);
  Line(&out,
       "%12" PRId64 "  senders\n%12" PRId64 "  sending hosts\n%12" PRId64 "  recipients\n%12" PRId64
       "  recipient domains",
       s.senders, s.sending_hosts, s.recipient_addresses, s.recipient_domains);
  TopText(&out, "Top senders (messages queued)", s.top_senders);
  TopText(&out, "Top sending hosts (messages queued)", s.top_sending_hosts);
  Line(&out, "\nTop recipient domains (recipients: all, delivered, bounced, deferred, expired)");
  if (s.top_recipient_domains.empty()) Line(&out, "  (none)");
  for (const auto& [count, domain, o] : s.top_recipient_domains) {
    auto n = [&](Outcome x) { return o[static_cast<int>(x)]; };
    Line(&out, "  %8" PRId64 " %8" PRId64 " %8" PRId64 " %8" PRId64 " %8" PRId64 "  %s", count,
         n(Outcome::kDelivered), n(Outcome::kBounced), n(Outcome::kDeferred), n(Outcome::kExpired),
         EscapeForLog(domain, 160).c_str());
  }
  TopText(&out, "Rejects (action, stage, code, DSN)", s.top_reject_reasons);
  TopText(&out, "Clients rejected most", s.top_rejected_clients);
  TopText(&out, "Delivery problems (outcome, relay, DSN; recipients)", s.top_delivery_problems);
  TopText(&out, "Deferral reasons (relay, last reason; recipients deferred or expired)",
          s.top_deferral_reasons);
  TopText(&out, "Bounces by subject (notices and bounced messages)", s.top_bounce_subjects);
  Line(&out, "\nMessages per hour (UTC, first seen)");
  for (const auto& [hour, n] : s.hours)
    Line(&out, "  %s:00  %8" PRId64, FormatRfc3339(hour).substr(0, 13).c_str(), n);
  return out;
}

std::string ReportJson(const Report& s) {
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
  w.Int("records", s.records);
  if (s.partial) w.Bool("partial", true);
  if (s.records) {
    w.Str("first_seen", FormatRfc3339(s.first_seen));
    w.Str("last_seen", FormatRfc3339(s.last_seen));
  }
  by_outcome("messages", s.messages);
  by_outcome("recipients", s.recipients);
  w.Int("bytes_received", s.bytes_received);
  w.Int("senders", s.senders);
  w.Int("sending_hosts", s.sending_hosts);
  w.Int("recipient_addresses", s.recipient_addresses);
  w.Int("recipient_domains", s.recipient_domains);
  top_list("top_senders", s.top_senders);
  top_list("top_sending_hosts", s.top_sending_hosts);
  w.OpenArray("top_recipient_domains");
  for (const auto& [count, domain, outcomes] : s.top_recipient_domains) {
    w.Open();
    w.Str("domain", domain);
    w.Int("recipients", count);
    by_outcome("outcomes", outcomes);
    w.Close();
  }
  w.CloseArray();
  top_list("top_reject_reasons", s.top_reject_reasons);
  top_list("top_rejected_clients", s.top_rejected_clients);
  top_list("top_delivery_problems", s.top_delivery_problems);
  w.OpenArray("top_deferral_reasons");
  for (const auto& [count, key] : s.top_deferral_reasons) {
    const auto [relay, reason] = SplitDeferralKey(key);
    w.Open();
    w.Str("relay", relay);
    w.Str("reason", reason);
    w.Int("count", count);
    w.Close();
  }
  w.CloseArray();
  top_list("top_bounce_subjects", s.top_bounce_subjects);
  w.Open("hours");
  for (const auto& [hour, n] : s.hours) w.Int(FormatRfc3339(hour).substr(0, 13).c_str(), n);
  w.Close();
  w.Open("hours_by_outcome");
  for (const auto& [hour, outcomes] : s.hour_outcomes)
    by_outcome(FormatRfc3339(hour).substr(0, 13).c_str(), outcomes);
  w.Close();
  w.Close();
  out.push_back('\n');
  return out;
}

std::string SummaryText(const Summary& s, size_t top) { return ReportText(ReportOf(s, top)); }
std::string SummaryJson(const Summary& s, size_t top) { return ReportJson(ReportOf(s, top)); }

}  // namespace mailtrail
