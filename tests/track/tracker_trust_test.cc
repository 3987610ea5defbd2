// Tracker scenarios from real Postfix logs that once gave wrong records: a
// queue id reused within the grace period, postscreen connections, amavis
// results without a Queue-ID, a message with several notices, and hostile text
// that imitated other fields (docs/testing.md, "What real logs found").
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "agent/detect/flood_detector.h"
#include "agent/replay/line_stats.h"
#include "tests/support/corpus.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

std::vector<const MessageRecord*> All(TrackerHarness& h, const std::string& qid) {
  std::vector<const MessageRecord*> out;
  for (const auto& r : h.records())
    if (r.qid == qid) out.push_back(&r);
  return out;
}

// Postfix removed an NDR and gave its queue id to a new message 3 s later.
TEST(TrackerTrust, QueueIdReusedWithinTheGracePeriodBeginsANewRecord) {
  for (bool live : {false, true}) {
    TrackerOptions o;
    o.emit_at_removed = live;
    TrackerHarness h(o);
    h.Feed({
        "Nov 27 10:00:01 mx postfix/cleanup[100]: 3F2A110A301: "
        "message-id=<20261127100001.3F2A110A301@mx.example.org>",
        "Nov 27 10:00:01 mx postfix/bounce[101]: 77AB110A999: sender non-delivery notification: "
        "3F2A110A301",
        "Nov 27 10:00:01 mx postfix/qmgr[102]: 3F2A110A301: from=<>, size=2896, nrcpt=1 (queue "
        "active)",
        "Nov 27 10:00:01 mx postfix/local[103]: 3F2A110A301: to=<ann@example.org>, relay=local, "
        "delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
        "Nov 27 10:00:01 mx postfix/qmgr[102]: 3F2A110A301: removed",
        "Nov 27 10:00:04 mx postfix/smtpd[104]: 3F2A110A301: client=unknown[192.0.2.27]",
        "Nov 27 10:00:04 mx postfix/cleanup[100]: 3F2A110A301: message-id=<abc.123@friend.example>",
        "Nov 27 10:00:04 mx postfix/qmgr[102]: 3F2A110A301: from=<support@friend.example>, "
        "size=2007, nrcpt=1 (queue active)",
        "Nov 27 10:00:04 mx postfix/local[103]: 3F2A110A301: to=<bob@example.org>, relay=local, "
        "delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
        "Nov 27 10:00:04 mx postfix/qmgr[102]: 3F2A110A301: removed",
    });
    h.Flush();
    const auto recs = All(h, "3F2A110A301");
    ASSERT_EQ(recs.size(), 2u) << "live=" << live;
    const MessageRecord& ndr = *recs[0];
    const MessageRecord& next = *recs[1];
    EXPECT_EQ(ndr.sender.value_or("?"), "");
    EXPECT_EQ(ndr.size, 2896);
    EXPECT_EQ(ndr.ndr_of, "77AB110A999");
    EXPECT_FALSE(ndr.has_client);
    ASSERT_EQ(ndr.recipients.size(), 1u);
    EXPECT_EQ(ndr.recipients[0].address, "ann@example.org");
    EXPECT_EQ(next.client_ip, "192.0.2.27");
    EXPECT_EQ(next.message_id.value_or("?"), "abc.123@friend.example");
    EXPECT_EQ(next.sender.value_or("?"), "support@friend.example");
    EXPECT_EQ(next.size, 2007);
    EXPECT_TRUE(next.ndr_of.empty());
    ASSERT_EQ(next.recipients.size(), 1u);
    EXPECT_EQ(next.recipients[0].address, "bob@example.org");
  }
}

// A line that can come late (a delivery agent's, after qmgr's "removed") still
// joins the removed message; a qmgr "from=" or a cleanup line does not.
TEST(TrackerTrust, OnlyLinesThatCanComeLateJoinARemovedMessage) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 10:00:01 mx postfix/pickup[1]: 5B5B110A301: uid=0 from=<root@example.org>",
      "Nov 27 10:00:01 mx postfix/qmgr[2]: 5B5B110A301: from=<root@example.org>, size=300, "
      "nrcpt=1 (queue active)",
      "Nov 27 10:00:01 mx postfix/qmgr[2]: 5B5B110A301: removed",
      "Nov 27 10:00:01 mx postfix/local[3]: 5B5B110A301: to=<ann@example.org>, relay=local, "
      "delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 10:00:03 mx postfix/cleanup[4]: 5B5B110A301: message-id=<new@example.org>",
      "Nov 27 10:00:03 mx postfix/qmgr[2]: 5B5B110A301: from=<other@example.org>, size=400, "
      "nrcpt=1 (queue active)",
  });
  h.Flush();
  const auto recs = All(h, "5B5B110A301");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0]->outcome, Outcome::kDelivered);
  EXPECT_EQ(recs[0]->sender.value_or("?"), "root@example.org");
  EXPECT_FALSE(recs[0]->message_id.has_value());
  EXPECT_EQ(recs[1]->message_id.value_or("?"), "new@example.org");
  EXPECT_EQ(recs[1]->sender.value_or("?"), "other@example.org");
  EXPECT_EQ(recs[1]->size, 400);
}

// bounce(8) may log a notice's new queue id after that notice was delivered
// and removed (corpus 08): the notice is still that record, not a new one.
TEST(TrackerTrust, ANoticeLoggedAfterItsNdrWasRemovedJoinsIt) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:19:09 mx postfix/cleanup[1]: 4jbXXF19HDz8C9b: "
      "message-id=<4jbXXF19HDz8C9b@mx.example.test>",
      "Nov 27 12:19:09 mx postfix/qmgr[2]: 4jbXXF19HDz8C9b: from=<>, size=2626, nrcpt=1 (queue "
      "active)",
      "Nov 27 12:19:09 mx postfix/local[3]: 4jbXXF19HDz8C9b: to=<tara@example.test>, "
      "relay=local, delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (delivered to "
      "mailbox)",
      "Nov 27 12:19:09 mx postfix/qmgr[2]: 4jbXXF19HDz8C9b: removed",
      "Nov 27 12:19:09 mx postfix/bounce[4]: 4jbXVy2RbRz8CBW: sender delay notification: "
      "4jbXXF19HDz8C9b",
  });
  h.Flush();
  const auto recs = All(h, "4jbXXF19HDz8C9b");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0]->sender.value_or("?"), "");
  EXPECT_EQ(recs[0]->ndr_of, "4jbXVy2RbRz8CBW");
  EXPECT_EQ(recs[0]->outcome, Outcome::kDelivered);
}

// postscreen is one process: a client's connections are told apart by port.
TEST(TrackerTrust, PostscreenRejectsAreOneRecordPerConnection) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 10:00:00 mx postfix/postscreen[311]: CONNECT from [198.51.100.7]:40001 to "
      "[192.0.2.1]:25",
      "Nov 27 10:00:06 mx postfix/postscreen[311]: NOQUEUE: reject: RCPT from "
      "[198.51.100.7]:40001: 550 5.7.1 Service unavailable; client [198.51.100.7] blocked using "
      "zen.example; from=<a@spam.example>, to=<u1@example.org>, proto=ESMTP, helo=<spam.example>",
      "Nov 27 10:00:06 mx postfix/postscreen[311]: NOQUEUE: reject: RCPT from "
      "[198.51.100.7]:40001: 550 5.7.1 Service unavailable; client [198.51.100.7] blocked using "
      "zen.example; from=<a@spam.example>, to=<u2@example.org>, proto=ESMTP, helo=<spam.example>",
      "Nov 27 10:00:07 mx postfix/postscreen[311]: DISCONNECT [198.51.100.7]:40001",
      "Nov 27 10:00:40 mx postfix/postscreen[311]: CONNECT from [198.51.100.7]:40333 to "
      "[192.0.2.1]:25",
      "Nov 27 10:00:46 mx postfix/postscreen[311]: NOQUEUE: reject: RCPT from "
      "[198.51.100.7]:40333: 550 5.7.1 Service unavailable; client [198.51.100.7] blocked using "
      "zen.example; from=<a@spam.example>, to=<u3@example.org>, proto=ESMTP, helo=<spam.example>",
      "Nov 27 10:00:47 mx postfix/postscreen[311]: DISCONNECT [198.51.100.7]:40333",
  });
  // Each connection's record is complete at its DISCONNECT, without a flush.
  ASSERT_EQ(h.records().size(), 2u);
  EXPECT_EQ(h.records()[0].recipients.size(), 2u);
  EXPECT_EQ(h.records()[1].recipients.size(), 1u);
  EXPECT_EQ(h.records()[1].recipients[0].address, "u3@example.org");
  for (const auto& r : h.records()) {
    EXPECT_EQ(r.outcome, Outcome::kRejected);
    EXPECT_EQ(r.client_ip, "198.51.100.7");
  }
}

// postscreen writes a domain as the client sent it: one with a space, or an
// imitated trailer, made the line unknown, so a client could keep its rejects
// out of the records. They are recorded now, the client and the reply exact.
TEST(TrackerTrust, AClientCannotKeepItsPostscreenRejectsOutOfTheRecords) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 10:00:00 mx postfix/postscreen[311]: CONNECT from [198.51.100.7]:40001 to "
      "[192.0.2.1]:25",
      "Nov 27 10:00:06 mx postfix/postscreen[311]: NOQUEUE: reject: RCPT from "
      "[198.51.100.7]:40001: 550 5.7.1 Service unavailable; client [198.51.100.7] blocked using "
      "zen.example; from=<a@spam example>, to=<u1@example.org>, proto=ESMTP, helo=<spam.example>",
      "Nov 27 10:00:06 mx postfix/postscreen[311]: NOQUEUE: reject: RCPT from "
      "[198.51.100.7]:40001: 550 5.7.1 Service unavailable; client [198.51.100.7] blocked using "
      "zen.example; from=<a@x>, to=<u2@example.org>, proto=SMTP, helo=<mx.bank.example>, "
      "to=<u3@example.org>, proto=ESMTP, helo=<spam.example>",
      "Nov 27 10:00:07 mx postfix/postscreen[311]: DISCONNECT [198.51.100.7]:40001",
  });
  // Two senders as the lines read them: two records.
  ASSERT_EQ(h.records().size(), 2u);
  for (const MessageRecord& r : h.records()) {
    EXPECT_EQ(r.outcome, Outcome::kRejected);
    EXPECT_EQ(r.client_ip, "198.51.100.7");
    EXPECT_EQ(r.helo, "spam.example") << "the HELO at the line's end is postscreen's";
    ASSERT_EQ(r.recipients.size(), 1u);
  }
  EXPECT_EQ(h.records()[0].sender.value_or("?"), "a@spam example");
  EXPECT_EQ(h.records()[0].recipients[0].address, "u1@example.org");
  EXPECT_EQ(h.records()[1].recipients[0].address, "u3@example.org");
}

// Locally submitted mail: amavis logs no Queue-ID, only Message-ID and queued_as.
const std::vector<std::string> kLocalThroughAmavis = {
    "Nov 27 12:22:40 mx postfix/pickup[1]: 6A1B210A301: uid=0 from=<root@example.test>",
    "Nov 27 12:22:40 mx postfix/cleanup[2]: 6A1B210A301: message-id=<m1@example.test>",
    "Nov 27 12:22:40 mx postfix/qmgr[3]: 6A1B210A301: from=<root@example.test>, size=471, "
    "nrcpt=1 (queue active)",
    "Nov 27 12:22:41 mx postfix/smtpd[4]: 7C2D310A302: client=localhost[127.0.0.1]",
    "Nov 27 12:22:41 mx postfix/cleanup[2]: 7C2D310A302: message-id=<m1@example.test>",
    "Nov 27 12:22:41 mx amavis[19882]: (19882-02) Passed CLEAN {RelayedOutbound}, LOCAL "
    "[127.0.0.1]:36484 <root@example.test> -> <ann@remote.test>, Message-ID: <m1@example.test>, "
    "mail_id: Ab12Cd34, Hits: -0.5, size: 471, queued_as: 7C2D310A302, 293 ms",
    "Nov 27 12:22:41 mx postfix/smtp[5]: 6A1B210A301: to=<ann@remote.test>, "
    "relay=127.0.0.1[127.0.0.1]:10024, delay=0.4, delays=0.01/0/0.01/0.38, dsn=2.0.0, "
    "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as "
    "7C2D310A302)",
    "Nov 27 12:22:41 mx postfix/qmgr[3]: 6A1B210A301: removed",
    // Blocked: nothing re-injected, so no queued_as; the reply names amavis's task.
    "Nov 27 12:22:50 mx postfix/pickup[1]: 8E3F410A303: uid=0 from=<root@example.test>",
    "Nov 27 12:22:50 mx postfix/cleanup[2]: 8E3F410A303: message-id=<m2@example.test>",
    "Nov 27 12:22:50 mx postfix/qmgr[3]: 8E3F410A303: from=<root@example.test>, size=500, "
    "nrcpt=1 (queue active)",
    "Nov 27 12:22:51 mx amavis[19882]: (19882-03) Blocked SPAM {DiscardedOutbound}, LOCAL "
    "[127.0.0.1]:36490 <root@example.test> -> <bo@remote.test>, Message-ID: <m2@example.test>, "
    "mail_id: Ef56Gh78, Hits: 12.5, size: 500, 301 ms",
    "Nov 27 12:22:51 mx postfix/smtp[5]: 8E3F410A303: to=<bo@remote.test>, "
    "relay=127.0.0.1[127.0.0.1]:10024, delay=0.4, delays=0.01/0/0.01/0.38, dsn=2.7.0, "
    "status=sent (250 2.7.0 Ok, discarded, id=19882-03 - spam)",
    "Nov 27 12:22:51 mx postfix/qmgr[3]: 8E3F410A303: removed",
};

TEST(TrackerTrust, AmavisResultsWithoutQueueIdAttachToTheScannedMessage) {
  TrackerHarness h;
  h.Feed(kLocalThroughAmavis);
  h.Flush();
  const MessageRecord* passed = h.One("6A1B210A301");
  const MessageRecord* leg = h.One("7C2D310A302");
  const MessageRecord* blocked = h.One("8E3F410A303");
  ASSERT_TRUE(passed && leg && blocked);
  ASSERT_EQ(passed->scans.size(), 1u);
  EXPECT_EQ(passed->scans[0].action, "Passed");
  EXPECT_EQ(passed->scans[0].verdict, "CLEAN");
  EXPECT_DOUBLE_EQ(passed->scans[0].score, -0.5);
  EXPECT_EQ(passed->child_qids, std::vector<std::string>{"7C2D310A302"});
  EXPECT_TRUE(leg->scans.empty());
  ASSERT_EQ(blocked->scans.size(), 1u);
  EXPECT_EQ(blocked->scans[0].action, "Blocked");
  EXPECT_EQ(blocked->scans[0].verdict, "SPAM");
  EXPECT_DOUBLE_EQ(blocked->scans[0].score, 12.5);
}

// When the delivery to amavis is logged before amavis's own line, the
// re-injected leg already names its parent.
TEST(TrackerTrust, AmavisResultLoggedAfterTheDeliveryStillAttaches) {
  std::vector<std::string> lines(kLocalThroughAmavis.begin(), kLocalThroughAmavis.begin() + 8);
  std::swap(lines[5], lines[6]);
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();
  const MessageRecord* passed = h.One("6A1B210A301");
  ASSERT_TRUE(passed);
  EXPECT_EQ(passed->scans.size(), 1u);
}

// A Message-ID is not unique: a scan waits for the reply that names its task.
TEST(TrackerTrust, AnAmavisResultIsNotGivenToAnotherMessageWithItsMessageId) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:22:50 mx postfix/pickup[1]: 8E3F410A303: uid=0 from=<root@example.test>",
      "Nov 27 12:22:50 mx postfix/cleanup[2]: 8E3F410A303: message-id=<m2@example.test>",
      "Nov 27 12:22:50 mx postfix/pickup[1]: 9F40510A304: uid=0 from=<root@example.test>",
      "Nov 27 12:22:50 mx postfix/cleanup[2]: 9F40510A304: message-id=<m2@example.test>",
      "Nov 27 12:22:51 mx amavis[19882]: (19882-03) Blocked SPAM {DiscardedOutbound}, LOCAL "
      "[127.0.0.1]:36490 <root@example.test> -> <bo@remote.test>, Message-ID: "
      "<m2@example.test>, mail_id: Ef56Gh78, Hits: 12.5, size: 500, 301 ms",
      "Nov 27 12:22:51 mx postfix/local[6]: 9F40510A304: to=<root@example.test>, relay=local, "
      "delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 12:22:51 mx postfix/smtp[5]: 8E3F410A303: to=<bo@remote.test>, "
      "relay=127.0.0.1[127.0.0.1]:10024, delay=0.4, delays=0.01/0/0.01/0.38, dsn=2.7.0, "
      "status=sent (250 2.7.0 Ok, discarded, id=19882-03 - spam)",
  });
  h.Flush();
  ASSERT_TRUE(h.One("8E3F410A303") && h.One("9F40510A304"));
  EXPECT_EQ(h.One("8E3F410A303")->scans.size(), 1u);
  EXPECT_TRUE(h.One("9F40510A304")->scans.empty());
}

// With notify_classes including delay (or for a delayed bounce), bounce(8)
// logs "postmaster delay notification: NEWQID" (bounce_warn_service.c): a
// notice of the message like the sender's; the line was unknown, and the
// notice was not linked (helper-111 F4).
TEST(TrackerTrust, APostmasterDelayNotificationIsANoticeOfItsMessage) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:06:33 mx postfix/pickup[1]: 1CF4510A360: uid=1003 from=<paula@example.test>",
      "Nov 27 12:07:38 mx postfix/bounce[4]: 1CF4510A360: postmaster delay notification: "
      "BEA4210A3BC",
  });
  h.Flush();
  const MessageRecord* r = h.One("1CF4510A360");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->notice_qids, std::vector<std::string>{"BEA4210A3BC"});
  EXPECT_EQ(r->ndr_qid, "") << "a delay notice is no NDR";
  const MessageRecord* notice = h.One("BEA4210A3BC");
  ASSERT_TRUE(notice);
  EXPECT_EQ(notice->ndr_of, "1CF4510A360");
}

// A recipient bounced at once (one NDR), another expired after a delay notice
// (a second NDR): the NDR sent at expiry is the record's ndr_qid, and no NDR is
// filed with the delay notices' ids unless another NDR took ndr_qid.
TEST(TrackerTrust, TheExpiryNdrIsTheRecordsNdrWhateverCameBefore) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:06:33 mx postfix/pickup[1]: 1CF4510A360: uid=1003 from=<paula@example.test>",
      "Nov 27 12:06:33 mx postfix/qmgr[2]: 1CF4510A360: from=<paula@example.test>, size=732, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:06:33 mx postfix/smtp[3]: 1CF4510A360: to=<defer2@remote.test>, "
      "relay=mx.remote.test[127.0.0.3]:25, delay=0.05, delays=0.01/0/0/0.04, dsn=4.3.0, "
      "status=deferred (host mx.remote.test[127.0.0.3] said: 451 4.3.0 try later)",
      "Nov 27 12:07:38 mx postfix/bounce[4]: 1CF4510A360: sender delay notification: "
      "BEA4210A3BC",
      "Nov 27 12:09:39 mx postfix/qmgr[2]: 1CF4510A360: from=<paula@example.test>, "
      "status=expired, returned to sender",
      "Nov 27 12:09:39 mx postfix/bounce[4]: 1CF4510A360: sender non-delivery notification: "
      "544BF10A308",
      "Nov 27 12:09:39 mx postfix/qmgr[2]: 1CF4510A360: removed",
  });
  h.Flush();
  const MessageRecord* r = h.One("1CF4510A360");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::kExpired);
  EXPECT_EQ(r->ndr_qid, "544BF10A308");
  EXPECT_EQ(r->notice_qids, std::vector<std::string>{"BEA4210A3BC"});

  TrackerHarness two;  // the real sequence of corpus 03: bounce NDR, delay notice, expiry NDR
  two.Feed({
      "Nov 27 12:06:33 mx postfix/bounce[4]: 1CF4510A360: sender non-delivery notification: "
      "29A6010A361",
      "Nov 27 12:07:38 mx postfix/bounce[4]: 1CF4510A360: sender delay notification: "
      "BEA4210A3BC",
      "Nov 27 12:09:39 mx postfix/bounce[4]: 1CF4510A360: sender non-delivery notification: "
      "544BF10A308",
  });
  two.Flush();
  r = two.One("1CF4510A360");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ndr_qid, "544BF10A308");
  EXPECT_EQ(r->notice_qids, (std::vector<std::string>{"BEA4210A3BC", "29A6010A361"}));
  ASSERT_TRUE(two.One("29A6010A361"));
  EXPECT_EQ(two.One("29A6010A361")->ndr_of, "1CF4510A360");
}

// A record keeps 1,000 bytes of a field, but two values that differ only after
// that stay two values, and a line with such a field is counted.
TEST(TrackerTrust, LongFieldsAreCutButStayDistinct) {
  const std::string common(1100, 'a');
  const std::string one = common + "1@example.test", two = common + "2@example.test";
  auto delivery = [](const std::string& to) {
    return "Nov 27 12:03:41 mx postfix/local[4]: A1B2C3D4E5F: to=<" + to +
           ">, relay=local, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (unknown user)";
  };
  TrackerHarness h;
  h.Feed({delivery(one), delivery(two), delivery(one)});
  h.Flush();
  const MessageRecord* r = h.One("A1B2C3D4E5F");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->recipients.size(), 2u);
  EXPECT_NE(r->recipients[0].address, r->recipients[1].address);
  EXPECT_EQ(r->recipients[0].attempts, 2);
  for (const auto& rc : r->recipients) {
    EXPECT_EQ(rc.address.size(), kMaxFieldBytes);
    EXPECT_EQ(rc.address.substr(0, 900), common.substr(0, 900));
  }
  LineCounter counter;
  ParseContext ctx;
  ctx.year = 2026;
  for (const std::string& line : {delivery(one), delivery("x@example.test")})
    counter.Count(ParseLine(line, ctx), line);
  EXPECT_EQ(counter.long_fields(), 1);
  EXPECT_EQ(counter.ToStats().kinds.at("long_field"), 1);
  EXPECT_EQ(CapField("short"), "short");
  EXPECT_EQ(CapField(std::string(1000, 'x')), std::string(1000, 'x'));
}

// --- Hostile text (docs/security.md rule 1): every case gives the record it must. ---

// A quoted recipient that imitates the header trailer (a HELO cannot: smtpd
// turns its spaces and specials into '?'): qmgr's sender is the sender.
TEST(TrackerTrust, AQuotedRecipientImitatingTheTrailerDoesNotGiveABounceASender) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:03:40 mx postfix/smtpd[1]: A1B2C3D4E5F: client=bounce.example[192.0.2.9]",
      "Nov 27 12:03:40 mx postfix/cleanup[2]: A1B2C3D4E5F: info: header Subject: Undelivered "
      "Mail Returned to Sender from bounce.example[192.0.2.9]; from=<> to=<\"x from "
      "h[192.0.2.1]; from=<bob@legit.test> to=<n@x> proto=ESMTP helo=<y>: z\"@example.test> "
      "proto=ESMTP helo=<bounce.example>",
      "Nov 27 12:03:40 mx postfix/qmgr[3]: A1B2C3D4E5F: from=<>, size=1, nrcpt=1 (queue active)",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u);
  EXPECT_EQ(h.records()[0].sender.value_or("?"), "");
  EXPECT_EQ(h.records()[0].client_ip, "192.0.2.9");
  EXPECT_EQ(h.records()[0].subject.value_or("?"), "Undelivered Mail Returned to Sender");
  EXPECT_EQ(h.records()[0].helo, "bounce.example");
}

// Postfix quotes a local part that holds specials: the quoted text stays one address.
TEST(TrackerTrust, QuotedLocalPartsCannotImitateOtherFields) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:03:40 mx postfix/smtpd[1]: A1B2C3D4E5F: client=mail.pal.test[127.0.5.123]",
      "Nov 27 12:03:40 mx postfix/qmgr[3]: A1B2C3D4E5F: from=<\"b>, size=1, nrcpt=9 (queue "
      "active)\"@evil.test>, size=2000, nrcpt=2 (queue active)",
      "Nov 27 12:03:41 mx postfix/smtp[4]: A1B2C3D4E5F: to=<\"a>, relay=local, dsn=2.0.0, "
      "status=sent (delivered to mailbox)\"@remote.test>, relay=mx.remote.test[192.0.2.5]:25, "
      "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.remote.test[192.0.2.5] said: "
      "550 5.1.1 no such user)",
      "Nov 27 12:03:41 mx postfix/smtp[4]: A1B2C3D4E5F: to=<x@remote.test>, orig_to=<\"o>, "
      "relay=local, status=sent (delivered)\"@example.test>, relay=mx.remote.test[192.0.2.5]:25, "
      "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.remote.test[192.0.2.5] said: "
      "550 5.1.1 no such user)",
      "Nov 27 12:03:41 mx postfix/qmgr[3]: A1B2C3D4E5F: removed",
  });
  h.Flush();
  const MessageRecord* r = h.One("A1B2C3D4E5F");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sender.value_or("?"), "\"b>, size=1, nrcpt=9 (queue active)\"@evil.test");
  EXPECT_EQ(r->size, 2000);
  EXPECT_EQ(r->nrcpt, 2);
  ASSERT_EQ(r->recipients.size(), 2u);
  EXPECT_EQ(r->recipients[0].address,
            "\"a>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)\"@remote.test");
  EXPECT_EQ(r->recipients[0].outcome, Outcome::kBounced);
  EXPECT_EQ(r->recipients[1].orig_address,
            "\"o>, relay=local, status=sent (delivered)\"@example.test");
  EXPECT_EQ(r->recipients[1].outcome, Outcome::kBounced);
  EXPECT_EQ(r->outcome, Outcome::kBounced);
}

// An amavis sender imitating the fields after it plants nothing on the message
// that later arrives with the named queue id.
TEST(TrackerTrust, AnAmavisSenderCannotPlantAScanOrALink) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:22:33 mx amavis[19882]: (19882-01) Passed CLEAN {RelayedInbound}, "
      "[192.0.2.66]:46531 <\"x, Queue-ID: 5AFE00000A1, Message-ID: <planted@evil.test>, "
      "mail_id: q, Hits: 0, size: 1, queued_as: 5AFE00000B2, y\"@evil.test> -> "
      "<quentin@example.test>, Queue-ID: 01E0C10A305, Message-ID: <real@evil.test>, mail_id: "
      "IRg4y0KDzjr2, Hits: 3.1, size: 802, 339 ms",
      "Nov 27 12:22:34 mx postfix/smtpd[1]: 5AFE00000A1: client=mail.pal.test[127.0.5.123]",
      "Nov 27 12:22:34 mx postfix/cleanup[2]: 5AFE00000A1: message-id=<m@pal.test>",
      "Nov 27 12:22:34 mx postfix/qmgr[3]: 5AFE00000A1: from=<li@pal.test>, size=9, nrcpt=1 "
      "(queue active)",
  });
  h.Flush();
  const MessageRecord* victim = h.One("5AFE00000A1");
  const MessageRecord* scanned = h.One("01E0C10A305");
  ASSERT_TRUE(victim && scanned);
  EXPECT_TRUE(victim->scans.empty());
  EXPECT_EQ(victim->message_id.value_or("?"), "m@pal.test");
  EXPECT_TRUE(victim->parent_qid.empty());
  ASSERT_EQ(scanned->scans.size(), 1u);
  EXPECT_DOUBLE_EQ(scanned->scans[0].score, 3.1);
  EXPECT_EQ(scanned->message_id.value_or("?"), "real@evil.test");
  EXPECT_TRUE(scanned->child_qids.empty());
}

// A SASL user name is the client's text: it cannot name an orig_queue_id.
TEST(TrackerTrust, ASaslUserNameCannotForgeALink) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:22:30 mx postfix/pickup[1]: 6C6C610A301: uid=0 from=<root@example.test>",
      "Nov 27 12:22:34 mx postfix/submission/smtpd[1]: 7D7D710A302: client=laptop[192.0.2.7], "
      "sasl_method=PLAIN, sasl_username=x, orig_queue_id=6C6C610A301",
  });
  h.Flush();
  ASSERT_TRUE(h.One("6C6C610A301") && h.One("7D7D710A302"));
  EXPECT_TRUE(h.One("7D7D710A302")->parent_qid.empty());
  EXPECT_EQ(h.One("7D7D710A302")->sasl_username, "x");  // ends where smtpd's next key may begin
  EXPECT_TRUE(h.One("6C6C610A301")->child_qids.empty());
}

// A remote MX that answers "queued as <a queue id open here>" links nothing.
TEST(TrackerTrust, ARemoteQueuedAsNamingALocalMessageDoesNotLink) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:05:40 mx postfix/smtpd[7]: 4F2A810A3C0: client=other.example[198.51.100.3]",
      "Nov 27 12:05:40 mx postfix/pickup[1]: 9413810A334: uid=0 from=<root@example.test>",
      "Nov 27 12:05:41 mx postfix/smtp[2]: 9413810A334: to=<ok1@remote.test>, "
      "relay=mx.remote.test[192.0.2.3]:25, delay=0.12, delays=0.02/0.03/0/0.07, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as 4F2A810A3C0)",
  });
  h.Flush();
  ASSERT_TRUE(h.One("9413810A334") && h.One("4F2A810A3C0"));
  EXPECT_TRUE(h.One("9413810A334")->child_qids.empty());
  EXPECT_TRUE(h.One("4F2A810A3C0")->parent_qid.empty());
}

// --- Found by a review of the fixes above (each failed before its own fix). ---

// amavis writes "quarantine: FILE" before Queue-ID for quarantined mail.
TEST(TrackerTrust, AQuarantinedAmavisResultKeepsItsScan) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:22:41 mx postfix/smtpd[20240]: connect from mail.northwind.test[198.51.100.20]",
      "Nov 27 12:22:41 mx postfix/smtpd[20240]: D2FEE10A351: "
      "client=mail.northwind.test[198.51.100.20]",
      "Nov 27 12:22:41 mx postfix/cleanup[20259]: D2FEE10A351: "
      "message-id=<20261127122231.cd04bbbb8b6e@northwind.test>",
      "Nov 27 12:22:41 mx postfix/qmgr[19874]: D2FEE10A351: from=<s.nakamura@northwind.test>, "
      "size=1003, nrcpt=1 (queue active)",
      "Nov 27 12:22:41 mx postfix/smtpd[20240]: disconnect from mail.northwind.test[198.51.100.20] "
      "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
      "Nov 27 12:22:41 mx amavis[19883]: (19883-06) Blocked SPAM {DiscardedInbound,Quarantined}, "
      "[198.51.100.20]:48877 [198.51.100.20] <s.nakamura@northwind.test> -> <rita@example.test>, "
      "quarantine: spam-CmrOZm5IZfV3.gz, Queue-ID: D2FEE10A351, Message-ID: "
      "<20261127122231.cd04bbbb8b6e@northwind.test>, mail_id: CmrOZm5IZfV3, Hits: 999, size: 1003, "
      "166 ms",
      "Nov 27 12:22:41 mx postfix/smtp[20261]: D2FEE10A351: to=<rita@example.test>, "
      "relay=127.0.0.1[127.0.0.1]:10024, delay=0.2, delays=0/0/0/0.19, dsn=2.7.0, status=sent (250 "
      "2.7.0 Ok, discarded, id=19883-06 - spam)",
      "Nov 27 12:22:41 mx postfix/qmgr[19874]: D2FEE10A351: removed",
  });
  h.Flush();
  const MessageRecord* r = h.One("D2FEE10A351");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->scans.size(), 1u);
  EXPECT_EQ(r->scans[0].action, "Blocked");
  EXPECT_DOUBLE_EQ(r->scans[0].score, 999);
}

// A host that sends to us and receives from us answers our NDR with "queued
// as <the id we gave its own message>": a leg is never older than its parent.
TEST(TrackerTrust, AnMxAnsweringWithTheIdOfItsOwnMessageLinksNothing) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 14:00:00 mx postfix/smtpd[4001]: connect from mail.evil.example[203.0.113.5]",
      "Nov 27 14:00:00 mx postfix/smtpd[4001]: 1B2C310A401: client=mail.evil.example[203.0.113.5]",
      "Nov 27 14:00:00 mx postfix/cleanup[4002]: 1B2C310A401: message-id=<a1@evil.example>",
      "Nov 27 14:00:00 mx postfix/qmgr[4003]: 1B2C310A401: from=<x@evil.example>, size=500, "
      "nrcpt=1 (queue active)",
      "Nov 27 14:00:00 mx postfix/smtpd[4001]: disconnect from mail.evil.example[203.0.113.5] "
      "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
      "Nov 27 14:00:00 mx postfix/local[4004]: 1B2C310A401: to=<nobody@example.test>, relay=local, "
      "delay=0.1, delays=0/0/0/0.1, dsn=5.1.1, status=bounced (unknown user: \"nobody\")",
      "Nov 27 14:00:00 mx postfix/cleanup[4002]: 2D3E410A402: "
      "message-id=<20261127140000.2D3E410A402@mx.example.test>",
      "Nov 27 14:00:00 mx postfix/bounce[4005]: 1B2C310A401: sender non-delivery notification: "
      "2D3E410A402",
      "Nov 27 14:00:00 mx postfix/qmgr[4003]: 2D3E410A402: from=<>, size=2500, nrcpt=1 (queue "
      "active)",
      "Nov 27 14:00:00 mx postfix/qmgr[4003]: 1B2C310A401: removed",
      "Nov 27 14:00:01 mx postfix/smtp[4006]: 2D3E410A402: to=<x@evil.example>, "
      "relay=mail.evil.example[203.0.113.5]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as 1B2C310A401)",
      "Nov 27 14:00:01 mx postfix/qmgr[4003]: 2D3E410A402: removed",
  });
  h.Flush();
  ASSERT_TRUE(h.One("1B2C310A401") && h.One("2D3E410A402"));
  EXPECT_TRUE(h.One("1B2C310A401")->parent_qid.empty());
  EXPECT_TRUE(h.One("2D3E410A402")->child_qids.empty());
}

// notify_classes = bounce: the postmaster's copy comes after the sender's NDR.
TEST(TrackerTrust, ThePostmasterCopyIsNotTheSendersNdr) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 15:00:00 mx postfix/smtpd[5001]: connect from mail.partner.test[198.51.100.30]",
      "Nov 27 15:00:00 mx postfix/smtpd[5001]: 3A4B510A501: "
      "client=mail.partner.test[198.51.100.30]",
      "Nov 27 15:00:00 mx postfix/cleanup[5002]: 3A4B510A501: message-id=<p1@partner.test>",
      "Nov 27 15:00:00 mx postfix/qmgr[5003]: 3A4B510A501: from=<ann@partner.test>, size=500, "
      "nrcpt=1 (queue active)",
      "Nov 27 15:00:00 mx postfix/smtpd[5001]: disconnect from mail.partner.test[198.51.100.30] "
      "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
      "Nov 27 15:00:00 mx postfix/local[5004]: 3A4B510A501: to=<nobody@example.test>, relay=local, "
      "delay=0.1, delays=0/0/0/0.1, dsn=5.1.1, status=bounced (unknown user: \"nobody\")",
      "Nov 27 15:00:00 mx postfix/cleanup[5002]: 4B5C610A502: "
      "message-id=<20261127150000.4B5C610A502@mx.example.test>",
      "Nov 27 15:00:00 mx postfix/bounce[5005]: 3A4B510A501: sender non-delivery notification: "
      "4B5C610A502",
      "Nov 27 15:00:00 mx postfix/cleanup[5002]: 4C6D710A503: "
      "message-id=<20261127150000.4C6D710A503@mx.example.test>",
      "Nov 27 15:00:00 mx postfix/bounce[5005]: 3A4B510A501: postmaster non-delivery notification: "
      "4C6D710A503",
      "Nov 27 15:00:00 mx postfix/qmgr[5003]: 4B5C610A502: from=<>, size=2500, nrcpt=1 (queue "
      "active)",
      "Nov 27 15:00:00 mx postfix/qmgr[5003]: 4C6D710A503: from=<double-bounce@mx.example.test>, "
      "size=2000, nrcpt=1 (queue active)",
      "Nov 27 15:00:00 mx postfix/qmgr[5003]: 3A4B510A501: removed",
      "Nov 27 15:00:01 mx postfix/smtp[5006]: 4B5C610A502: to=<ann@partner.test>, "
      "relay=mail.partner.test[198.51.100.30]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as 9F8E7D6C5B)",
      "Nov 27 15:00:01 mx postfix/qmgr[5003]: 4B5C610A502: removed",
      "Nov 27 15:00:01 mx postfix/local[5007]: 4C6D710A503: to=<root@mx.example.test>, "
      "orig_to=<postmaster>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent "
      "(delivered to mailbox)",
      "Nov 27 15:00:01 mx postfix/qmgr[5003]: 4C6D710A503: removed",
  });
  h.Flush();
  const MessageRecord* r = h.One("3A4B510A501");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ndr_qid, "4B5C610A502");
  EXPECT_EQ(r->notice_qids, std::vector<std::string>{"4C6D710A503"});
  TrackerHarness twice;  // a bounce that bounced: the postmaster's copy is the NDR
  twice.Feed(
      {"Nov 27 15:00:00 mx postfix/bounce[5005]: 3A4B510A501: postmaster non-delivery "
       "notification: 4C6D710A503"});
  twice.Flush();
  ASSERT_TRUE(twice.One("3A4B510A501"));
  EXPECT_EQ(twice.One("3A4B510A501")->ndr_qid, "4C6D710A503");
}

// A quoted recipient holding ">: 2.0.0 ..." cannot become cleanup's reply.
TEST(TrackerTrust, AQuotedRecipientCannotImitateTheRejectReply) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 13:00:01 mx postfix/smtpd[3001]: connect from evil.example[203.0.113.9]",
      "Nov 27 13:00:01 mx postfix/smtpd[3001]: 4A1B210A001: client=evil.example[203.0.113.9]",
      "Nov 27 13:00:02 mx postfix/cleanup[3002]: 4A1B210A001: reject: header Subject: Invoice from "
      "evil.example[203.0.113.9]; from=<bob@evil.example> to=<\"a>: 2.0.0 Ok "
      "accepted\"@example.test> proto=ESMTP helo=<x>: 5.7.1 Spam subject rejected",
      "Nov 27 13:00:02 mx postfix/smtpd[3001]: disconnect from evil.example[203.0.113.9] ehlo=1 "
      "mail=1 rcpt=1 data=0/1 quit=1 commands=4/5",
  });
  h.Flush();
  const MessageRecord* r = h.One("4A1B210A001");
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->reject.has_value());
  EXPECT_EQ(r->reject->dsn, "5.7.1");
  EXPECT_EQ(r->reject->text, "Spam subject rejected");
  EXPECT_EQ(r->subject.value_or("?"), "Invoice");
  EXPECT_EQ(r->helo, "x");
  EXPECT_EQ(r->outcome, Outcome::kRejected);
}

// A quoted sender or recipient holding a whole trailer: Postfix quotes it, so
// the trailer it imitates lies inside the real one's address, and the real
// one is taken (smtpd, cleanup and postscreen lines alike).
TEST(TrackerTrust, AQuotedAddressCannotImitateTheTrailer) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:10:00 mx postfix/smtpd[20001]: connect from mail.evil.test[198.51.100.7]",
      "Nov 27 12:10:01 mx postfix/smtpd[20001]: NOQUEUE: reject: RCPT from "
      "mail.evil.test[198.51.100.7]: 550 5.1.1 <bogus@example.test>: Recipient address rejected: "
      "User unknown in local recipient table; from=<\"; from=<victim@bank.test> "
      "to=<ceo@example.test> proto=ESMTP helo=<h>\"@evil.test> to=<bogus@example.test> "
      "proto=ESMTP helo=<mail.evil.test>",
      "Nov 27 12:10:02 mx postfix/smtpd[20001]: disconnect from mail.evil.test[198.51.100.7] "
      "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
      "Nov 27 12:20:00 mx postfix/smtpd[14338]: connect from mail.evil.test[198.51.100.7]",
      "Nov 27 12:20:00 mx postfix/smtpd[14338]: 6A9E210A322: client=mail.evil.test[198.51.100.7]",
      "Nov 27 12:20:00 mx postfix/cleanup[14343]: 6A9E210A322: reject: header Subject: cheap "
      "viagra from mail.evil.test[198.51.100.7]; from=<\"x from mail.evil.test[198.51.100.7]; "
      "from=<ceo@example.test> to=<ceo@example.test> proto=ESMTP helo=<x>: y\"@evil.test> "
      "to=<ulrich@example.test> proto=ESMTP helo=<mail.evil.test>: 5.7.1 Spam subject rejected",
      "Nov 27 12:20:00 mx postfix/smtpd[14338]: disconnect from mail.evil.test[198.51.100.7] "
      "ehlo=1 mail=1 rcpt=1 data=0/1 quit=1 commands=4/5",
      "Nov 27 12:50:00 mx postfix/postscreen[3001]: CONNECT from [198.51.100.8]:40001 to "
      "[192.0.2.1]:25",
      "Nov 27 12:50:02 mx postfix/postscreen[3001]: NOQUEUE: reject: RCPT from "
      "[198.51.100.8]:40001: 550 5.5.1 Protocol error; from=<a@evil.test>, to=<\"x; "
      "from=<victim@bank.test>, to=<ceo@example.test>, proto=ESMTP, helo=<h\"@example.test>, "
      "proto=ESMTP, helo=<x>",
      "Nov 27 12:50:02 mx postfix/postscreen[3001]: DISCONNECT [198.51.100.8]:40001",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 3u);
  const MessageRecord& noqueue = h.records()[0];
  EXPECT_EQ(noqueue.sender.value_or("?"),
            "\"; from=<victim@bank.test> to=<ceo@example.test> proto=esmtp helo=<h>\"@evil.test");
  ASSERT_EQ(noqueue.recipients.size(), 1u);
  EXPECT_EQ(noqueue.recipients[0].address, "bogus@example.test");
  EXPECT_EQ(noqueue.helo, "mail.evil.test");
  const MessageRecord* header = h.One("6A9E210A322");
  ASSERT_TRUE(header);
  EXPECT_EQ(header->sender.value_or("?"),
            "\"x from mail.evil.test[198.51.100.7]; from=<ceo@example.test> to=<ceo@example.test> "
            "proto=esmtp helo=<x>: y\"@evil.test");
  EXPECT_EQ(header->subject.value_or("?"), "cheap viagra");
  ASSERT_TRUE(header->reject.has_value());
  EXPECT_EQ(header->reject->text, "Spam subject rejected");
  ASSERT_EQ(header->recipients.size(), 1u);
  EXPECT_EQ(header->recipients[0].address, "ulrich@example.test");
  const MessageRecord& postscreen = h.records()[2];
  EXPECT_EQ(postscreen.client_ip, "198.51.100.8");
  EXPECT_EQ(postscreen.sender.value_or("?"), "a@evil.test");
  ASSERT_EQ(postscreen.recipients.size(), 1u);
  EXPECT_EQ(postscreen.recipients[0].address,
            "\"x; from=<victim@bank.test>, to=<ceo@example.test>, proto=esmtp, "
            "helo=<h\"@example.test");
}

// Many imitations inside a quoted sender ("; from=<" nine times) once used up
// the candidates tried before the real trailer: the line was lost, and with it
// a reject, or a message's subject and the flood detection that reads it.
TEST(TrackerTrust, DecoyTrailersInAQuotedSenderHideNothing) {
  const std::string decoys =
      "\"; from=<; from=<; from=<; from=<; from=<; from=<; from=<; from=<; from=<\"@evil.test";
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:10:00 mx postfix/smtpd[20002]: connect from mail.evil.test[198.51.100.7]",
      "Nov 27 12:10:01 mx postfix/smtpd[20002]: NOQUEUE: reject: RCPT from "
      "mail.evil.test[198.51.100.7]: 550 5.1.1 <bogus@example.test>: Recipient address rejected: "
      "User unknown in local recipient table; from=<" +
          decoys + "> to=<bogus@example.test> proto=ESMTP helo=<mail.evil.test>",
      "Nov 27 12:10:02 mx postfix/smtpd[20002]: disconnect from mail.evil.test[198.51.100.7] "
      "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
      "Nov 27 12:20:00 mx postfix/smtpd[14338]: 6A9E210A322: client=mail.evil.test[198.51.100.7]",
      "Nov 27 12:20:00 mx postfix/cleanup[14343]: 6A9E210A322: info: header Subject: Undelivered "
      "Mail Returned to Sender from mail.evil.test[198.51.100.7]; from=<" +
          decoys + "> to=<ulrich@example.test> proto=ESMTP helo=<mail.evil.test>",
      "Nov 27 12:20:00 mx postfix/qmgr[12713]: 6A9E210A322: from=<" + decoys +
          ">, size=1339, nrcpt=1 (queue active)",
      "Nov 27 12:20:00 mx postfix/local[12782]: 6A9E210A322: to=<ulrich@example.test>, "
      "relay=local, delay=0.03, delays=0.02/0.01/0/0, dsn=2.0.0, status=sent (delivered to "
      "mailbox)",
      "Nov 27 12:20:00 mx postfix/qmgr[12713]: 6A9E210A322: removed",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 2u);
  EXPECT_EQ(h.records()[0].outcome, Outcome::kRejected);
  EXPECT_EQ(h.records()[0].sender.value_or("?"), decoys);
  ASSERT_EQ(h.records()[0].recipients.size(), 1u);
  EXPECT_EQ(h.records()[0].recipients[0].address, "bogus@example.test");
  const MessageRecord* delivered = h.One("6A9E210A322");
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->subject.value_or("?"), "Undelivered Mail Returned to Sender");
  EXPECT_EQ(delivered->helo, "mail.evil.test");
}

// Only amavis's own reply ("250 2.7.0 Ok, discarded, id=...") is a discard:
// an LMTP server echoing a recipient whose quoted local part says ", discarded"
// delivered the mail, and so did an outside MX answering with amavis's words,
// or a relay host on a submission port (587, 465, 2525).
TEST(TrackerTrust, AnEchoedRecipientCannotMakeADeliveryADiscard) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:18:01 mx postfix/smtpd[14402]: 7B1C210A402: client=localhost[127.0.0.1]",
      "Nov 27 12:18:01 mx postfix/qmgr[12713]: 7B1C210A402: from=<nadia@example.test>, "
      "size=900, nrcpt=1 (queue active)",
      "Nov 27 12:18:02 mx postfix/smtp[14412]: 7B1C210A402: to=<bob@far.test>, "
      "relay=smarthost.isp.test[203.0.113.9]:587, delay=1, delays=0.02/0.01/0.5/0.5, "
      "dsn=2.0.0, status=sent (250 2.0.0 Ok, discarded, id=12345-02)",
      "Nov 27 12:18:02 mx postfix/qmgr[12713]: 7B1C210A402: removed",
      "Nov 27 12:18:11 mx postfix/smtpd[14403]: 7B1C210A403: client=localhost[127.0.0.1]",
      "Nov 27 12:18:11 mx postfix/qmgr[12713]: 7B1C210A403: from=<nadia@example.test>, "
      "size=900, nrcpt=1 (queue active)",
      "Nov 27 12:18:12 mx postfix/smtp[14413]: 7B1C210A403: to=<bob@far.test>, "
      "relay=smarthost.isp.test[203.0.113.9]:465, delay=1, delays=0.02/0.01/0.5/0.5, "
      "dsn=2.0.0, status=sent (250 2.0.0 Ok, discarded, id=12345-03)",
      "Nov 27 12:18:12 mx postfix/qmgr[12713]: 7B1C210A403: removed",
      "Nov 27 12:19:01 mx postfix/smtpd[14401]: 7B1C210A401: client=localhost[127.0.0.1]",
      "Nov 27 12:19:01 mx postfix/qmgr[12713]: 7B1C210A401: from=<nadia@example.test>, "
      "size=900, nrcpt=1 (queue active)",
      "Nov 27 12:19:02 mx postfix/smtp[14411]: 7B1C210A401: to=<bob@far.test>, "
      "relay=mx.far.test[203.0.113.5]:25, delay=1, delays=0.02/0.01/0.5/0.5, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok, discarded, id=12345-01)",
      "Nov 27 12:19:02 mx postfix/qmgr[12713]: 7B1C210A401: removed",
      "Nov 27 12:20:01 mx postfix/smtpd[14400]: 7B1C210A400: client=mail.evil.test[198.51.100.7]",
      "Nov 27 12:20:01 mx postfix/qmgr[12713]: 7B1C210A400: from=<a@evil.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:20:01 mx postfix/lmtp[14410]: 7B1C210A400: to=<\"nadia+x, "
      "discarded\"@example.test>, relay=mx.example.test[private/dovecot-lmtp], delay=0.05, "
      "delays=0.02/0.01/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 <\"nadia+x, "
      "discarded\"@example.test> 8K3yAL0xZGmAAQAAbW0zFg Saved)",
      "Nov 27 12:20:01 mx postfix/qmgr[12713]: 7B1C210A400: removed",
  });
  h.Flush();
  for (const char* qid : {"7B1C210A400", "7B1C210A401", "7B1C210A402", "7B1C210A403"}) {
    const MessageRecord* r = h.One(qid);
    ASSERT_TRUE(r) << qid;
    ASSERT_EQ(r->recipients.size(), 1u) << qid;
    EXPECT_EQ(r->recipients[0].outcome, Outcome::kDelivered) << qid;
    EXPECT_EQ(r->outcome, Outcome::kDelivered) << qid;
  }
}

// amavis's other verdicts a content filter answers with 250 (its D_BOUNCE
// destiny): "BOUNCE" (it sent the non-delivery notice itself) and
// "DISCARD(bounce.suppressed)" (it sent none). Both were "delivered" (helper-92,
// with a real Postfix 3.7 and amavis's reply text). From another relay the
// same words are the other side's text: a delivery.
TEST(TrackerTrust, AFiltersBounceOrDiscardReplyIsNoDelivery) {
  const auto message = [](const std::string& qid, const std::string& relay,
                          const std::string& reply) -> std::vector<std::string> {
    return {
        "Dec 06 15:04:53 mx postfix/smtpd[31072]: " + qid + ": client=unknown[192.0.2.20]",
        "Dec 06 15:04:53 mx postfix/qmgr[26392]: " + qid +
            ": from=<alice@hosted.test>, size=378, nrcpt=1 (queue active)",
        "Dec 06 15:04:53 mx postfix/smtp[26467]: " + qid + ": to=<vera@hosted.test>, relay=" +
            relay + ", delay=0.08, delays=0.01/0/0/0.07, dsn=2.5.0, status=sent (" + reply + ")",
        "Dec 06 15:04:53 mx postfix/qmgr[26392]: " + qid + ": removed",
    };
  };
  const std::string filter = "127.0.0.1[127.0.0.1]:10024";
  const std::string outside = "mx.far.test[203.0.113.5]:25";
  struct Case {
    std::string qid, relay, reply;
    Outcome want;
  };
  const std::vector<Case> cases = {
      {"432B3A722F9", filter, "250 2.5.0 Ok, id=30985-01, BOUNCE", Outcome::kBounced},
      {"432B3A722FA", filter, "250 2.5.0 Ok, id=30985-02, DISCARD(bounce.suppressed)",
       Outcome::kDiscarded},
      {"432B3A722FB", outside, "250 2.5.0 Ok, id=30985-03, BOUNCE", Outcome::kDelivered},
      {"432B3A722FE", "127.0.0.1[127.0.0.1]:24", "250 2.5.0 Ok, id=30985-05, BOUNCE",
       Outcome::kDelivered},
      {"432B3A722FC", filter, "250 2.0.0 Ok, id=30985-04, BOUNCED AT LAST", Outcome::kDelivered},
      {"432B3A722FD", filter,
       "250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: "
       "queued as 5644AA722FA, BOUNCE",
       Outcome::kDelivered},
  };
  for (const Case& c : cases) {
    TrackerHarness h;
    h.Feed(message(c.qid, c.relay, c.reply));
    h.Flush();
    const MessageRecord* r = h.One(c.qid);
    ASSERT_TRUE(r) << c.reply;
    ASSERT_EQ(r->recipients.size(), 1u) << c.reply;
    EXPECT_EQ(r->recipients[0].outcome, c.want) << c.relay << " " << c.reply;
    EXPECT_EQ(r->outcome, c.want) << c.reply;
    EXPECT_EQ(r->recipients[0].status_text, c.reply) << "the filter's words are kept";
  }
}

// A host that is both the MX of our recipient and a client of ours sends us a
// message, learns its queue id from our reply, and answers our retry with
// "queued as" that id: the message came in before the attempt began, so it
// is no leg of ours. Nor is one it sends during the attempt, holding its
// answer to our DATA (helper-118 F5: its spam showed as our user's next leg,
// and with a parent it counted as no bounce): an MX on port 25 is another
// site's, and only a content filter gives back a leg.
TEST(TrackerTrust, AnMxCannotClaimAMessageItSentDuringTheAttemptAsOurLeg) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:05:42 mx postfix/smtpd[14986]: 4BF8E10A34A: client=localhost[127.0.0.1]",
      "Nov 27 12:05:42 mx postfix/qmgr[14909]: 4BF8E10A34A: from=<paula@example.test>, "
      "size=6685, nrcpt=1 (queue active)",
      "Nov 27 12:05:43 mx postfix/smtpd[14990]: C0FFE10A001: client=mx.evil.test[203.0.113.5]",
      "Nov 27 12:05:43 mx postfix/qmgr[14909]: C0FFE10A001: from=<spam@evil.test>, size=600, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:05:43 mx postfix/local[12782]: C0FFE10A001: to=<nadia@example.test>, "
      "relay=local, delay=0.03, delays=0.02/0.01/0/0, dsn=2.0.0, status=sent (delivered to "
      "mailbox)",
      "Nov 27 12:05:43 mx postfix/qmgr[14909]: C0FFE10A001: removed",
      "Nov 27 12:05:45 mx postfix/smtp[14985]: 4BF8E10A34A: to=<ceo12@evil.test>, "
      "relay=mx.evil.test[203.0.113.5]:25, delay=3, delays=0/0/0.1/2.9, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as C0FFE10A001)",
      "Nov 27 12:05:45 mx postfix/qmgr[14909]: 4BF8E10A34A: removed",
  });
  h.Flush();
  ASSERT_TRUE(h.One("4BF8E10A34A") && h.One("C0FFE10A001"));
  EXPECT_TRUE(h.One("4BF8E10A34A")->child_qids.empty());
  EXPECT_TRUE(h.One("C0FFE10A001")->parent_qid.empty());
}

// A content filter on another host of ours, listening on port 25 (not
// FILTER_README's 10024): our own NDRs it gave back were legs until only a
// filter's port counted, then records from 10.0.0.5 with the null sender,
// and 25 of them got the filter host blocked (helper-120 F2; locally made
// mail carries no XFORWARD IDENT). A relay in a private network gives back
// legs; an MX out on the Internet does not.
TEST(TrackerTrust, AFilterOnAPrivateHostsPort25GivesBackLegs) {
  std::vector<std::string> lines = ReadProbeLines("remote-filter-port25.log");
  ASSERT_FALSE(lines.empty());
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();
  FloodDetector d{DetectorOptions{}};
  std::vector<Decision> out;
  int legs = 0;
  for (const MessageRecord& r : h.records()) {
    if (r.client_ip == "10.0.0.5") legs += !r.parent_qid.empty();
    d.OnRecord(r, &out);
  }
  EXPECT_EQ(legs, 25);
  EXPECT_EQ(d.bounces(), 0);
  EXPECT_TRUE(out.empty()) << out.size() << " decisions, the first " << out[0].key;

  // A private address is no proof of a filter: an MX the attacker put on
  // one (CGNAT, a cloud neighbour) hid its 30 bounces as legs of our mail
  // (helper-122). A filter gives back the message it took, Message-ID and
  // all; these are other messages.
  lines = ReadProbeLines("private-mx-queued-as.log");
  ASSERT_FALSE(lines.empty());
  TrackerHarness m;
  m.Feed(lines);
  m.Flush();
  FloodDetector e{DetectorOptions{}};
  for (const MessageRecord& r : m.records()) {
    EXPECT_TRUE(r.parent_qid.empty()) << r.qid;
    e.OnRecord(r, &out);
  }
  EXPECT_EQ(e.bounces(), 30);
}

// Postfix quotes local parts only: a '"' in a sender's domain
// ("evil@x\"") opened a quoted string, qmgr's line did not parse, the header
// line's real trailer neither, and one forged in a logged From: header
// ("from=<> ...") made 25 null-sender bounces and the provider blocked, on
// lines far from Postfix's 2000-byte cut (helper-123).
TEST(TrackerTrust, AQuoteInTheSendersDomainOpensNoQuotedString) {
  const std::vector<std::string> lines = ReadProbeLines("quote-in-sender-domain.log");
  ASSERT_FALSE(lines.empty());
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();
  FloodDetector d{DetectorOptions{}};
  std::vector<Decision> out;
  for (const MessageRecord& r : h.records()) {
    EXPECT_EQ(r.sender.value_or("?"), "evil@x\"") << r.qid;
    d.OnRecord(r, &out);
  }
  EXPECT_EQ(d.bounces(), 0);
  EXPECT_TRUE(out.empty()) << out.size() << " decisions, the first " << out[0].key;
}

TEST(TrackerTrust, AnMxCannotClaimAMessageItSentEarlierAsOurLeg) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:30:00 mx postfix/smtpd[15001]: 1A2B310A500: client=localhost[127.0.0.1]",
      "Nov 27 12:30:00 mx postfix/qmgr[12713]: 1A2B310A500: from=<nadia@example.test>, "
      "size=1200, nrcpt=1 (queue active)",
      "Nov 27 12:30:01 mx postfix/smtp[15003]: 1A2B310A500: to=<bob@evil.test>, "
      "relay=mx.evil.test[203.0.113.5]:25, delay=1, delays=0.01/0/0.5/0.5, dsn=4.7.1, "
      "status=deferred (host mx.evil.test[203.0.113.5] said: 451 4.7.1 try later)",
      "Nov 27 12:35:00 mx postfix/smtpd[15010]: 9C8D710A501: client=mx.evil.test[203.0.113.5]",
      "Nov 27 12:35:00 mx postfix/qmgr[12713]: 9C8D710A501: from=<spam@evil.test>, size=700, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:35:00 mx postfix/local[15011]: 9C8D710A501: to=<omar@example.test>, "
      "relay=local, delay=0.03, delays=0.02/0.01/0/0, dsn=2.0.0, status=sent (delivered to "
      "mailbox)",
      "Nov 27 12:35:03 mx postfix/smtp[15003]: 1A2B310A500: to=<bob@evil.test>, "
      "relay=mx.evil.test[203.0.113.5]:25, delay=303, delays=301/0/0.5/0.5, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as 9C8D710A501)",
  });
  h.Flush();
  ASSERT_TRUE(h.One("1A2B310A500") && h.One("9C8D710A501"));
  EXPECT_TRUE(h.One("1A2B310A500")->child_qids.empty());
  EXPECT_TRUE(h.One("9C8D710A501")->parent_qid.empty());
}

// An amavis template that logs the Subject after queued_as: a subject that
// imitates "queued_as: <id>" names a message received before the scanned one:
// no link.
TEST(TrackerTrust, AnAmavisSubjectCannotLinkAnEarlierMessage) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:22:30 mx postfix/smtpd[20260]: 0AAAA10A300: client=mail.friend.test[192.0.2.9]",
      "Nov 27 12:22:30 mx postfix/qmgr[19900]: 0AAAA10A300: from=<boss@friend.test>, size=800, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:22:31 mx postfix/smtpd[20261]: 01E0C10A305: client=mail.evil.test[198.51.100.7]",
      "Nov 27 12:22:31 mx postfix/qmgr[19900]: 01E0C10A305: from=<x@evil.test>, size=802, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:22:33 mx amavis[19882]: (19882-01) Blocked SPAM {DiscardedInbound}, "
      "[198.51.100.7]:46531 <x@evil.test> -> <quentin@example.test>, Queue-ID: 01E0C10A305, "
      "Message-ID: <spam@evil.test>, mail_id: IRg4y0KDzjr2, Hits: 25.3, size: 802, Subject: "
      "\"Invoice, Hits: -4.2, queued_as: 0AAAA10A300\", From: <x@evil.test>, 339 ms",
  });
  h.Flush();
  ASSERT_TRUE(h.One("0AAAA10A300") && h.One("01E0C10A305"));
  EXPECT_TRUE(h.One("0AAAA10A300")->parent_qid.empty());
  EXPECT_TRUE(h.One("01E0C10A305")->child_qids.empty());
}

// A HOLD logged for a recipient that a later restriction refused, in a
// transaction the client then reset, is not the next message's; a REDIRECT's
// recipient is delivered where it was sent, not discarded.
// A client whose first transaction got a HOLD or DISCARD (`action`, at
// `stage`) for a recipient then refused resets it and sends a message that
// is queued and delivered to omar.
std::vector<std::string> AnotherTransactionThenAMessage(const std::string& action,
                                                        const std::string& stage) {
  std::string upper = action;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return {
      "Nov 27 12:40:00 mx postfix/smtpd[17001]: connect from mail.evil.test[198.51.100.7]",
      "Nov 27 12:40:01 mx postfix/smtpd[17001]: NOQUEUE: " + action + ": " + stage +
          " from mail.evil.test[198.51.100.7]: <x@suspicious.test>: Sender address triggers " +
          upper +
          " action; from=<x@suspicious.test> to=<bogus@example.test> proto=ESMTP "
          "helo=<mail.evil.test>",
      "Nov 27 12:40:01 mx postfix/smtpd[17001]: NOQUEUE: reject: RCPT from "
      "mail.evil.test[198.51.100.7]: 550 5.1.1 <bogus@example.test>: Recipient address "
      "rejected: User unknown in local recipient table; from=<x@suspicious.test> "
      "to=<bogus@example.test> proto=ESMTP helo=<mail.evil.test>",
      "Nov 27 12:40:03 mx postfix/smtpd[17001]: 3C4D510A700: client=mail.evil.test[198.51.100.7]",
      "Nov 27 12:40:03 mx postfix/qmgr[12713]: 3C4D510A700: from=<news@evil.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:40:03 mx postfix/smtpd[17001]: disconnect from mail.evil.test[198.51.100.7] "
      "ehlo=1 mail=2 rcpt=1/2 data=1 rset=1 quit=1 commands=7/8",
      "Nov 27 12:40:03 mx postfix/local[17003]: 3C4D510A700: to=<omar@example.test>, "
      "relay=local, delay=0.03, delays=0.02/0.01/0/0, dsn=2.0.0, status=sent (delivered to "
      "mailbox)",
      "Nov 27 12:40:03 mx postfix/qmgr[12713]: 3C4D510A700: removed",
  };
}

// The same with DISCARD (an access map's, at RCPT or MAIL): a discarded
// message never reaches qmgr, so the one qmgr activates was not discarded,
// and its record kept the other transaction's "discard" (helper-118 F6).
TEST(TrackerTrust, AnotherTransactionsDiscardStaysOffTheQueuedMessage) {
  for (const std::string stage : {"RCPT", "MAIL"}) {
    TrackerHarness h;
    h.Feed(AnotherTransactionThenAMessage("discard", stage));
    h.Flush();
    const MessageRecord* queued = h.One("3C4D510A700");
    ASSERT_TRUE(queued) << stage;
    ASSERT_EQ(queued->recipients.size(), 1u) << stage;
    EXPECT_EQ(queued->recipients[0].address, "omar@example.test");
    EXPECT_FALSE(queued->reject.has_value()) << stage << ": " << queued->reject->action;
    EXPECT_EQ(queued->outcome, Outcome::kDelivered);
  }
}

TEST(TrackerTrust, AnotherTransactionsHoldAndARedirectGiveNoFalseRecipient) {
  TrackerHarness h;
  h.Feed(AnotherTransactionThenAMessage("hold", "RCPT"));
  h.Feed({
      "Nov 27 12:41:00 mx postfix/smtpd[16001]: connect from mail.friend.test[192.0.2.9]",
      "Nov 27 12:41:01 mx postfix/smtpd[16001]: NOQUEUE: redirect: RCPT from "
      "mail.friend.test[192.0.2.9]: <sales@example.test>: Recipient address triggers REDIRECT "
      "quarantine@example.test; from=<joe@friend.test> to=<sales@example.test> proto=ESMTP "
      "helo=<mail.friend.test>",
      "Nov 27 12:41:01 mx postfix/smtpd[16001]: 2F3E410A600: client=mail.friend.test[192.0.2.9]",
      "Nov 27 12:41:01 mx postfix/qmgr[12713]: 2F3E410A600: from=<joe@friend.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:41:01 mx postfix/local[16003]: 2F3E410A600: to=<quarantine@example.test>, "
      "orig_to=<sales@example.test>, relay=local, delay=0.03, delays=0.02/0.01/0/0, dsn=2.0.0, "
      "status=sent (delivered to mailbox)",
      "Nov 27 12:41:01 mx postfix/qmgr[12713]: 2F3E410A600: removed",
  });
  h.Flush();
  const MessageRecord* held = h.One("3C4D510A700");
  ASSERT_TRUE(held);
  ASSERT_EQ(held->recipients.size(), 1u);
  EXPECT_EQ(held->recipients[0].address, "omar@example.test");
  EXPECT_FALSE(held->reject.has_value());
  EXPECT_EQ(held->outcome, Outcome::kDelivered);
  const MessageRecord* redirected = h.One("2F3E410A600");
  ASSERT_TRUE(redirected);
  ASSERT_EQ(redirected->recipients.size(), 1u);
  EXPECT_EQ(redirected->recipients[0].address, "quarantine@example.test");
  EXPECT_EQ(redirected->recipients[0].orig_address, "sales@example.test");
  EXPECT_EQ(redirected->outcome, Outcome::kDelivered);
}

// A subject that opens a quote in an imitated trailer, closed by the real
// sender's quote, made the imitation hold the real trailer in its address:
// taken, it gave a header reject another recipient and HELO, and an info
// line no subject. The real trailer is the one whose fields reach furthest.
TEST(TrackerTrust, AnImitationOpeningAQuoteInTheSubjectCannotTakeTheTrailer) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:10:01 mx postfix/smtpd[2001]: 4A1B210A300: client=mail.evil.test[127.0.5.200]",
      "Nov 27 12:10:01 mx postfix/cleanup[2002]: 4A1B210A300: reject: header Subject: cheap "
      "viagra from mail.evil.test[127.0.5.200]; from=<\" from mail.evil.test[127.0.5.200]; "
      "from=<\"> to=<ceo@example.test> proto=ESMTP helo=<trusted.partner.test>: x\"@evil.test> "
      "to=<nadia@example.test> proto=ESMTP helo=<mail.evil.test>: 5.7.1 Spam subject rejected",
      "Nov 27 12:10:02 mx postfix/smtpd[2001]: 4A1B210A301: client=mail.evil.test[127.0.5.200]",
      "Nov 27 12:10:02 mx postfix/cleanup[2002]: 4A1B210A301: info: header Subject: hello; "
      "from=<\" from mail.evil.test[127.0.5.200]; from=<\"> proto=ESMTP helo=<x>: y\"@evil.test> "
      "to=<nadia@example.test> proto=ESMTP helo=<mail.evil.test>",
  });
  h.Flush();
  const MessageRecord* rejected = h.One("4A1B210A300");
  ASSERT_TRUE(rejected);
  ASSERT_EQ(rejected->recipients.size(), 1u);
  EXPECT_EQ(rejected->recipients[0].address, "nadia@example.test");
  EXPECT_EQ(rejected->helo, "mail.evil.test");
  EXPECT_EQ(rejected->subject.value_or("?"),
            "cheap viagra from mail.evil.test[127.0.5.200]; from=<\"");
  EXPECT_EQ(rejected->sender.value_or("?"),
            "\"> to=<ceo@example.test> proto=esmtp helo=<trusted.partner.test>: x\"@evil.test");
  ASSERT_TRUE(rejected->reject.has_value());
  EXPECT_EQ(rejected->reject->text, "Spam subject rejected");
  const MessageRecord* info = h.One("4A1B210A301");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->subject.value_or("?"), "hello; from=<\"");
  EXPECT_EQ(info->helo, "mail.evil.test");
}

// FILTER_README's receive_override_options = no_address_mappings rewrites
// the sender on the filter's leg (masquerading here): still its leg. A HOLD of
// a reset transaction is dropped when qmgr activates the next message, also
// from the same sender; a real HOLD released by postsuper stays, also when
// canonical mapping changed the sender.
TEST(TrackerTrust, LegsWithARewrittenSenderLinkAndOnlyAReleaseKeepsAHold) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:00:00 mx postfix/smtpd[1001]: 4A1B210A001: client=ws1.example.com[192.0.2.20]",
      "Nov 27 12:00:00 mx postfix/qmgr[900]: 4A1B210A001: from=<alice@host.example.com>, "
      "size=900, nrcpt=1 (queue active)",
      "Nov 27 12:00:01 mx postfix/smtpd[1005]: 5C2D310A002: client=localhost[127.0.0.1]",
      "Nov 27 12:00:01 mx postfix/qmgr[900]: 5C2D310A002: from=<alice@example.com>, size=1300, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:00:01 mx amavis[2001]: (02001-01) Passed CLEAN {RelayedOutbound}, LOCAL "
      "[192.0.2.20]:40001 <alice@host.example.com> -> <bob@remote.test>, Queue-ID: 4A1B210A001, "
      "Message-ID: <m1@host.example.com>, mail_id: abcdEFGH1234, Hits: -1.1, size: 900, "
      "queued_as: 5C2D310A002, 700 ms",
      "Nov 27 12:00:01 mx postfix/smtp[1003]: 4A1B210A001: to=<bob@remote.test>, "
      "relay=127.0.0.1[127.0.0.1]:10024, delay=1.2, delays=0.01/0.01/0.01/1.1, dsn=2.0.0, "
      "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as "
      "5C2D310A002)",
      "Nov 27 12:40:01 mx postfix/smtpd[17001]: NOQUEUE: hold: RCPT from "
      "mail.friend.test[192.0.2.9]: <sales@example.test>: Recipient address triggers HOLD "
      "action; from=<joe@friend.test> to=<sales@example.test> proto=ESMTP "
      "helo=<mail.friend.test>",
      "Nov 27 12:40:01 mx postfix/smtpd[17001]: NOQUEUE: reject: RCPT from "
      "mail.friend.test[192.0.2.9]: 452 4.2.2 <sales@example.test>: Recipient address rejected: "
      "Mailbox full; from=<joe@friend.test> to=<sales@example.test> proto=ESMTP "
      "helo=<mail.friend.test>",
      "Nov 27 12:40:03 mx postfix/smtpd[17001]: 3C4D510A700: client=mail.friend.test[192.0.2.9]",
      "Nov 27 12:40:03 mx postfix/qmgr[12713]: 3C4D510A700: from=<joe@friend.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:40:03 mx postfix/local[17003]: 3C4D510A700: to=<omar@example.test>, "
      "relay=local, delay=0.03, delays=0.02/0.01/0/0, dsn=2.0.0, status=sent (delivered to "
      "mailbox)",
      "Nov 27 12:50:00 mx postfix/smtpd[18001]: connect from ws1.example.test[192.0.2.20]",
      "Nov 27 12:50:01 mx postfix/smtpd[18001]: NOQUEUE: hold: RCPT from "
      "ws1.example.test[192.0.2.20]: <Alice@ws1.example.test>: Sender address triggers HOLD "
      "action; from=<Alice@ws1.example.test> to=<bob@remote.test> proto=ESMTP "
      "helo=<ws1.example.test>",
      "Nov 27 12:50:01 mx postfix/smtpd[18001]: 4E5F610A800: client=ws1.example.test[192.0.2.20]",
      "Nov 27 13:10:00 mx postfix/postsuper[18100]: 4E5F610A800: released from hold",
      "Nov 27 13:10:01 mx postfix/qmgr[12713]: 4E5F610A800: from=<alice@example.test>, size=900, "
      "nrcpt=1 (queue active)",
  });
  h.Flush();
  ASSERT_TRUE(h.One("4A1B210A001") && h.One("5C2D310A002"));
  EXPECT_EQ(h.One("5C2D310A002")->parent_qid, "4A1B210A001");
  EXPECT_EQ(h.One("4A1B210A001")->child_qids, std::vector<std::string>{"5C2D310A002"});
  const MessageRecord* reset = h.One("3C4D510A700");
  ASSERT_TRUE(reset);
  EXPECT_FALSE(reset->reject.has_value());
  ASSERT_EQ(reset->recipients.size(), 1u);
  EXPECT_EQ(reset->recipients[0].address, "omar@example.test");
  const MessageRecord* released = h.One("4E5F610A800");
  ASSERT_TRUE(released);
  ASSERT_TRUE(released->reject.has_value());
  EXPECT_EQ(released->reject->action, "hold");
}

}  // namespace
}  // namespace mailtrail
