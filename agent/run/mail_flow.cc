#include "agent/run/mail_flow.h"

#include <algorithm>
#include <string_view>

namespace mailtrail {

namespace {
// Where Postfix (smtpd, cleanup, a milter) refused the message; anything else
// the log said is "other".
std::string StageLabel(std::string_view stage) {
  static constexpr std::string_view kStages[] = {
      "CONNECT", "HELO", "EHLO",   "MAIL", "RCPT",  "DATA", "END-OF-MESSAGE",
      "VRFY",    "ETRN", "header", "body", "queue", "BDAT"};
  for (std::string_view s : kStages)
    if (stage == s) return std::string(s);
  return "other";
}

// cleanup's header and body rejects carry a DSN but no reply code: "none".
std::string CodeLabel(int code) {
  if (code == 0) return "none";
  return code >= 200 && code <= 599 ? std::to_string(code) : "other";
}
}  // namespace

void MailFlow::Count(const MessageRecord& r) {
  ++messages_[static_cast<int>(r.outcome)];
  for (const RecipientRecord& rc : r.recipients) {
    ++recipients_[static_cast<int>(rc.outcome)];
    if (rc.outcome != Outcome::kDelivered || rc.delay < 0) continue;
    const auto bucket = std::lower_bound(kDelayBuckets.begin(), kDelayBuckets.end(), rc.delay);
    ++delays_[static_cast<size_t>(bucket - kDelayBuckets.begin())];
    delay_sum_ += rc.delay;
  }
  if (r.outcome == Outcome::kRejected && r.reject)
    ++rejects_[{StageLabel(r.reject->stage), CodeLabel(r.reject->code)}];
}

}  // namespace mailtrail
