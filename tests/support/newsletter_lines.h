// Log lines of a newsletter that waits for some recipients and of the
// notices that answer it meanwhile (docs/detection.md, "Answers to our own
// mail"): one message from pickup to recipients at Microsoft-hosted domains,
// `sent` of them accepted there and `greylisted` deferred (450), so that the
// message stays open; then notices from Microsoft's outbound servers.
#ifndef MAILTRAIL_TESTS_SUPPORT_NEWSLETTER_LINES_H_
#define MAILTRAIL_TESTS_SUPPORT_NEWSLETTER_LINES_H_

#include <string>
#include <vector>

#include "base/civil_time.h"

namespace mailtrail::newsletter {

constexpr char kQid[] = "5B00C0FFEE";
constexpr char kMessageId[] = "spring-2026@example.org";
constexpr char kOutbound[] = "mail-db8eur05on2101.outbound.protection.outlook.com";

inline std::string Stamp(TimeUs t) { return FormatRfc3339(t) + " mx1 "; }

inline std::string Recipient(int i) {
  return "u" + std::to_string(i) + "@contoso" + std::to_string(i % 30) + ".com";
}

// The newsletter at `t`, its deliveries one every 0.1 s after it. Its subject
// is "Spring offers", in the log if `log_subject` (header_checks).
inline std::vector<std::string> Newsletter(TimeUs t, int sent, int greylisted,
                                           bool log_subject = true) {
  const std::string q = kQid, s = Stamp(t);
  std::vector<std::string> v = {s + "postfix/pickup[10]: " + q +
                                ": uid=1001 from=<news@example.org>"};
  if (log_subject)
    v.push_back(s + "postfix/cleanup[11]: " + q +
                ": info: header Subject: Spring offers from local; from=<news@example.org> "
                "to=<" +
                Recipient(0) + ">");
  v.push_back(s + "postfix/cleanup[11]: " + q + ": message-id=<" + kMessageId + ">");
  v.push_back(s + "postfix/qmgr[12]: " + q + ": from=<news@example.org>, size=9000, nrcpt=" +
              std::to_string(sent + greylisted) + " (queue active)");
  for (int i = 0; i < sent + greylisted; ++i) {
    const std::string domain = "contoso" + std::to_string(i % 30);
    const std::string relay =
        domain + "-com.mail.protection.outlook.com[52.101." + std::to_string(i % 30) + ".9]:25";
    const std::string at = Stamp(t + (i + 1) * kUsPerSecond / 10);
    v.push_back(at + "postfix/smtp[13]: " + q + ": to=<" + Recipient(i) + ">, relay=" + relay +
                ", delay=1, delays=0/0/0.5/0.5, " +
                (i < sent ? "dsn=2.0.0, status=sent (250 2.6.0 Queued mail for delivery)"
                          : "dsn=4.7.1, status=deferred (host " + relay.substr(0, relay.find('[')) +
                                " said: 450 4.7.1 Greylisted, try again later)"));
  }
  return v;
}

// `n` notices to news@example.org from three IPs of `outbound`, one every
// `every` from `t`: with `returning`, a third return the newsletter (its
// Message-ID); the others only wrap its subject.
inline std::vector<std::string> Notices(TimeUs t, int n, TimeUs every,
                                        const std::string& outbound = kOutbound,
                                        bool returning = true) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) {
    const std::string q = "6C0" + std::to_string(1000000 + i);
    const std::string s = Stamp(t + i * every);
    const std::string ip = "40.107.1." + std::to_string(10 + i % 3);
    const std::string tr = " from " + outbound + "[" + ip +
                           "]; from=<> to=<news@example.org> proto=ESMTP helo=<" + outbound + ">";
    v.push_back(s + "postfix/smtpd[20]: " + q + ": client=" + outbound + "[" + ip + "]");
    v.push_back(s + "postfix/cleanup[11]: " + q +
                ": info: header Subject: Undeliverable: Spring offers" + tr);
    v.push_back(s + "postfix/cleanup[11]: " + q + ": message-id=<n" + q + "@outlook.test>");
    if (returning && i % 3 == 0)
      v.push_back(s + "postfix/cleanup[11]: " + q + ": info: header Message-ID: <" + kMessageId +
                  ">" + tr);
    v.push_back(s + "postfix/qmgr[12]: " + q + ": from=<>, size=900, nrcpt=1 (queue active)");
    v.push_back(s + "postfix/local[14]: " + q +
                ": to=<news@example.org>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, "
                "status=sent (delivered to mailbox)");
    v.push_back(s + "postfix/qmgr[12]: " + q + ": removed");
  }
  return v;
}

}  // namespace mailtrail::newsletter

#endif  // MAILTRAIL_TESTS_SUPPORT_NEWSLETTER_LINES_H_
