#include "agent/detect/bounce.h"

#include <algorithm>
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

// Local parts of the senders of notices. Display names ("Mail Delivery
// System") are not read: anyone can write one.
constexpr std::string_view kDaemonNames[] = {"mailer-daemon", "postmaster", "microsoftexchange",
                                             "mdaemon", "maildelivery"};

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
// local@domain, or a bare local part, whose local part is a daemon's.
bool IsDaemonAddress(std::string_view address) {
  std::string_view local = address.substr(0, address.rfind('@'));
  if (local.size() >= 2 && local.front() == '"' && local.back() == '"')
    local = local.substr(1, local.size() - 2);
  const std::string l = Lower(local);
  for (std::string_view n : kDaemonNames)
    if (l == n) return true;
  return false;
}
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
  std::string_view f = header_from.substr(0, 512);
  // "Name <addr>": the last angle address (a display name may hold '<' in
  // quotes). "addr (comment)", as Postfix's own bounces write it: the first
  // word outside the comment.
  if (const size_t lt = f.rfind('<'); lt != std::string_view::npos) {
    f = f.substr(lt + 1);
    f = f.substr(0, f.find('>'));
  } else {
    while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
    f = f.substr(0, std::min(f.find(' '), f.find('(')));
  }
  return IsDaemonAddress(f);
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
  // Headers, a report's Content-Type and a subject are the sender's to write:
  // they count only when the envelope sender is not known. A notice comes
  // from the null sender (RFC 5321 4.5.5); a known sender with a
  // "MAILER-DAEMON" From: is a person, or a forger out to get a provider's
  // shared MTA blocked — and postmaster@ of the forger's own domain is as
  // easy to write, so a daemon's name as the sender counts no more.
  if (r.sender) return BounceSignal::kNone;
  // Nor when Postfix cut the line that named it: a sender of 2,000 bytes
  // cut qmgr's line and the header lines, and its forged "From:
  // MAILER-DAEMON" got a provider's MTA blocked (helper-120).
  if (r.sender_cut) return BounceSignal::kNone;
  if (r.header_from && IsDaemonFrom(*r.header_from)) return BounceSignal::kDaemonFrom;
  if (r.dsn_report) return BounceSignal::kDsnReport;
  // A notice subject alone is a weak signal: people write "Delivery Status
  // Notification" too.
  if (r.subject && IsNoticeSubject(*r.subject)) return BounceSignal::kNoticeSubject;
  return BounceSignal::kNone;
}

}  // namespace mailtrail
