// Summary: counts, top lists in order, and untrusted text kept as data in both
// renderings.
#include "agent/report/summary.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

MessageRecord Queued(const std::string& qid, const std::string& sender,
                     std::vector<std::pair<std::string, Outcome>> rcpts) {
  MessageRecord r;
  r.qid = qid;
  r.first_seen = r.last_seen = int64_t{1795780800} * 1000000;  // 2026-11-27T12:00:00Z
  r.sender = sender;
  r.size = 1000;
  r.has_client = true;
  r.client_ip = "192.0.2.1";
  r.client_host = "unknown";
  r.outcome = Outcome::kDelivered;
  for (auto& [address, outcome] : rcpts) {
    RecipientRecord rc;
    rc.address = address;
    rc.outcome = outcome;
    r.recipients.push_back(rc);
  }
  return r;
}

TEST(Summary, CountsAndOrdersTheTopLists) {
  Summary s;
  s.Add(Queued("A1", "b@x.test", {{"u@one.test", Outcome::kDelivered}}));
  s.Add(Queued("A2", "A@x.test", {{"v@two.test", Outcome::kBounced}}));
  s.Add(Queued("A3", "a@x.test", {{"U@ONE.test", Outcome::kDelivered}}));
  s.Add(Queued("A4", "", {{"w@two.test", Outcome::kDelivered}}));
  EXPECT_EQ(s.records(), 4);
  EXPECT_EQ(s.bytes_received(), 4000);
  EXPECT_EQ(s.senders(), 3u);        // a@ (any case), b@, <>
  EXPECT_EQ(s.sending_hosts(), 1u);  // "unknown" names: by address
  EXPECT_EQ(s.recipient_addresses(), 3u);
  EXPECT_EQ(s.recipient_domains(), 2u);
  EXPECT_EQ(s.recipients()[static_cast<int>(Outcome::kBounced)], 1);
  const Summary::Top senders = s.TopSenders(2);
  ASSERT_EQ(senders.size(), 2u);
  EXPECT_EQ(senders[0], (std::pair<int64_t, std::string>{2, "a@x.test"}));
  EXPECT_EQ(senders[1], (std::pair<int64_t, std::string>{1, "<>"}));  // ties by key
  EXPECT_EQ(s.DomainOutcomes("two.test")[static_cast<int>(Outcome::kBounced)], 1);
  EXPECT_EQ(s.hours().at(int64_t{1795780800} * 1000000), 4);
  EXPECT_NE(SummaryText(s, 3).find("2026-11-27T12:00         4"), std::string::npos);
}

TEST(Summary, BouncesBySubjectAreNoticesAndBouncedMessages) {
  const TimeUs hour = int64_t{1795780800} * 1000000;
  Summary s;
  MessageRecord notice = Queued("N1", "", {{"a@x.test", Outcome::kDelivered}});
  notice.subject = "Undelivered Mail Returned to Sender";
  MessageRecord bounced = Queued("B1", "b@x.test", {{"c@y.test", Outcome::kBounced}});
  bounced.outcome = Outcome::kBounced;
  bounced.subject = "Undelivered Mail Returned to Sender";
  MessageRecord plain = Queued("P1", "d@x.test", {{"e@y.test", Outcome::kDelivered}});
  plain.subject = "hello";
  for (const MessageRecord* r : {&notice, &bounced, &plain}) s.Add(*r);
  const Summary::Top want = {{2, "Undelivered Mail Returned to Sender"}};
  EXPECT_EQ(s.TopBounceSubjects(10), want);
  EXPECT_EQ(s.hour_outcomes().at(hour)[static_cast<int>(Outcome::kDelivered)], 2);
  EXPECT_EQ(s.hour_outcomes().at(hour)[static_cast<int>(Outcome::kBounced)], 1);
  const auto j = nlohmann::json::parse(SummaryJson(s, 10));
  EXPECT_EQ(j.at("top_bounce_subjects").at(0).at("count"), 2);
  EXPECT_EQ(j.at("hours_by_outcome").at("2026-11-27T12").at("bounced"), 1);
}

// A recipient handed to a content filter is counted once, where it ended: on
// the leg the filter re-injected (a real Postfix 3.7's log, helper-92). Each
// was counted twice, the hop into the filter as a delivery.
TEST(Summary, ARecipientIsCountedOnceWhereItEnded) {
  TrackerHarness h;
  h.Feed({
      "Dec 06 14:55:23 mx postfix/smtpd[13039]: 9F1F3A72114: client=unknown[192.0.2.20]",
      "Dec 06 14:55:23 mx postfix/qmgr[12820]: 9F1F3A72114: from=<alice@hosted.test>, "
      "size=361, nrcpt=2 (queue active)",
      "Dec 06 14:55:23 mx postfix/smtpd[13046]: ADAC8A72128: client=unknown[127.0.0.11]",
      "Dec 06 14:55:23 mx postfix/qmgr[12820]: ADAC8A72128: from=<alice@hosted.test>, "
      "size=518, nrcpt=2 (queue active)",
      "Dec 06 14:55:23 mx postfix/smtp[13043]: 9F1F3A72114: to=<vera@hosted.test>, "
      "relay=127.0.0.11[127.0.0.11]:10024, delay=0.08, delays=0.01/0.01/0/0.06, dsn=2.0.0, "
      "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.10]:10025): 250 2.0.0 Ok: queued as "
      "ADAC8A72128)",
      "Dec 06 14:55:23 mx postfix/smtp[13043]: 9F1F3A72114: to=<pat@partner.test>, "
      "relay=127.0.0.11[127.0.0.11]:10024, delay=0.08, delays=0.01/0.01/0/0.06, dsn=2.0.0, "
      "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.10]:10025): 250 2.0.0 Ok: queued as "
      "ADAC8A72128)",
      "Dec 06 14:55:23 mx postfix/qmgr[12820]: 9F1F3A72114: removed",
      "Dec 06 14:55:23 mx postfix/virtual[13049]: ADAC8A72128: to=<vera@hosted.test>, "
      "relay=virtual, delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent (delivered to "
      "maildir)",
      "Dec 06 14:55:23 mx postfix/smtp[13048]: ADAC8A72128: to=<pat@partner.test>, "
      "relay=127.0.0.12[127.0.0.12]:25, delay=0.06, delays=0/0.01/0/0.04, dsn=5.1.1, "
      "status=bounced (host 127.0.0.12[127.0.0.12] said: 550 5.1.1 no such user)",
      "Dec 06 14:55:23 mx postfix/qmgr[12820]: ADAC8A72128: removed",
      // postsuper -r of a deferred message: its recipient went on as 5C2D310A00C.
      "Dec 06 14:56:00 mx postfix/smtpd[3701]: 3A1B210A00B: client=mail.ext.test[192.0.2.10]",
      "Dec 06 14:56:00 mx postfix/qmgr[900]: 3A1B210A00B: from=<s@ext.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Dec 06 14:56:01 mx postfix/smtp[3702]: 3A1B210A00B: to=<c@far.test>, relay=none, "
      "delay=1, delays=0.5/0/0.5/0, dsn=4.4.1, status=deferred (connect to "
      "mx.far.test[198.51.100.1]:25: Connection refused)",
      "Dec 06 14:57:00 mx postfix/postsuper[3710]: 3A1B210A00B: requeued",
      "Dec 06 14:57:01 mx postfix/pickup[3711]: 5C2D310A00C: uid=108 from=<s@ext.test> "
      "orig_id=3A1B210A00B",
      "Dec 06 14:57:01 mx postfix/qmgr[900]: 5C2D310A00C: from=<s@ext.test>, size=950, "
      "nrcpt=1 (queue active)",
      "Dec 06 14:57:02 mx postfix/smtp[3712]: 5C2D310A00C: to=<c@far.test>, "
      "relay=mx.far.test[198.51.100.1]:25, delay=1, delays=0.5/0/0.5/0, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok)",
      "Dec 06 14:57:02 mx postfix/qmgr[900]: 5C2D310A00C: removed",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 4u);
  Summary s;
  for (const MessageRecord& r : h.records()) s.Add(r);
  const auto recipients = [&s](Outcome o) { return s.recipients()[static_cast<int>(o)]; };
  EXPECT_EQ(recipients(Outcome::kDelivered), 2) << "vera's and c@'s final deliveries";
  EXPECT_EQ(recipients(Outcome::kBounced), 1);
  EXPECT_EQ(recipients(Outcome::kDeferred), 0) << "the requeued one went on";
  EXPECT_EQ(s.DomainOutcomes("partner.test")[static_cast<int>(Outcome::kDelivered)], 0);
  EXPECT_EQ(s.DomainOutcomes("hosted.test")[static_cast<int>(Outcome::kDelivered)], 1);
  EXPECT_EQ(s.recipient_addresses(), 3u);
  // Each queue file is a message queued, as pflogsumm's "received" counts it.
  EXPECT_EQ(s.records(), 4);
}

// Only the recipient that went on is counted on the next leg: another one of
// the same message, delivered over LMTP on the loopback's port 24, stays
// counted when its sibling is forwarded (.forward) or requeued (helper-99:
// the whole message's link made every loopback delivery in it a hop).
TEST(Summary, ASiblingOfARecipientThatWentOnIsCounted) {
  TrackerHarness h;
  h.Feed({
      "Dec 06 16:00:01 mx postfix/smtpd[5001]: 1A2B3C4D5E: client=mail.sender.test[192.0.2.10]",
      "Dec 06 16:00:01 mx postfix/qmgr[5003]: 1A2B3C4D5E: from=<bob@sender.test>, size=1000, "
      "nrcpt=2 (queue active)",
      "Dec 06 16:00:02 mx postfix/lmtp[5004]: 1A2B3C4D5E: to=<ann@example.test>, "
      "relay=127.0.0.1[127.0.0.1]:24, delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent "
      "(250 2.0.0 <ann@example.test> kXyLBqJ0b2bDEwAAHqN0Aw Saved)",
      "Dec 06 16:00:02 mx postfix/qmgr[5003]: 2B3C4D5E6F: from=<bob@sender.test>, size=1100, "
      "nrcpt=1 (queue active)",
      "Dec 06 16:00:02 mx postfix/local[5005]: 1A2B3C4D5E: to=<carl@example.test>, "
      "relay=local, delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (forwarded as "
      "2B3C4D5E6F)",
      "Dec 06 16:00:02 mx postfix/qmgr[5003]: 1A2B3C4D5E: removed",
      "Dec 06 16:00:03 mx postfix/smtp[5006]: 2B3C4D5E6F: to=<carl@elsewhere.test>, "
      "orig_to=<carl@example.test>, relay=mx.elsewhere.test[198.51.100.7]:25, delay=1, "
      "delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F9F9F)",
      "Dec 06 16:00:03 mx postfix/qmgr[5003]: 2B3C4D5E6F: removed",
      "Dec 06 16:00:01 mx postfix/smtpd[5001]: 3A2B3C4D5E: client=mail.sender.test[192.0.2.10]",
      "Dec 06 16:00:01 mx postfix/qmgr[5003]: 3A2B3C4D5E: from=<bob@sender.test>, size=1000, "
      "nrcpt=2 (queue active)",
      "Dec 06 16:00:02 mx postfix/lmtp[5004]: 3A2B3C4D5E: to=<ann@example.test>, "
      "relay=127.0.0.1[127.0.0.1]:24, delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent "
      "(250 2.0.0 <ann@example.test> kXyLBqJ0b2bDEwAAHqN0Aw Saved)",
      "Dec 06 16:00:03 mx postfix/smtp[5006]: 3A2B3C4D5E: to=<dan@remote.test>, "
      "relay=mx.remote.test[198.51.100.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.3.0, "
      "status=deferred (host mx.remote.test[198.51.100.9] said: 451 4.3.0 try again later)",
      "Dec 06 16:10:00 mx postfix/postsuper[5010]: 3A2B3C4D5E: requeued",
      "Dec 06 16:10:01 mx postfix/pickup[5011]: 4B5C6D7E8F: uid=107 from=<bob@sender.test> "
      "orig_id=3A2B3C4D5E",
      "Dec 06 16:10:01 mx postfix/qmgr[5003]: 4B5C6D7E8F: from=<bob@sender.test>, size=1000, "
      "nrcpt=1 (queue active)",
      "Dec 06 16:10:02 mx postfix/smtp[5006]: 4B5C6D7E8F: to=<dan@remote.test>, "
      "relay=mx.remote.test[198.51.100.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as 77AA)",
      "Dec 06 16:10:02 mx postfix/qmgr[5003]: 4B5C6D7E8F: removed",
  });
  h.Flush();
  Summary s;
  for (const MessageRecord& r : h.records()) s.Add(r);
  // ann twice (LMTP), carl's hop and final delivery (as pflogsumm's
  // delivered + forwarded), dan once (on the requeued leg).
  EXPECT_EQ(s.recipients()[static_cast<int>(Outcome::kDelivered)], 5);
  EXPECT_EQ(s.recipients()[static_cast<int>(Outcome::kDeferred)], 0);
}

// Deferral reasons group the recipients of one cause: the remote's reply
// without its host (the relay column names it) and without the recipient's
// address; a suspended delivery is its first failure's reason.
TEST(Summary, DeferralReasonsAreByRelayAndCause) {
  EXPECT_EQ(DeferralReason("host mx.remote.test[127.0.0.3] said: 451 4.3.0 <defer3@remote.test>: "
                           "Recipient address rejected: temporary failure (in reply to RCPT TO "
                           "command)"),
            "451 4.3.0 <>: Recipient address rejected: temporary failure (in reply to RCPT TO "
            "command)");
  EXPECT_EQ(DeferralReason("delivery temporarily suspended: connect to mx.dead.test[127.0.0.4]:25: "
                           "Connection refused"),
            "connect to mx.dead.test[127.0.0.4]:25: Connection refused");
  EXPECT_EQ(DeferralReason(""), "(no reason)");
  EXPECT_EQ(DeferralReason("<a<b@c> <d e@f>"), "<a<> <d e@f>");
  EXPECT_EQ(DeferralReason(std::string(100000, '<')), std::string(160, '<'));  // linear
  EXPECT_EQ(DeferralReason(std::string(5000, '<') + ">"), std::string(160, '<'));
  EXPECT_EQ(DeferralReason("<>: x <a b> <c@d"), "<>: x <a b> <c@d");        // no address to drop
  EXPECT_EQ(DeferralReason("host a b[1] said: x"), "host a b[1] said: x");  // not a host name
  const std::string long_text = "conversation timed out " + std::string(200, 'x') + "\xC3\xA9";
  EXPECT_EQ(DeferralReason(long_text), long_text.substr(0, 160));
  EXPECT_EQ(DeferralReason(std::string(159, 'y') + "\xC3\xA9"), std::string(159, 'y'));

  Summary s;
  auto add = [&](const char* qid, const char* rcpt, Outcome outcome, const char* relay,
                 const char* text) {
    MessageRecord r = Queued(qid, "a@x.test", {{rcpt, outcome}});
    r.recipients[0].relay = relay;
    r.recipients[0].status_text = text;
    s.Add(r);
  };
  add("D1", "d1@remote.test", Outcome::kDeferred, "mx.remote.test[127.0.0.3]:25",
      "host mx.remote.test[127.0.0.3] said: 451 4.3.0 <d1@remote.test>: try later");
  add("D2", "d2@remote.test", Outcome::kExpired, "mx.remote.test[127.0.0.3]:25",
      "host mx.remote.test[127.0.0.3] said: 451 4.3.0 <d2@remote.test>: try later");
  add("D3", "d3@dead.test", Outcome::kDeferred, "",
      "connect to mx.dead.test[127.0.0.4]:25: Connection refused");
  add("B1", "b1@remote.test", Outcome::kBounced, "mx.remote.test[127.0.0.3]:25",
      "host mx.remote.test[127.0.0.3] said: 550 5.1.1 no such user");
  add("S1", "s1@remote.test", Outcome::kDelivered, "mx.remote.test[127.0.0.3]:25", "250 ok");
  const Summary::Top want = {{2, "mx.remote.test[127.0.0.3]:25 451 4.3.0 <>: try later"},
                             {1, "none connect to mx.dead.test[127.0.0.4]:25: Connection refused"}};
  EXPECT_EQ(s.TopDeferralReasons(10), want);
  const auto j = nlohmann::json::parse(SummaryJson(s, 10));
  const auto& first = j.at("top_deferral_reasons").at(0);
  EXPECT_EQ(first.at("relay"), "mx.remote.test[127.0.0.3]:25");
  EXPECT_EQ(first.at("reason"), "451 4.3.0 <>: try later");
  EXPECT_EQ(first.at("count"), 2);
  EXPECT_EQ(j.at("top_deferral_reasons").size(), 2u);
  EXPECT_NE(SummaryText(s, 10).find("Deferral reasons"), std::string::npos);
}

TEST(Summary, HostileTextStaysData) {
  Summary s;
  s.Add(Queued("A1", "evil\x1b[31m\"},{\"x@y", {{"a\nb@t\"est", Outcome::kDeferred}}));
  MessageRecord rej;
  rej.outcome = Outcome::kRejected;
  rej.reject = RejectInfo{"reject", "RCPT", 554, "5.7.1\r\nInjected: yes", "no"};
  rej.client_ip = "198.51.100.9";
  s.Add(rej);
  const std::string text = SummaryText(s, 10);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find("\nInjected"), std::string::npos) << text;
  const auto j = nlohmann::json::parse(SummaryJson(s, 10));
  EXPECT_EQ(j.at("top_senders").at(0).at("key"), "evil\x1b[31m\"},{\"x@y");
  EXPECT_EQ(j.at("recipients").at("deferred"), 1);
  EXPECT_EQ(j.at("top_reject_reasons").at(0).at("key"), "reject RCPT 554 5.7.1\r\nInjected: yes");
  EXPECT_EQ(j.at("top_rejected_clients").at(0).at("key"), "198.51.100.9");
}

}  // namespace
}  // namespace mailtrail
