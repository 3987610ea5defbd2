// Bounces that answer mail this server relayed never count against anyone.
// Real Postfix lines through the parser and tracker, then the detector.
#include <gtest/gtest.h>

#include "agent/detect/flood_detector.h"
#include "agent/detect/outbound.h"
#include "tests/support/newsletter_lines.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

std::string Stamp(int s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2026-03-03T10:%02d:%02d.000000+00:00 mx1 ", s / 60 % 60, s % 60);
  return buf;
}

// A newsletter message from pickup to a Microsoft-hosted domain.
std::vector<std::string> Sent(const std::string& q, int at, const std::string& rcpt,
                              const std::string& relay, const std::string& subject) {
  const std::string t = Stamp(at);
  return {
      t + "postfix/pickup[10]: " + q + ": uid=1001 from=<news@example.org>",
      t + "postfix/cleanup[11]: " + q + ": info: header Subject: " + subject +
          " from local; from=<news@example.org> to=<" + rcpt + ">",
      t + "postfix/cleanup[11]: " + q + ": message-id=<" + q + "@example.org>",
      t + "postfix/qmgr[12]: " + q + ": from=<news@example.org>, size=900, nrcpt=1 (queue active)",
      t + "postfix/smtp[13]: " + q + ": to=<" + rcpt + ">, relay=" + relay +
          ", delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
      t + "postfix/qmgr[12]: " + q + ": removed"};
}

// A notice received from `host[ip]` for news@example.org; `returned` is the
// Message-ID that nested_header_checks logged (empty: none).
std::vector<std::string> Notice(const std::string& q, int at, const std::string& host,
                                const std::string& ip, const std::string& subject,
                                const std::string& returned) {
  const std::string t = Stamp(at);
  const std::string tr = " from " + host + "[" + ip +
                         "]; from=<> to=<news@example.org> proto=ESMTP helo=<" + host + ">";
  std::vector<std::string> v = {
      t + "postfix/smtpd[20]: " + q + ": client=" + host + "[" + ip + "]",
      t + "postfix/cleanup[11]: " + q + ": info: header Subject: " + subject + tr,
      t + "postfix/cleanup[11]: " + q + ": message-id=<n" + q + "@" + host + ">"};
  if (!returned.empty())
    v.push_back(t + "postfix/cleanup[11]: " + q + ": info: header Message-ID: <" + returned + ">" +
                tr);
  v.push_back(t + "postfix/qmgr[12]: " + q + ": from=<>, size=900, nrcpt=1 (queue active)");
  v.push_back(t + "postfix/local[14]: " + q +
              ": to=<news@example.org>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, "
              "status=sent (delivered to mailbox)");
  v.push_back(t + "postfix/qmgr[12]: " + q + ": removed");
  return v;
}

// Records as the detect verb gets them: at "removed", in the order of the log.
TrackerOptions AtRemoved() {
  TrackerOptions o;
  o.emit_at_removed = true;
  return o;
}

// Feeds `d` as the agent does: each delivery as the tracker records it (mail
// we relay is learned then), each record as it closes (below, in order).
void Wire(TrackerHarness* h, FloodDetector* d) {
  h->OnDelivery([d](const MessageRecord& r, size_t i) { d->OnDelivery(r, r.recipients[i]); });
}

// A closed record's deliveries, as the tracker gave them before it closed.
void Teach(FloodDetector* d, const MessageRecord& r) {
  for (size_t i = 0; i < r.recipients.size(); ++i) d->OnDelivery(r, r.recipients[i]);
}

constexpr char kMsRelay[] = "contoso-com.mail.protection.outlook.com[52.101.8.9]:25";
constexpr char kMsOut[] = "mail-db8eur05on2101.outbound.protection.outlook.com";

TEST(Answers, TheTrackerKeepsTheReturnedMessageId) {
  TrackerHarness h(AtRemoved());
  h.Feed(Notice("4A1B2C3D01", 5, kMsOut, "40.107.1.2", "Undeliverable: Spring", "X1@example.org"));
  const MessageRecord* r = h.One("4A1B2C3D01");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->returned_message_ids, std::vector<std::string>{"X1@example.org"});
  EXPECT_EQ(r->message_id, "n4A1B2C3D01@" + std::string(kMsOut)) << "its own stays apart";
  // Returned headers only (text/rfc822-headers) are body to Postfix: body_checks.
  std::vector<std::string> lines = Notice("4A1B2C3D02", 6, kMsOut, "40.107.1.2", "DSN", "");
  lines.insert(lines.begin() + 3,
               Stamp(6) +
                   "postfix/cleanup[11]: 4A1B2C3D02: info: body Message-ID:  <X2@example.org> "
                   "from " +
                   std::string(kMsOut) +
                   "[40.107.1.2]; from=<> to=<news@example.org> proto=ESMTP helo=<x>");
  h.Feed(lines);
  r = h.One("4A1B2C3D02");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->returned_message_ids, std::vector<std::string>{"X2@example.org"});
  // A folded Message-ID (Outlook's and GMX's long ones: "Message-ID:\n <id>")
  // or one after a tab: Postfix logs the break and the tab as '?'.
  int n = 3;
  for (const char* logged : {"Message-ID:? <X3@example.org>",
                             "Message-ID:?"
                             "?<X4@example.org>",
                             "Message-ID:?<X5@example.org>? "}) {
    const std::string qid = "4A1B2C3D0" + std::to_string(n);
    lines = Notice(qid, 6 + n, kMsOut, "40.107.1.2", "DSN", "");
    lines.insert(lines.begin() + 3, Stamp(6 + n) + "postfix/cleanup[11]: " + qid +
                                        ": info: header " + logged + " from " + kMsOut +
                                        "[40.107.1.2]; from=<> to=<news@example.org> "
                                        "proto=ESMTP helo=<x>");
    h.Feed(lines);
    r = h.One(qid);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->returned_message_ids,
              std::vector<std::string>{"X" + std::to_string(n) + "@example.org"})
        << logged;
    ++n;
  }
}

// What Postfix 3.7.11 logged (2026-12-02, a private instance with the lines of
// docs/postfix.md) for two notices submitted by sendmail: one returning the
// message (message/rfc822), one returning its headers (text/rfc822-headers).
TEST(Answers, RealPostfixLinesGiveTheReturnedMessageIds) {
  TrackerHarness h(AtRemoved());
  h.Feed(
      {R"(Dec 02 20:30:25 mx postfix/pickup[27293]: 03306A721DB: uid=0 from=<>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 03306A721DB: info: header From: Mail Delivery System <MAILER-DAEMON@mx.remote.test> from local; from=<> to=<news@example.org>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 03306A721DB: info: header Subject: Undeliverable: Spring offers from local; from=<> to=<news@example.org>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 03306A721DB: message-id=<dsn1@mx.remote.test>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 03306A721DB: info: header From: news@example.org from local; from=<> to=<news@example.org>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 03306A721DB: info: header Subject: Spring offers from local; from=<> to=<news@example.org>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 03306A721DB: info: header Message-ID: <orig1.12345@example.org> from local; from=<> to=<news@example.org>)",
       R"(Dec 02 20:30:25 mx postfix/qmgr[27294]: 03306A721DB: from=<>, size=799, nrcpt=1 (queue active))",
       R"(Dec 02 20:30:25 mx postfix/pickup[27293]: 04E1DA721DA: uid=0 from=<>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 04E1DA721DA: info: header From: Mail Delivery System <MAILER-DAEMON@mx.remote.test> from local; from=<> to=<news@example.org>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 04E1DA721DA: info: header Subject: Undeliverable: Spring offers from local; from=<> to=<news@example.org>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 04E1DA721DA: message-id=<dsn2@mx.remote.test>)",
       R"(Dec 02 20:30:25 mx postfix/cleanup[27316]: 04E1DA721DA: info: body Message-ID: <orig2.6789@example.org> from local; from=<> to=<news@example.org>)",
       R"(Dec 02 20:30:25 mx postfix/qmgr[27294]: 04E1DA721DA: from=<>, size=796, nrcpt=1 (queue active))",
       R"(Dec 02 20:30:25 mx postfix/discard[27321]: 03306A721DB: to=<news@example.org>, relay=none, delay=0.02, delays=0.01/0.01/0/0, dsn=2.0.0, status=sent (example.org))",
       R"(Dec 02 20:30:25 mx postfix/qmgr[27294]: 03306A721DB: removed)",
       R"(Dec 02 20:30:25 mx postfix/discard[27321]: 04E1DA721DA: to=<news@example.org>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (example.org))",
       R"(Dec 02 20:30:25 mx postfix/qmgr[27294]: 04E1DA721DA: removed)"});
  const MessageRecord* whole = h.One("03306A721DB");
  const MessageRecord* headers = h.One("04E1DA721DA");
  ASSERT_NE(whole, nullptr);
  ASSERT_NE(headers, nullptr);
  EXPECT_EQ(whole->returned_message_ids, std::vector<std::string>{"orig1.12345@example.org"});
  EXPECT_EQ(whole->subject, "Undeliverable: Spring offers") << "its own, not the returned one";
  EXPECT_EQ(headers->returned_message_ids, std::vector<std::string>{"orig2.6789@example.org"});
}

// 100 messages relayed to Microsoft-hosted domains, then 30 notices from 3 of
// Microsoft's outbound IPs within a minute: every one answers our mail.
TEST(Answers, ANewslettersNoticesBlockNobody) {
  DetectorOptions o;
  o.ip_bounces = 5;  // low, so that counting any of them would show
  o.subject_bounces = 10;
  FloodDetector d(o);
  TrackerHarness h(AtRemoved());
  Wire(&h, &d);
  for (int i = 0; i < 100; ++i)
    h.Feed(Sent("5B0000" + std::to_string(1000 + i), i / 10,
                "u" + std::to_string(i) + "@contoso.com", kMsRelay, "Spring offers"));
  for (int i = 0; i < 30; ++i) {
    // A third return the whole message (Message-ID), a third only its headers,
    // a third a notice of their own with the subject wrapped.
    const std::string returned =
        i % 3 == 0 ? "5B0000" + std::to_string(1000 + i) + "@example.org" : "";
    h.Feed(Notice("6C0000" + std::to_string(1000 + i), 20 + i, kMsOut,
                  "40.107.1." + std::to_string(i % 3), "Undeliverable: Spring offers", returned));
  }
  std::vector<Decision> out;
  for (const auto& r : h.records()) d.OnRecord(r, &out);
  EXPECT_TRUE(out.empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
  EXPECT_EQ(d.answers(), 30);
  EXPECT_EQ(d.answers(AnswerKind::kMessageId), 10);
  EXPECT_EQ(d.bounces(), 0);
}

// A newsletter greylisted by some of its recipients' servers stays open
// (and is not closed for the detector) until they take it, hours later; the
// notices for the recipients already delivered come meanwhile. Learned only
// when the message closed, those 150 notices in two minutes from three of
// Microsoft's outbound IPs blocked the IPs and the newsletter's subject
// (helper-65's finding 2).
TEST(Answers, NoticesForAMessageStillWaitingForSomeRecipientsAreAnswers) {
  const TimeUs t0 = 1795780000LL * kUsPerSecond;
  for (const bool answers : {true, false}) {
    DetectorOptions o;  // the defaults
    o.answers.enabled = answers;
    FloodDetector d(o);
    TrackerHarness h(AtRemoved());
    Wire(&h, &d);
    h.Feed(newsletter::Newsletter(t0, 200, 100));
    h.Feed(newsletter::Notices(t0 + 60 * kUsPerSecond, 150, 800 * 1000));
    for (const auto& r : h.records()) ASSERT_NE(r.qid, newsletter::kQid) << "it waits, open";
    std::vector<Decision> out;
    for (const auto& r : h.records()) d.OnRecord(r, &out);
    if (!answers) {  // the notices are a flood by every rule when not recognised
      EXPECT_EQ(d.bounces(), 150);
      EXPECT_GE(out.size(), 4u) << "the three IPs and the subject";
      continue;
    }
    EXPECT_TRUE(out.empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
    EXPECT_EQ(d.answers(), 150);
    EXPECT_EQ(d.answers(AnswerKind::kMessageId), 50);
    EXPECT_EQ(d.bounces(), 0);
  }
}

// Only recipients another MTA accepted are answered from there: a message
// all of whose recipients were greylisted excuses nothing yet.
TEST(Answers, AMessageNoOtherMtaAcceptedYetExcusesNothing) {
  const TimeUs t0 = 1795780000LL * kUsPerSecond;
  FloodDetector d;
  TrackerHarness h(AtRemoved());
  Wire(&h, &d);
  h.Feed(newsletter::Newsletter(t0, 0, 100));
  // It expires and is removed before the notices (maximal_queue_lifetime = 0).
  h.Feed({newsletter::Stamp(t0 + 30 * kUsPerSecond) + "postfix/qmgr[12]: " + newsletter::kQid +
              ": from=<news@example.org>, status=expired, returned to sender",
          newsletter::Stamp(t0 + 30 * kUsPerSecond) + "postfix/qmgr[12]: " + newsletter::kQid +
              ": removed"});
  h.Feed(newsletter::Notices(t0 + 60 * kUsPerSecond, 30, 800 * 1000));
  std::vector<Decision> out;
  for (const auto& r : h.records()) d.OnRecord(r, &out);
  EXPECT_EQ(d.answers(), 0);
  EXPECT_EQ(d.bounces(), 30);
}

// Auto-replies from the null sender (Exchange's "Automatic reply:", Sieve's
// "Auto:", "Out of Office:", read receipts) to a newsletter, from a hoster
// whose outgoing relay is another organisation than its customers' MX: they
// return no Message-ID, and their wrappers were not taken off the subject,
// so 25 of them blocked the hoster's relay (helper-65).
TEST(Answers, AutoRepliesToOurMailAreAnswers) {
  const std::vector<std::string> wrappers = {"Automatic reply: ",
                                             "Out of Office: ",
                                             "Auto: ",
                                             "AutoReply: ",
                                             "Abwesenheitsnotiz: ",
                                             "Automatische Antwort: ",
                                             "Réponse automatique : ",
                                             "Read: ",
                                             "Gelesen: ",
                                             "Out of Office Reply: "};
  DetectorOptions o;
  o.ip_bounces = 5;
  o.subject_bounces = 10;
  FloodDetector d(o);
  TrackerHarness h(AtRemoved());
  Wire(&h, &d);
  for (int i = 0; i < 30; ++i)
    h.Feed(Sent("5B0000" + std::to_string(1000 + i), i / 10,
                "u" + std::to_string(i) + "@customer" + std::to_string(i) + ".example",
                "mx1.filterco.example[198.51.100.60]:25", "Example News December"));
  for (int i = 0; i < 30; ++i)
    h.Feed(Notice("6C0000" + std::to_string(1000 + i), 20 + i, "relay-out.hostingco.example",
                  "203.0.113.50", wrappers[i % wrappers.size()] + "Example News December", ""));
  std::vector<Decision> out;
  for (const auto& r : h.records()) d.OnRecord(r, &out);
  EXPECT_TRUE(out.empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
  EXPECT_EQ(d.answers(AnswerKind::kSubject), 30);
  EXPECT_EQ(d.bounces(), 0);
}

// A delay notice, then the final bounce, for each recipient (a partner's
// gateway with a backlog): two notices answer one relayed recipient. One
// credit per recipient counted the second half against the gateway, which
// the IP rule then blocked (helper-65).
TEST(Answers, ADelayNoticeAndTheFinalBounceBothAnswer) {
  DetectorOptions o;
  FloodDetector d(o);
  TrackerHarness h(AtRemoved());
  Wire(&h, &d);
  for (int i = 0; i < 30; ++i)
    h.Feed(Sent("5B0000" + std::to_string(1000 + i), 0, "u" + std::to_string(i) + "@contoso.com",
                kMsRelay, "Your order"));
  // Notices of their own wording: only the organisation tells them.
  for (int i = 0; i < 30; ++i)
    h.Feed(Notice("6C0000" + std::to_string(1000 + i), 600 + i, kMsOut, "40.107.1.2",
                  "Delivery has been delayed", ""));
  for (int i = 0; i < 30; ++i)
    h.Feed(Notice("6D0000" + std::to_string(1000 + i), 1200 + i, kMsOut, "40.107.1.2",
                  "Delivery has failed", ""));
  std::vector<Decision> out;
  for (const auto& r : h.records()) d.OnRecord(r, &out);
  EXPECT_TRUE(out.empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
  EXPECT_EQ(d.answers(), 60);
  EXPECT_EQ(d.bounces(), 0);
}

TEST(Answers, CreditsBoundWhatOneRelayedMessageExcuses) {
  // One message to one Microsoft-hosted recipient: its sender is then forged in
  // a flood from Microsoft's outbound IPs. A recipient's notices are excused
  // (kNoticesPerRecipient), the rest count.
  DetectorOptions o;
  o.ip_bounces = 20;
  FloodDetector d(o);
  TrackerHarness h(AtRemoved());
  Wire(&h, &d);
  h.Feed(Sent("7D00001000", 0, "a@contoso.com", kMsRelay, "Hello"));
  for (int i = 0; i < 25; ++i)
    h.Feed(Notice("8E0000" + std::to_string(1000 + i), 10 + i, kMsOut, "40.107.1.2",
                  "Undeliverable: Win a prize", ""));
  std::vector<Decision> out;
  for (const auto& r : h.records()) d.OnRecord(r, &out);
  EXPECT_EQ(d.answers(), kNoticesPerRecipient);
  EXPECT_EQ(d.bounces(), 25 - kNoticesPerRecipient);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "40.107.1.2");
}

MessageRecord Relayed(int i, double at) {
  MessageRecord r;
  r.qid = "R" + std::to_string(i);
  r.sender = "news@example.org";
  r.message_id = "r" + std::to_string(i) + "@example.org";
  r.subject = "Spring offers";
  r.first_seen = r.last_seen = static_cast<TimeUs>(at * kUsPerSecond);
  r.recipients.push_back({});
  r.recipients[0].address = "u" + std::to_string(i) + "@gmail.com";
  r.recipients[0].relay = "gmail-smtp-in.l.google.com[142.250.1.26]:25";
  r.recipients[0].outcome = Outcome::kDelivered;
  r.recipients[0].time = r.last_seen;
  return r;
}

MessageRecord Dsn(const std::string& host, const std::string& ip, const std::string& to,
                  double at) {
  MessageRecord r;
  r.qid = "D" + std::to_string(static_cast<int64_t>(at * 1000)) + ip;
  r.client_ip = ip;
  r.client_host = host;
  r.has_client = true;
  r.sender = "";
  r.subject = "Delivery Status Notification (Failure)";
  r.first_seen = static_cast<TimeUs>(at * kUsPerSecond);
  r.last_seen = r.first_seen + 1000;
  r.recipients.push_back({});
  r.recipients[0].address = to;
  return r;
}

TEST(Answers, ASubjectThatAnsweredOurMailIsNotBlockedButItsFloodingSourcesAre) {
  DetectorOptions o;
  o.ip_bounces = 1000000;  // the subject rule alone
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 40; ++i) Teach(&d, Relayed(i, i * 0.1));
  for (int i = 0; i < 10; ++i)  // the answers come first: the subject is new to the detector
    d.OnRecord(Dsn("mail-sor-f69.google.com", "209.85.220.69", "news@example.org", 10 + i), &out);
  EXPECT_EQ(d.answers(AnswerKind::kDomain), 10);
  // Then a flood of the same generic subject from two other servers.
  for (int i = 0; i < 30; ++i) {
    d.OnRecord(
        Dsn("mx.bulk1.test", "198.51.100.1", "x" + std::to_string(i) + "@example.org", 30 + i),
        &out);
    d.OnRecord(
        Dsn("mx.bulk2.test", "198.51.100.2", "y" + std::to_string(i) + "@example.org", 30.5 + i),
        &out);
  }
  std::vector<std::string> ips;
  for (const auto& dec : out) {
    EXPECT_EQ(dec.kind, Decision::Kind::kIp) << "the subject answered our mail: " << dec.key;
    ips.push_back(dec.key);
    EXPECT_NE(dec.reason.find("not blocked"), std::string::npos) << dec.reason;
  }
  EXPECT_EQ(ips, (std::vector<std::string>{"198.51.100.1", "198.51.100.2"}));
}

// One line stamped a day ahead (another host's clock, in the same file)
// forgot every answer learned: the genuine notices after it were counted,
// and the provider's outbound servers blocked (helper-152 F4). Forgetting
// moves on at most an hour a line; each key's window is still checked at
// each record's own time.
TEST(Answers, OneLineFarAheadForgetsNoAnswer) {
  DetectorOptions o;
  o.ip_bounces = 1000000;  // the subject rule alone
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 40; ++i) Teach(&d, Relayed(i, i * 0.1));
  constexpr double kDayAhead = 25 * 3600;
  d.OnRecord(Dsn("mx.elsewhere.test", "203.0.113.5", "news@example.org", kDayAhead), &out);
  Teach(&d, Relayed(100, kDayAhead));  // a delivery as far ahead learns and forgets too
  const int64_t before = d.answers(AnswerKind::kDomain);
  for (int i = 0; i < 10; ++i)
    d.OnRecord(Dsn("mail-sor-f69.google.com", "209.85.220.69", "news@example.org", 10 + i), &out);
  EXPECT_EQ(d.answers(AnswerKind::kDomain) - before, 10) << "the answers learned are kept";
  EXPECT_TRUE(out.empty());
}

// Nor do 30 deliveries of a host a day ahead among the others' (helper-153
// F4: a clock moved on an hour a line went a day in 25 lines), nor one such
// line as the first after a start.
TEST(Answers, AHostADayAheadForgetsNoAnswer) {
  DetectorOptions o;
  o.ip_bounces = 1000000;
  constexpr double kDayAhead = 25 * 3600;
  {
    FloodDetector d(o);
    std::vector<Decision> out;
    for (int i = 0; i < 40; ++i) Teach(&d, Relayed(i, i * 0.1));
    for (int i = 0; i < 30; ++i) Teach(&d, Relayed(200 + i, kDayAhead + i));
    const int64_t before = d.answers(AnswerKind::kDomain);
    for (int i = 0; i < 10; ++i)
      d.OnRecord(Dsn("mail-sor-f69.google.com", "209.85.220.69", "news@example.org", 10 + i), &out);
    EXPECT_EQ(d.answers(AnswerKind::kDomain) - before, 10);
  }
  {
    FloodDetector d(o);
    for (int i = 0; i < 40; ++i) Teach(&d, Relayed(i, i * 0.1));
    FloodDetector restarted(o);  // a restart reads the state back
    ASSERT_TRUE(restarted.LoadState(d.SaveState()).ok());
    Teach(&restarted, Relayed(300, kDayAhead));  // its first line: a day ahead
    std::vector<Decision> out;
    for (int i = 0; i < 10; ++i)
      restarted.OnRecord(
          Dsn("mail-sor-f69.google.com", "209.85.220.69", "news@example.org", 10 + i), &out);
    EXPECT_EQ(restarted.answers(AnswerKind::kDomain), 10);
  }
  {  // The fleet's exchanges, every 2 s, at the newest line's time (a day
     // ahead): they forget nothing (helper-155 F4).
    OutboundMemory m;
    for (int i = 0; i < 40; ++i) {
      const MessageRecord r = Relayed(i, i * 0.1);
      m.Learn(r, r.recipients[0]);
    }
    for (int i = 0; i < 200; ++i)
      m.AddShared({}, static_cast<TimeUs>((kDayAhead + 2 * i) * kUsPerSecond));
    const MessageRecord b = Dsn("mail-sor-f69.google.com", "209.85.220.69", "news@example.org", 10);
    EXPECT_EQ(m.Recognize(b), AnswerKind::kDomain);
  }
}

TEST(Answers, AReturnedMessageIdWeNeverSentIsNoAnswer) {
  OutboundMemory m;
  MessageRecord b;
  b.client_ip = "192.0.2.1";
  b.client_host = "mx.forged.test";
  b.sender = "";
  b.returned_message_ids = {"never@example.org"};
  b.recipients.push_back({});
  b.recipients[0].address = "news@example.org";
  EXPECT_EQ(m.Recognize(b), AnswerKind::kNone);
}

TEST(Answers, OnlyRelaysToAnotherMtaAreMailWeSent) {
  const struct {
    const char* relay;
    bool sent;
  } kCases[] = {{"mx.remote.test[192.0.2.3]:25", true},
                {"mx.remote.test[127.0.0.3]:25", true},       // a lab's MX on loopback, port 25
                {"127.0.0.1[127.0.0.1]:10024", false},        // a content filter
                {"dovecot.example.org[10.0.0.5]:24", false},  // LMTP: a mailbox server
                {"mx1.example.org[private/dovecot-lmtp]", false},
                {"local", false},
                {"none", false}};
  for (const auto& c : kCases) {
    OutboundMemory m;
    MessageRecord r;
    r.sender = "a@example.org";
    r.recipients.push_back({});
    r.recipients[0].address = "b@remote.test";
    r.recipients[0].relay = c.relay;
    r.recipients[0].outcome = Outcome::kDelivered;
    EXPECT_EQ(m.Learn(r, r.recipients[0]), c.sent) << c.relay;
    r.recipients[0].outcome = Outcome::kDeferred;
    EXPECT_FALSE(m.Learn(r, r.recipients[0])) << "not accepted there: " << c.relay;
  }
}

// An address verification probe (reject_unverified_sender/recipient) sends
// no message: the remote MX answered RCPT TO and the client quit. Were it
// remembered as mail we relayed, a client could have us probe addresses at an
// organisation of its choice and so excuse that organisation's bounces to the
// probes' sender (address_verify_sender = postmaster@..., say).
TEST(Answers, AnAddressVerificationProbeIsNoMailWeSent) {
  TrackerHarness h(AtRemoved());
  for (const char* status : {"deliverable (250 2.1.5 Ok)", "undeliverable (550 5.1.1 no)"}) {
    const std::string q = status[0] == 'd' ? "6A00001000" : "6A00001001";
    const std::string t = Stamp(1);
    h.Feed({t + "postfix/cleanup[11]: " + q + ": message-id=<" + q + "@example.org>",
            t + "postfix/qmgr[12]: " + q +
                ": from=<postmaster@example.org>, size=236, nrcpt=1 (queue active)",
            t + "postfix/smtp[13]: " + q + ": to=<someone@contoso.com>, relay=" + kMsRelay +
                ", delay=0.3, delays=0/0/0.2/0.1, dsn=2.1.5, status=" + status,
            t + "postfix/qmgr[12]: " + q + ": removed"});
  }
  ASSERT_EQ(h.records().size(), 2u);
  OutboundMemory m;
  for (const MessageRecord& r : h.records()) {
    EXPECT_EQ(r.recipients.at(0).relay, kMsRelay);
    EXPECT_FALSE(m.Learn(r, r.recipients.at(0))) << r.qid << " " << OutcomeName(r.outcome);
  }
  // Beside a real message to another organisation, only the message counts.
  MessageRecord both = h.records()[0];
  both.recipients.push_back(both.recipients[0]);
  both.recipients[1].address = "b@fabrikam.test";
  both.recipients[1].relay = "mx.fabrikam.test[192.0.2.9]:25";
  both.recipients[1].outcome = Outcome::kDelivered;
  EXPECT_TRUE(m.Learn(both, both.recipients[1]));
  auto notice_from = [](const std::string& host) {
    MessageRecord b;
    b.client_ip = "192.0.2.77";
    b.client_host = host;
    b.has_client = true;
    b.sender = "";
    b.recipients.push_back({});
    b.recipients[0].address = "postmaster@example.org";
    return b;
  };
  EXPECT_EQ(m.Recognize(notice_from(kMsOut)), AnswerKind::kNone) << "the probe's organisation";
  EXPECT_EQ(m.Recognize(notice_from("mail.fabrikam.test")), AnswerKind::kDomain);
}

// A message's recipients are delivered provider by provider: 40 at Google
// before 10 at a Microsoft-hosted domain. Every organisation a recipient
// went to is learned, not those of the first 32 delivered (helper-69), so
// Microsoft's notices answer by domain (no Subject logged, no Message-ID
// returned).
TEST(Answers, EveryOrganisationOfALargeMessageIsLearned) {
  MessageRecord r;
  r.qid = "LIST1";
  r.sender = "news@example.org";
  for (int i = 0; i < 50; ++i) {
    RecipientRecord rc;
    rc.address =
        i < 40 ? "u" + std::to_string(i) + "@gmail.com" : "u" + std::to_string(i) + "@contoso.com";
    rc.relay = i < 40 ? "gmail-smtp-in.l.google.com[142.250.1.26]:25" : kMsRelay;
    rc.outcome = Outcome::kDelivered;
    rc.time = i * kUsPerSecond / 10;
    r.recipients.push_back(rc);
  }
  FloodDetector d;
  Teach(&d, r);
  std::vector<Decision> out;
  for (int i = 0; i < 25; ++i) {
    MessageRecord n = Dsn(kMsOut, "40.107.1.10", "news@example.org", 10 + i);
    n.subject = "Undeliverable: something";
    d.OnRecord(n, &out);
  }
  EXPECT_TRUE(out.empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
  EXPECT_EQ(d.answers(AnswerKind::kDomain), 25);
}

// A partner whose name is short under a country code (helper-89): 30 of a
// newsletter's recipients at bmw.de, relayed to mx.bmw.de, then 25 notices
// from mout.bmw.de, one every 2 s, with no Message-ID returned. They answer
// by domain; "mout.bmw.de" was an organisation of its own and the IP rule
// blocked the partner's server.
TEST(Answers, AShortNameUnderACountryCodeIsOneOrganisation) {
  MessageRecord r;
  r.qid = "NEWS1";
  r.sender = "news@example.org";
  for (int i = 0; i < 30; ++i) {
    RecipientRecord rc;
    rc.address = "u" + std::to_string(i) + "@bmw.de";
    rc.relay = "mx.bmw.de[198.51.100.30]:25";
    rc.outcome = Outcome::kDelivered;
    rc.time = i * kUsPerSecond / 10;
    r.recipients.push_back(rc);
  }
  FloodDetector d;
  Teach(&d, r);
  std::vector<Decision> out;
  for (int i = 0; i < 25; ++i) {
    MessageRecord n = Dsn("mout.bmw.de", "198.51.100.31", "news@example.org", 10 + 2 * i);
    n.subject = "Mail delivery failed: returning message to sender";
    d.OnRecord(n, &out);
  }
  EXPECT_TRUE(out.empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
  EXPECT_EQ(d.answers(AnswerKind::kDomain), 25);
}

// Each delivery of a large list message learns the same few keys again: the
// memory keeps one place per key, and the list's deliveries do not push out
// another sender's mail (they did, at twice max_keys deliveries: helper-69).
TEST(Answers, RelearningTheSameKeysEvictsNobody) {
  AnswerOptions ao;
  ao.max_keys = 100;
  OutboundMemory m(ao);
  MessageRecord news;
  news.sender = "news@example.org";
  news.message_id = "spring@example.org";
  news.recipients.push_back({});
  news.recipients[0].address = "a@contoso.com";
  news.recipients[0].relay = kMsRelay;
  news.recipients[0].outcome = Outcome::kDelivered;
  ASSERT_TRUE(m.Learn(news, news.recipients[0]));
  MessageRecord list;
  list.sender = "list@example.org";
  list.message_id = "digest@example.org";
  list.subject = "Digest";
  list.recipients.push_back({});
  list.recipients[0].relay = "mx.remote.test[192.0.2.9]:25";
  list.recipients[0].outcome = Outcome::kDelivered;
  for (int i = 0; i < 10000; ++i) {
    list.recipients[0].address = "m" + std::to_string(i) + (i % 2 ? "@remote.test" : "@other.test");
    list.recipients[0].time = i * 1000;
    ASSERT_TRUE(m.Learn(list, list.recipients[0]));
  }
  EXPECT_LE(m.keys(), 10u);
  MessageRecord b;
  b.sender = "";
  b.returned_message_ids = {"spring@example.org"};
  b.last_seen = 20 * kUsPerSecond;
  EXPECT_EQ(m.Recognize(b), AnswerKind::kMessageId) << "the newsletter is remembered";
}

// The organisation is the name registered under a public suffix (the
// Public Suffix List): a short name under a country code is one (helper-89:
// "mout.bmw.de" was taken for an organisation of its own, as if "bmw.de"
// were "co.uk", so its notices to our mail sent to "@bmw.de" were not
// answers and its server was blocked), and so is a name a registry of the
// list's private part sold (helper-90: with the ICANN part alone every
// *.com.de host was one organisation).
TEST(Answers, OrgDomainIsTheNameRegisteredUnderAPublicSuffix) {
  const struct {
    std::string host;
    const char* want;
  } kCases[] = {{"mail-sor-f69.google.com", "google.com"},
                {"aspmx.l.google.com.", "google.com"},
                {"X.Mail.Protection.Outlook.COM", "outlook.com"},
                {"mx.example.co.uk", "example.co.uk"},
                {"example.de", "example.de"},
                {"mout.bmw.de", "bmw.de"},
                {"mx01.web.de", "web.de"},
                {"smtp.orf.at", "orf.at"},
                {"mail.city.kawasaki.jp", "city.kawasaki.jp"},
                {"relay.mail.example.com.au", "example.com.au"},
                {"a.b.c.example.gov.uk", "example.gov.uk"},
                {"mx.example.xn--p1ai", "example.xn--p1ai"},
                {"mail.partner.com.de", "partner.com.de"},  // a registry of the list's private part
                {"mx.attacker.msk.ru", "attacker.msk.ru"},
                {"ec2-192-0-2-1.compute-1.amazonaws.com", "ec2-192-0-2-1.compute-1.amazonaws.com"},
                {"co.uk", "co.uk"},
                // An SMTPUTF8 address's domain is its servers' (punycode) name.
                {"mx.caf\xc3\xa9.example", "xn--caf-dma.example"},
                {"M\xc3\xbcller.de", "xn--mller-kva.de"},
                {"mout.xn--mller-kva.de", "xn--mller-kva.de"},
                {"mx.caf\xe9.example", "caf\xe9.example"},  // not UTF-8: by its labels
                // A label IDNA2008 refuses (a snowman) stays; the others are converted.
                {"x.\xe2\x98\x83.m\xc3\xbcller.de", "xn--mller-kva.de"},
                {"\xe2\x98\x83.mx.bmw.de", "bmw.de"},         // the list for the plain labels
                {"mx." + std::string(250, 'a') + ".de", ""},  // longer than DNS allows
                // A NUL byte: not read as the end of the name (helper-91).
                {std::string("m\xc3\xbcller.de\0x.attacker.example", 29), "attacker.example"},
                {"unknown", ""},
                {"192.0.2.1", ""},
                {"localhost", ""}};
  for (const auto& c : kCases) EXPECT_EQ(OrgDomain(c.host), c.want) << c.host;
}

TEST(Answers, MemoryStaysWithinItsBoundAndForgetsAfterTheWindow) {
  AnswerOptions ao;
  ao.max_keys = 100;
  ao.window = 3600 * kUsPerSecond;
  OutboundMemory m(ao);
  for (int i = 0; i < 10000; ++i) {
    MessageRecord r;
    r.sender = "u" + std::to_string(i) + "@example.org";
    r.message_id = "m" + std::to_string(i) + "@example.org";
    r.last_seen = i * kUsPerSecond;
    r.recipients.push_back({});
    r.recipients[0].address = "x@d" + std::to_string(i) + ".test";
    r.recipients[0].relay = "mx.d.test[192.0.2.9]:25";
    r.recipients[0].outcome = Outcome::kDelivered;
    r.recipients[0].time = i * kUsPerSecond;
    ASSERT_TRUE(m.Learn(r, r.recipients[0]));
    ASSERT_LE(m.keys(), 100u);
  }
  MessageRecord b;
  b.sender = "";
  b.returned_message_ids = {"m9999@example.org"};
  b.last_seen = 10000 * kUsPerSecond;
  EXPECT_EQ(m.Recognize(b), AnswerKind::kMessageId) << "the newest is kept";
  b.returned_message_ids = {"m9998@example.org"};
  b.last_seen = (10000 + 7200) * kUsPerSecond;
  EXPECT_EQ(m.Recognize(b), AnswerKind::kNone) << "forgotten after the window";
}

}  // namespace
}  // namespace mailtrail

namespace mailtrail {
namespace {

// Auto-replies and receipts in the recipient's language, Exchange's delay
// notice, a ticket system's acknowledgement: words before our subject that
// NormalizeSubject does not know. A newsletter to recipients whose inbound
// filter and outbound mail are two organisations (Proofpoint in, Exchange
// Online out) is answered by its subject only (helper-93: 38 of 45 wrappers
// blocked Exchange Online's shared outbound IPs).
TEST(Answers, AutoRepliesInAnyLanguageAnswerOurMail) {
  const std::vector<std::string> wrappers = {
      "Automatisk svar: ",        "Resposta automática: ", "自动回复: ",
      "Automatyczna odpowiedź: ", "Delivery delayed: ",    "Return Receipt (displayed) - ",
      "[Ticket #4711] Re: "};
  DetectorOptions o;
  o.ip_bounces = 1000;
  o.subject_bounces = 10;
  FloodDetector d(o);
  TrackerHarness h(AtRemoved());
  Wire(&h, &d);
  for (int i = 0; i < 28; ++i)
    h.Feed(Sent("5B0000" + std::to_string(1000 + i), i / 10,
                "u" + std::to_string(i) + "@customer" + std::to_string(i) + ".example",
                "mx0a-001.pphosted.com[148.163.150.10]:25", "Example News December"));
  for (int i = 0; i < 28; ++i)
    h.Feed(Notice("6C0000" + std::to_string(1000 + i), 20 + i, kMsOut,
                  "40.107." + std::to_string(i % 4) + ".2",
                  wrappers[i % wrappers.size()] + "Example News December", ""));
  std::vector<Decision> out;
  for (const auto& r : h.records()) d.OnRecord(r, &out);
  EXPECT_TRUE(out.empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
  EXPECT_EQ(d.answers(AnswerKind::kSubject), 28);
  EXPECT_EQ(d.bounces(), 0);
}

// What a wrapper may leave of an answer's subject: at least 12 bytes of
// ours, after at most 3 words (helper-97: more let a phishing wrapper in).
TEST(Answers, AWrapperLeavesOurWholeSubjectOrNoAnswer) {
  OutboundMemory m;
  auto sent = [&](const std::string& subject) {
    MessageRecord r = Relayed(0, 0);
    r.message_id.reset();
    r.subject = subject;
    EXPECT_TRUE(m.Learn(r, r.recipients[0]));
  };
  auto answers = [&](const std::string& subject) {
    MessageRecord r = Dsn("unknown", "192.0.2.9", "news@example.org", 1);
    r.subject = subject;
    return m.Recognize(r) == AnswerKind::kSubject;
  };
  sent("Hi all");
  sent("Quarterly results are out");
  EXPECT_FALSE(answers("Automatisk svar: Hi all"));  // 6 bytes of ours
  EXPECT_TRUE(answers("Automatisk svar: Quarterly results are out"));
  EXPECT_TRUE(answers("Return Receipt (displayed) - Quarterly results are out"));
  EXPECT_FALSE(answers("URGENT Action required today: Quarterly results are out"));
  EXPECT_FALSE(answers("Automatisk svar: Quarterly results are out today"));
  EXPECT_FALSE(answers("Automatisk svar: results are out"));
}

// Inbound mail an alias forwards out is relayed too, and its From: is the
// sender's to forge: only mail submitted here (pickup, SASL, loopback)
// learns its From: (helper-97: a forged From: of ours on one forwarded
// message excused a whole campaign's backscatter).
TEST(Answers, OnlyMailSubmittedHereSpeaksForItsFromAddress) {
  auto answered = [](bool sasl, bool forwarded_copy = false) {
    OutboundMemory m;
    MessageRecord r = Relayed(0, 0);
    r.sender = "x@evil.test";
    r.header_from = "\"CEO\" <ceo@example.org>";
    r.has_client = !forwarded_copy;
    if (!forwarded_copy) r.client_ip = "203.0.113.66";
    if (forwarded_copy) r.parent_qid = "4A1B2C3D4E";  // local(8): "forwarded as"
    if (sasl) r.sasl_username = "ceo";
    EXPECT_TRUE(m.Learn(r, r.recipients[0]));
    MessageRecord bounce = Dsn("unknown", "192.0.2.9", "ceo@example.org", 1);
    bounce.subject = "Undeliverable: Spring offers";
    return m.Recognize(bounce) == AnswerKind::kSubject;
  };
  EXPECT_FALSE(answered(false));
  EXPECT_TRUE(answered(true));
  EXPECT_FALSE(answered(false, /*forwarded_copy=*/true));  // helper-98
}

// Lines of a message from `sender` with header From: `from`, relayed to
// `rcpt` at a Proofpoint-filtered customer.
std::vector<std::string> SentAs(const std::string& q, int at, const std::string& sender,
                                const std::string& from, const std::string& rcpt,
                                const std::string& subject) {
  const std::string t = Stamp(at);
  const std::string tr = " from local; from=<" + sender + "> to=<" + rcpt + ">";
  return {
      t + "postfix/pickup[10]: " + q + ": uid=1001 from=<" + sender + ">",
      t + "postfix/cleanup[11]: " + q + ": info: header Subject: " + subject + tr,
      t + "postfix/cleanup[11]: " + q + ": info: header From: <" + from + ">" + tr,
      t + "postfix/cleanup[11]: " + q + ": message-id=<" + q + "@example.org>",
      t + "postfix/qmgr[12]: " + q + ": from=<" + sender + ">, size=900, nrcpt=1 (queue active)",
      t + "postfix/smtp[13]: " + q + ": to=<" + rcpt +
          ">, relay=mx0a-001.pphosted.com[148.163.150.10]:25, delay=1, "
          "delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
      t + "postfix/qmgr[12]: " + q + ": removed"};
}

// A notice from `host[ip]` to `to` with `subject`.
std::vector<std::string> NoticeTo(const std::string& q, int at, const std::string& host,
                                  const std::string& ip, const std::string& to,
                                  const std::string& subject) {
  std::vector<std::string> v = Notice(q, at, host, ip, subject, "");
  for (std::string& line : v)
    for (size_t p = 0; (p = line.find("news@example.org", p)) != std::string::npos; p += to.size())
      line.replace(p, 16, to);
  return v;
}

// Newsletters go out with a bounce address of their own (bounces@, VERP's
// list-bounces+user=domain@) while people reply to From: (helper-93: every
// auto-reply to news@ of mail sent as bounces@ counted, and blocked Exchange
// Online's IPs). A subject answer is to the envelope sender or the From:
// address (header_checks logs it), either without its extension; a domain
// answer to the envelope sender's base address.
TEST(Answers, RepliesToTheFromOrAVerpAddressAnswerOurMail) {
  DetectorOptions o;
  o.ip_bounces = 1000;
  o.subject_bounces = 10;
  FloodDetector d(o);
  TrackerHarness h(AtRemoved());
  Wire(&h, &d);
  for (int i = 0; i < 20; ++i) {
    const std::string n = std::to_string(1000 + i);
    const std::string rcpt = "u" + std::to_string(i) + "@customer" + std::to_string(i) + ".example";
    h.Feed(SentAs("5B0000" + n, 0, "bounces@example.org", "news@example.org", rcpt,
                  "Example News December"));
    h.Feed(SentAs("5C0000" + n, 0, "list-bounces@example.org", "list@example.org", rcpt,
                  "Members digest"));
  }
  for (int i = 0; i < 20; ++i) {
    const std::string n = std::to_string(1000 + i);
    h.Feed(NoticeTo("6C0000" + n, 20 + i, kMsOut, "40.107.1.2", "news@example.org",
                    "Automatic reply: Example News December"));
    // VERP: to the recipient's own return path, from its filter's host.
    h.Feed(NoticeTo("6D0000" + n, 40 + i, "mx0b-001.pphosted.com", "148.163.150.11",
                    "list-bounces+u" + std::to_string(i) + "=customer" + std::to_string(i) +
                        ".example@example.org",
                    "Undelivered Mail Returned to Sender"));
  }
  std::vector<Decision> out;
  for (const auto& r : h.records()) d.OnRecord(r, &out);
  EXPECT_TRUE(out.empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
  EXPECT_EQ(d.answers(AnswerKind::kSubject), 20);
  EXPECT_EQ(d.answers(AnswerKind::kDomain), 20);
  EXPECT_EQ(d.bounces(), 0);
}

// FILTER_README's re-injection has header_checks off: the leg relayed out
// logs no Subject; its first leg, handed to amavis, did (helper-93: every
// auto-reply to mail sent through the filter counted).
TEST(Answers, MailThroughAContentFilterIsAnsweredByItsSubject) {
  DetectorOptions o;
  o.ip_bounces = 1000;
  o.subject_bounces = 10;
  FloodDetector d(o);
  TrackerHarness h(AtRemoved());
  Wire(&h, &d);
  for (int i = 0; i < 20; ++i) {
    const std::string p = "9A0000" + std::to_string(1000 + i),
                      c = "9B0000" + std::to_string(1000 + i);
    const std::string rcpt = "u" + std::to_string(i) + "@customer" + std::to_string(i) + ".example";
    const std::string t = Stamp(i);
    h.Feed({t + "postfix/pickup[10]: " + p + ": uid=1001 from=<news@example.org>",
            t + "postfix/cleanup[11]: " + p +
                ": info: header Subject: Example News December from local; "
                "from=<news@example.org> to=<" +
                rcpt + ">",
            t + "postfix/cleanup[11]: " + p + ": message-id=<" + p + "@example.org>",
            t + "postfix/qmgr[12]: " + p +
                ": from=<news@example.org>, size=900, nrcpt=1 (queue active)",
            t + "postfix/smtpd[30]: " + c + ": client=localhost[127.0.0.1], orig_queue_id=" + p +
                ", orig_client=localhost[127.0.0.1]",
            t + "postfix/cleanup[11]: " + c + ": message-id=<" + p + "@example.org>",
            t + "postfix/qmgr[12]: " + c +
                ": from=<news@example.org>, size=1200, nrcpt=1 (queue active)",
            t + "postfix/smtp[13]: " + p + ": to=<" + rcpt +
                ">, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, "
                "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: "
                "queued as " +
                c + ")",
            t + "postfix/qmgr[12]: " + p + ": removed",
            t + "postfix/smtp[14]: " + c + ": to=<" + rcpt +
                ">, relay=mx0a-001.pphosted.com[148.163.150.10]:25, delay=1, "
                "delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
            t + "postfix/qmgr[12]: " + c + ": removed"});
  }
  for (int i = 0; i < 20; ++i)
    h.Feed(Notice("6C0000" + std::to_string(1000 + i), 40 + i, kMsOut, "40.107.1.2",
                  "Automatic reply: Example News December", ""));
  std::vector<Decision> out;
  for (const auto& r : h.records()) d.OnRecord(r, &out);
  EXPECT_TRUE(out.empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
  EXPECT_EQ(d.answers(AnswerKind::kSubject), 20);
  EXPECT_EQ(d.bounces(), 0);
}

}  // namespace
}  // namespace mailtrail
