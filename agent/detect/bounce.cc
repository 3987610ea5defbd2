#include "agent/detect/bounce.h"

#include <string>

#include "base/rfc2047.h"

namespace mailtrail {

namespace {
std::string Lower(std::string_view s) {
  std::string out(s.substr(0, 512));
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Local parts and display names of the senders of notices.
constexpr std::string_view kDaemonNames[] = {"mailer-daemon",
                                             "postmaster",
                                             "mail delivery system",
                                             "mail delivery subsystem",
                                             "mail administrator",
                                             "microsoftexchange",
                                             "mdaemon",
                                             "maildelivery"};

// Subject phrases of non-delivery notices, lower case, several languages.
constexpr std::string_view kNoticePhrases[] = {"undeliverable",
                                               "undelivered mail",
                                               "delivery status notification",
                                               "mail delivery failed",
                                               "returned mail",
                                               "failure notice",
                                               "delivery failure",
                                               "returned to sender",
                                               "delivery has failed",
                                               "message not delivered",
                                               "could not be delivered",
                                               "non remis",
                                               "non délivré",
                                               "non distribuable",
                                               "unzustellbar",
                                               "nicht zustellbar",
                                               "non recapitabile",
                                               "no se puede entregar",
                                               "no entregado",
                                               "onbestelbaar",
                                               "niet bezorgd",
                                               "olevererbart",
                                               "kan ikke leveres",
                                               "nie dostarczono",
                                               "недоставлено",
                                               "не доставлено",
                                               "delivery notification: delivery has failed"};
}  // namespace

const char* BounceSignalName(BounceSignal s) {
  switch (s) {
    case BounceSignal::kNone:
      return "none";
    case BounceSignal::kNullSender:
      return "null sender";
    case BounceSignal::kDaemonFrom:
      return "From: mailer-daemon";
    case BounceSignal::kDsnReport:
      return "delivery-status report";
    case BounceSignal::kNoticeSubject:
      return "non-delivery subject";
  }
  return "none";
}

bool IsDaemonFrom(std::string_view header_from) {
  const std::string f = Lower(header_from);
  for (std::string_view n : kDaemonNames) {
    const size_t at = f.find(n);
    if (at == std::string::npos) continue;
    // A word of its own: "<mailer-daemon@x>", "Mail Delivery System <...>",
    // not "john.postmaster.fan@x".
    const bool start = at == 0 || f[at - 1] == '<' || f[at - 1] == ' ' || f[at - 1] == '"';
    const size_t e = at + n.size();
    const bool end = e == f.size() || f[e] == '@' || f[e] == '>' || f[e] == ' ' || f[e] == '"';
    if (start && end) return true;
  }
  return false;
}

bool IsNoticeSubject(std::string_view subject) {
  std::string s = Lower(DecodeRfc2047(subject.substr(0, 512)));
  for (std::string_view p : kNoticePhrases)
    if (s.find(p) != std::string::npos) return true;
  return false;
}

BounceSignal ClassifyBounce(const MessageRecord& r) {
  if (r.client_ip.empty()) return BounceSignal::kNone;  // local submission, our own notices
  if (r.sender && r.sender->empty()) return BounceSignal::kNullSender;
  if (r.header_from && IsDaemonFrom(*r.header_from)) return BounceSignal::kDaemonFrom;
  if (r.dsn_report) return BounceSignal::kDsnReport;
  // A notice subject alone is a weak signal: people write "Delivery Status
  // Notification" too. It counts when the envelope sender is not known, or is
  // a daemon's own address (some MTAs send notices from postmaster@).
  if (r.subject && (!r.sender || IsDaemonFrom(*r.sender)) && IsNoticeSubject(*r.subject))
    return BounceSignal::kNoticeSubject;
  return BounceSignal::kNone;
}

}  // namespace mailtrail
