// Tracker scenarios of Postfix settings an admin really uses, each from the
// log of a real Postfix 3.7 (helper-63's probe, docs/testing.md), each of
// which once gave a wrong record: soft_bounce, message_size_limit,
// postsuper -d; an after-queue filter's leg, and a before-queue filter's.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/queue_operation_lines.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

// The lines a parser does not know (counted and sampled as unknown).
int Unknown(const std::vector<std::string>& lines) {
  ParseContext ctx;
  ctx.year = 2026;
  int n = 0;
  for (const auto& l : lines) n += ParseLine(l, ctx).kind == EventKind::kUnknown;
  return n;
}

// An after-queue filter's second leg (amavis re-injecting with XFORWARD):
// its client is the filter's, so the message's client is counted once (the
// first leg's), whether or not the filter sent IDENT (orig_queue_id=). A
// change that took orig_client= when no orig_queue_id came with it counted
// such bounces twice and let anything reaching the re-injection listener
// choose the client (helper-66's review).
TEST(TrackerSetups, AnAfterQueueLegKeepsTheFilterAsItsClient) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:22:33 mx postfix/smtpd[20269]: 586D910A322: client=localhost[127.0.0.1], "
      "orig_queue_id=01E0C10A305, orig_client=mail.pal.test[192.0.2.123]",
      "Nov 27 12:22:33 mx postfix/qmgr[900]: 586D910A322: from=<helpdesk@pal.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:22:33 mx postfix/local[3011]: 586D910A322: to=<q@example.test>, relay=local, "
      "delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 12:22:33 mx postfix/qmgr[900]: 586D910A322: removed",
  });
  h.Flush();
  const MessageRecord* r = h.One("586D910A322");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->client_ip, "127.0.0.1");
  EXPECT_EQ(r->parent_qid, "01E0C10A305");
  TrackerHarness no_ident;
  no_ident.Feed({
      "Nov 27 12:22:33 mx postfix/smtpd[20269]: 686D910A322: client=localhost[127.0.0.1], "
      "orig_client=mail.pal.test[192.0.2.123]",
  });
  no_ident.Flush();
  const MessageRecord* leg = no_ident.One("686D910A322");
  ASSERT_TRUE(leg);
  EXPECT_EQ(leg->client_ip, "127.0.0.1");
}

// soft_bounce = yes: a recipient that would have bounced is deferred and
// logged with status=SOFTBOUNCE (bounce.c). It was in_flight for ever, its
// reason dropped.
TEST(TrackerSetups, ASoftBounceIsADeferral) {
  TrackerHarness h;
  h.Feed({
      "Dec 05 16:05:30 mx postfix/smtpd[10898]: 4jhY9k0ZZBz1cbqD: client=unknown[192.0.2.30]",
      "Dec 05 16:05:30 mx postfix/qmgr[10837]: 4jhY9k0ZZBz1cbqD: from=<ivan@client.test>, "
      "size=367, nrcpt=2 (queue active)",
      "Dec 05 16:05:30 mx postfix/smtp[10840]: 4jhY9k0ZZBz1cbqD: to=<nouser7@remote.test>, "
      "relay=mx.remote.test[198.51.100.20]:25, delay=0.02, delays=0.01/0/0/0, dsn=4.1.1, "
      "status=SOFTBOUNCE (host mx.remote.test[198.51.100.20] said: 550 5.1.1 "
      "<nouser7@remote.test>: User unknown (in reply to RCPT TO command))",
      "Dec 05 16:05:30 mx postfix/smtp[10840]: 4jhY9k0ZZBz1cbqD: to=<ok7@remote.test>, "
      "relay=mx.remote.test[198.51.100.20]:25, delay=0.02, delays=0.01/0/0/0, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as PEER30102)",
  });
  h.Flush();
  const MessageRecord* r = h.One("4jhY9k0ZZBz1cbqD");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->recipients.size(), 2u);
  const RecipientRecord& soft = r->recipients[0];
  EXPECT_EQ(soft.address, "nouser7@remote.test");
  EXPECT_EQ(soft.outcome, Outcome::kDeferred);
  EXPECT_EQ(soft.dsn, "4.1.1");
  EXPECT_NE(soft.status_text.find("User unknown"), std::string::npos) << soft.status_text;
  EXPECT_EQ(r->outcome, Outcome::kMixed);
}

// `postsuper -d` of a message being delivered: the delivery agent keeps its
// open file and finishes (qmgr then warns "remove ... from active: No such
// file"). A filter that took 25 s ended 20 s after the delete: the record
// was "discarded" and a second, open record took the deliveries (helper-92,
// a real Postfix 3.7). A deleted message waits 10 minutes for them.
TEST(TrackerSetups, ADeliveryRunningAtTheDeleteEndsItsMessage) {
  TrackerHarness h;
  h.Feed(queue_ops::DeleteDuringADelivery());
  ASSERT_TRUE(h.One("1B2C3D4E5F")) << "closed 10 s after its removal, without a flush";
  h.Flush();
  const MessageRecord* r = h.One("C617EA72266");
  ASSERT_TRUE(r) << "one record";
  ASSERT_EQ(r->recipients.size(), 2u);
  EXPECT_EQ(r->recipients[0].outcome, Outcome::kDelivered);
  EXPECT_EQ(r->recipients[1].outcome, Outcome::kDelivered);
  EXPECT_EQ(r->end, RecordEnd::kRemoved);
  EXPECT_EQ(r->client_ip, "192.0.2.20");
  // Through a restart between the delete and the delivery's end: the wait is
  // in the checkpoint, and the records removed after it still end in 10 s.
  TrackerHarness before;
  before.Feed({
      "Dec 06 15:00:03 mx postfix/smtpd[23819]: C617EA72266: client=unknown[192.0.2.20]",
      "Dec 06 15:00:03 mx postfix/qmgr[23697]: C617EA72266: from=<alice@hosted.test>, "
      "size=402, nrcpt=1 (queue active)",
      "Dec 06 15:00:08 mx postfix/postsuper[23997]: C617EA72266: removed",
      "Dec 06 15:00:09 mx postfix/smtpd[24001]: 1B2C3D4E5F: client=unknown[192.0.2.21]",
      "Dec 06 15:00:09 mx postfix/qmgr[23697]: 1B2C3D4E5F: from=<bob@hosted.test>, size=300, "
      "nrcpt=1 (queue active)",
      "Dec 06 15:00:09 mx postfix/qmgr[23697]: 1B2C3D4E5F: removed",
  });
  TrackerHarness after;
  ASSERT_TRUE(after.tracker().LoadState(before.tracker().SaveState()).ok());
  after.Feed({
      "Dec 06 15:00:20 mx postfix/smtpd[23830]: connect from unknown[192.0.2.99]",
      "Dec 06 15:00:28 mx postfix/smtp[23823]: C617EA72266: to=<xena@hosted.test>, "
      "relay=127.0.0.11[127.0.0.11]:10024, delay=25, delays=0/0/0/25, dsn=2.0.0, status=sent "
      "(250 2.0.0 from MTA(smtp:[127.0.0.10]:10025): 250 2.0.0 Ok: queued as D0C93A7205E)",
  });
  ASSERT_TRUE(after.One("1B2C3D4E5F")) << "its 10 s were not held up by the longer wait";
  after.Flush();
  ASSERT_TRUE(after.One("C617EA72266"));
  EXPECT_EQ(after.One("C617EA72266")->recipients.at(0).outcome, Outcome::kDelivered);
  // One whose running attempt is deferred after the delete is never retried:
  // discarded, with the reason (helper-100: it stayed "deferred").
  TrackerHarness d;
  d.Feed({
      "Dec 06 12:00:00 mx postfix/smtpd[8001]: 7C1D2A72010: client=unknown[192.0.2.20]",
      "Dec 06 12:00:00 mx postfix/qmgr[8000]: 7C1D2A72010: from=<alice@client.test>, "
      "size=400, nrcpt=1 (queue active)",
      "Dec 06 12:00:05 mx postfix/postsuper[8100]: 7C1D2A72010: removed",
      "Dec 06 12:00:40 mx postfix/smtp[8003]: 7C1D2A72010: to=<bob@remote.test>, "
      "relay=mx.remote.test[203.0.113.5]:25, delay=40, delays=0/0/5/35, dsn=4.4.2, "
      "status=deferred (conversation with mx.remote.test[203.0.113.5] timed out while "
      "receiving the initial server greeting)",
  });
  d.Flush();
  const MessageRecord* deferred = d.One("7C1D2A72010");
  ASSERT_TRUE(deferred);
  ASSERT_EQ(deferred->recipients.size(), 1u);
  EXPECT_EQ(deferred->recipients[0].outcome, Outcome::kDiscarded);
  EXPECT_NE(deferred->recipients[0].status_text.find("timed out"), std::string::npos);
}

// `postsuper -d`: the admin deleted a deferred message and a held one. What
// still waited is never delivered nor returned; it stayed "deferred" and
// "held" for ever, as if the mail were still queued.
TEST(TrackerSetups, WhatPostsuperDeletesIsDiscarded) {
  TrackerHarness h;
  h.Feed({
      "Dec 05 16:09:33 mx postfix/smtpd[14757]: 4jhYGP5WCsz1cbjX: client=unknown[192.0.2.30]",
      "Dec 05 16:09:33 mx postfix/qmgr[14696]: 4jhYGP5WCsz1cbjX: from=<nina@client.test>, "
      "size=371, nrcpt=2 (queue active)",
      "Dec 05 16:09:33 mx postfix/smtp[14772]: 4jhYGP5WCsz1cbjX: to=<nouser11@remote.test>, "
      "relay=mx.remote.test[198.51.100.20]:25, delay=0.24, delays=0.14/0.05/0.01/0.04, "
      "dsn=4.4.2, status=deferred (lost connection with mx.remote.test[198.51.100.20] while "
      "sending RCPT TO)",
      "Dec 05 16:09:33 mx postfix/smtp[14772]: 4jhYGP5WCsz1cbjX: to=<ok11@remote.test>, "
      "relay=mx.remote.test[198.51.100.20]:25, delay=0.24, delays=0.14/0.05/0.01/0.04, "
      "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as PEER73889)",
      "Dec 05 16:04:20 mx postfix/smtpd[8606]: 38998A944E5: client=unknown[192.0.2.30]",
      "Dec 05 16:04:20 mx postfix/cleanup[8609]: 38998A944E5: hold: header Subject: please "
      "HOLDME two from unknown[192.0.2.30]; from=<carol@client.test> to=<r002@remote.test> "
      "proto=ESMTP helo=<helo-hold2.client.test>: held by header check",
      "Dec 05 16:09:37 mx postfix/postsuper[14829]: 4jhYGP5WCsz1cbjX: removed",
      "Dec 05 16:09:37 mx postfix/postsuper[14829]: 38998A944E5: removed",
  });
  h.Flush();
  const MessageRecord* deferred = h.One("4jhYGP5WCsz1cbjX");
  ASSERT_TRUE(deferred);
  ASSERT_EQ(deferred->recipients.size(), 2u);
  EXPECT_EQ(deferred->recipients[0].outcome, Outcome::kDiscarded);
  EXPECT_NE(deferred->recipients[0].status_text.find("postsuper"), std::string::npos);
  EXPECT_NE(deferred->recipients[0].status_text.find("lost connection"), std::string::npos)
      << "the reason it waited is kept";
  EXPECT_EQ(deferred->recipients[1].outcome, Outcome::kDelivered);
  EXPECT_EQ(deferred->end, RecordEnd::kRemoved);
  const MessageRecord* held = h.One("38998A944E5");
  ASSERT_TRUE(held);
  ASSERT_EQ(held->recipients.size(), 1u);
  EXPECT_EQ(held->recipients[0].outcome, Outcome::kDiscarded);
  EXPECT_EQ(held->outcome, Outcome::kDiscarded);
}

// message_size_limit: smtpd refuses the message at the end of DATA ("552
// 5.3.4 Error: message file too big", 452 4.3.4 under soft_bounce) and logs
// only a warning with the queue id. The record was "expired" with no reason.
TEST(TrackerSetups, AMessageOverTheSizeLimitIsRejected) {
  const std::vector<std::string> lines = {
      "Dec 05 16:04:23 mx postfix/smtpd[8606]: connect from unknown[192.0.2.30]",
      "Dec 05 16:04:23 mx postfix/smtpd[8606]: 96AA6A948C6: client=unknown[192.0.2.30]",
      "Dec 05 16:04:23 mx postfix/cleanup[8609]: 96AA6A948C6: message-id=<big.1@client.test>",
      "Dec 05 16:04:23 mx postfix/smtpd[8606]: warning: 96AA6A948C6: queue file size limit "
      "exceeded",
      "Dec 05 16:04:23 mx postfix/cleanup[8609]: warning: 96AA6A948C6: queue file size limit "
      "exceeded",
      "Dec 05 16:04:23 mx postfix/cleanup[8609]: warning: mail_stream_cleanup: close error",
      "Dec 05 16:04:23 mx postfix/smtpd[8606]: disconnect from unknown[192.0.2.30] ehlo=1 mail=1 "
      "rcpt=1 data=0/1 quit=1 commands=4/5",
  };
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();
  const MessageRecord* r = h.One("96AA6A948C6");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::kRejected);
  ASSERT_TRUE(r->reject);
  EXPECT_EQ(r->reject->stage, "END-OF-MESSAGE");
  EXPECT_EQ(r->reject->text, "queue file size limit exceeded");
  EXPECT_EQ(Unknown(lines), 0);
}

// A before-queue filter (smtpd_proxy_filter; the e2e test's port 2529, a real
// Postfix 3.7.11, 2026-12-05): the smtpd behind the filter logs the filter
// (127.0.0.30) as the client; the front session's client is the real one,
// joined through its proxy-accept line. The record showed the filter before,
// and the detector counted nothing behind such a filter.
std::vector<std::string> ProxiedLines() {
  return {
      "Dec 05 19:52:52 mx postfix/smtpd[14219]: connect from unknown[127.0.5.120]",
      "Dec 05 19:52:52 mx postfix/smtpd[14219]: NOQUEUE: client=unknown[127.0.5.120]",
      "Dec 05 19:52:52 mx postfix/smtpd[14224]: 361ABAF6112: client=unknown[127.0.0.30]",
      "Dec 05 19:52:52 mx postfix/cleanup[14223]: 361ABAF6112: info: header From: <erin0@pal.test> "
      "from unknown[127.0.0.30]; from=<erin0@pal.test> to=<info@hosted.test> proto=ESMTP "
      "helo=<mx.example.test>",
      "Dec 05 19:52:52 mx postfix/cleanup[14223]: 361ABAF6112: info: header Subject: Proxied notes "
      "0 from unknown[127.0.0.30]; from=<erin0@pal.test> to=<info@hosted.test> proto=ESMTP "
      "helo=<mx.example.test>",
      "Dec 05 19:52:52 mx postfix/cleanup[14223]: 361ABAF6112: "
      "message-id=<e2e.9.1796500372066@mail2.sender.test>",
      "Dec 05 19:52:52 mx postfix/qmgr[14198]: 361ABAF6112: from=<erin0@pal.test>, size=542, "
      "nrcpt=1 (queue active)",
      "Dec 05 19:52:52 mx postfix/smtpd[14219]: proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued "
      "as 361ABAF6112; from=<erin0@pal.test> to=<info@hosted.test> proto=ESMTP "
      "helo=<mail2.sender.test>",
      "Dec 05 19:52:52 mx postfix/smtpd[14224]: disconnect from unknown[127.0.0.30] ehlo=1 mail=1 "
      "rcpt=1 data=1 quit=1 commands=5",
      "Dec 05 19:52:52 mx postfix/smtpd[14219]: disconnect from unknown[127.0.5.120] ehlo=1 mail=1 "
      "rcpt=1 data=1 quit=1 commands=5",
      "Dec 05 19:52:52 mx postfix/virtual[14209]: 361ABAF6112: to=<info@hosted.test>, "
      "relay=virtual, delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (delivered to maildir)",
      "Dec 05 19:52:52 mx postfix/qmgr[14198]: 361ABAF6112: removed",
  };
}

TEST(TrackerSetups, ABeforeQueueFiltersMessageHasTheFrontSessionsClient) {
  std::vector<std::string> lines = ProxiedLines();
  EXPECT_EQ(Unknown(lines), 0);
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();
  const MessageRecord* r = h.One("361ABAF6112");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->client_ip, "127.0.5.120");
  EXPECT_EQ(r->client_host, "unknown");
  EXPECT_EQ(r->helo, "mail2.sender.test") << "the client's, not the front smtpd's";
  EXPECT_EQ(r->recipients.at(0).outcome, Outcome::kDelivered);
  // Through a restart between the connect line and proxy-accept: the
  // session's client is in the checkpoint.
  TrackerHarness before;
  before.Feed({lines.begin(), lines.begin() + 7});
  TrackerHarness after;
  ASSERT_TRUE(after.tracker().LoadState(before.tracker().SaveState()).ok());
  after.Feed({lines.begin() + 7, lines.end()});
  after.Flush();
  r = after.One("361ABAF6112");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->client_ip, "127.0.5.120");
}

// The front smtpd may log proxy-accept after "removed" (quick delivery, a
// slow filter). Live, records are written at "removed", and the detector
// sees a record once: it counted the filter's address, and a filter on
// 127.0.0.30 twice with the update (helper-70, helper-71). On a host that
// logged proxy-accept, a message from loopback is written when its grace
// ends, once, with its client.
TEST(TrackerSetups, AProxyAcceptAfterRemovedIsJoinedBeforeTheRecordIsWritten) {
  const std::vector<std::string> real = ProxiedLines();
  ASSERT_NE(real[7].find("proxy-accept"), std::string::npos);
  ASSERT_NE(real[9].find("disconnect from unknown[127.0.5.120]"), std::string::npos);
  ASSERT_NE(real[11].find("removed"), std::string::npos);
  // A second message, its proxy-accept and the front's disconnect after "removed".
  std::vector<std::string> late;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 8, 10, 11, 7, 9}) {
    std::string l = real[i];
    for (auto [from, to] : {std::pair<std::string, std::string>{"361ABAF6112", "4A1BBAF6113"},
                            {"smtpd[14219]", "smtpd[14230]"},
                            {"smtpd[14224]", "smtpd[14231]"},
                            {"19:52:52", "19:52:53"}})
      for (size_t at = l.find(from); at != std::string::npos; at = l.find(from, at + to.size()))
        l.replace(at, from.size(), to);
    late.push_back(l);
  }
  TrackerOptions live;
  live.emit_at_removed = true;
  TrackerHarness h(live);
  h.Feed(real);  // the host's first proxied message: it is known to have a filter
  h.Feed(late);
  ASSERT_EQ(h.records().size(), 1u) << "the late one waits for its grace";
  h.Flush();
  ASSERT_EQ(h.records().size(), 2u) << "each written once";
  EXPECT_EQ(h.records()[1].qid, "4A1BBAF6113");
  EXPECT_EQ(h.records()[1].client_ip, "127.0.5.120");
  EXPECT_FALSE(h.records()[1].is_update);
  // Without a before-queue filter seen on the host, a loopback client's
  // record is written at "removed" as before.
  TrackerHarness plain(live);
  std::vector<std::string> no_proxy;
  for (const auto& l : real)
    if (l.find("proxy-accept") == std::string::npos) no_proxy.push_back(l);
  plain.Feed(no_proxy);
  EXPECT_EQ(plain.records().size(), 1u);
}

// Only a message the smtpd behind the filter received from a loopback
// address (the filter) takes the front session's client: a proxy-accept
// naming a message with a client of its own changes nothing.
TEST(TrackerSetups, AProxyAcceptChangesOnlyAMessageFromTheFilter) {
  std::vector<std::string> lines = ProxiedLines();
  for (auto& l : lines) {
    const size_t at = l.find("client=unknown[127.0.0.30]");
    if (at != std::string::npos) l.replace(at, 26, "client=mx2.example.test[192.0.2.8]");
  }
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();
  const MessageRecord* r = h.One("361ABAF6112");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->client_ip, "192.0.2.8");
}

// After `postsuper -r`, Postfix sends the content filter XFORWARD IDENT=<the
// message's first queue id> (the queue file keeps smtpd's log_ident), so the
// re-injected leg's orig_queue_id= and amavis's Queue-ID name that first id,
// not the leg the filter was given. The leg is the child of the delivery
// whose reply says "queued as" it; a scan naming a closed id is no new record
// (helper-92, a real Postfix 3.7: the leg's parent was the first id, and a
// second, empty, open record of it was made).
TEST(TrackerSetups, ARequeuedMessagesLegIsTheChildOfItsDelivery) {
  TrackerHarness h;
  h.Feed(queue_ops::RequeuedWithItsLeg());
  h.Flush();
  int first = 0;
  for (const auto& r : h.records()) first += r.qid == "F2273A720E2";
  ASSERT_EQ(first, 1) << "no second record of the first queue id";
  const MessageRecord* leg1 = h.One("0DF39A7216F");
  const MessageRecord* requeued = h.One("09D4BA72067");
  const MessageRecord* leg2 = h.One("1719CA720E2");
  ASSERT_TRUE(leg1 && requeued && leg2);
  EXPECT_EQ(h.One("F2273A720E2")->child_qids, std::vector<std::string>{"0DF39A7216F"});
  EXPECT_EQ(leg1->child_qids, std::vector<std::string>{"09D4BA72067"});
  EXPECT_EQ(requeued->parent_qid, "0DF39A7216F");
  EXPECT_EQ(requeued->child_qids, std::vector<std::string>{"1719CA720E2"});
  EXPECT_EQ(leg2->parent_qid, "09D4BA72067");
  EXPECT_EQ(requeued->scans.size(), 1u) << "the second pass's scan is the requeued message's";
}

// The IDENT of a requeued message names a closed first queue id: its leg
// and amavis's verdict belong to the requeued file at once, also a verdict
// that passed nothing on (no queued_as:) and a leg whose filter answers
// after the leg has ended (helper-100: a second record of the first id held
// the scan; the leg kept the first id as its parent).
TEST(TrackerSetups, TheRequeuedFileIsWhatItsIdentNames) {
  const std::vector<std::string> start = {
      "Dec 06 11:00:00 mx postfix/smtpd[7001]: 4F1E2A72001: client=unknown[192.0.2.20]",
      "Dec 06 11:00:00 mx postfix/cleanup[7002]: 4F1E2A72001: message-id=<m1@client.test>",
      "Dec 06 11:00:00 mx postfix/qmgr[7000]: 4F1E2A72001: from=<alice@client.test>, size=405, "
      "nrcpt=1 (queue active)",
      "Dec 06 11:00:00 mx postfix/smtp[7003]: 4F1E2A72001: to=<vera@hosted.test>, relay=none, "
      "delay=0.1, delays=0.01/0.01/0.08/0, dsn=4.4.1, status=deferred (connect to "
      "127.0.0.1[127.0.0.1]:10024: Connection refused)",
      "Dec 06 11:20:00 mx postfix/postsuper[7100]: 4F1E2A72001: requeued",
      "Dec 06 11:20:01 mx postfix/pickup[7101]: 5A2B3A72002: uid=0 from=<alice@client.test> "
      "orig_id=4F1E2A72001",
      "Dec 06 11:20:01 mx postfix/cleanup[7002]: 5A2B3A72002: message-id=<m1@client.test>",
      "Dec 06 11:20:01 mx postfix/qmgr[7000]: 5A2B3A72002: from=<alice@client.test>, size=520, "
      "nrcpt=1 (queue active)",
  };
  TrackerHarness blocked;
  std::vector<std::string> lines = start;
  lines.push_back(
      "Dec 06 11:20:30 mx amavis[7105]: (7105-01) Blocked SPAM {DiscardedInbound}, "
      "[192.0.2.20]:4242 <alice@client.test> -> <vera@hosted.test>, Queue-ID: 4F1E2A72001, "
      "Message-ID: <m1@client.test>, mail_id: Mx01, Hits: 17.1, size: 520, 400 ms");
  lines.push_back(
      "Dec 06 11:20:30 mx postfix/smtp[7106]: 5A2B3A72002: to=<vera@hosted.test>, "
      "relay=127.0.0.1[127.0.0.1]:10024, delay=1.2, delays=0.7/0/0/0.5, dsn=2.7.0, "
      "status=sent (250 2.7.0 Ok, discarded, id=7105-01 - spam)");
  lines.push_back("Dec 06 11:20:30 mx postfix/qmgr[7000]: 5A2B3A72002: removed");
  blocked.Feed(lines);
  blocked.Flush();
  ASSERT_TRUE(blocked.One("4F1E2A72001")) << "one record of the first id";
  EXPECT_TRUE(blocked.One("4F1E2A72001")->scans.empty());
  ASSERT_TRUE(blocked.One("5A2B3A72002"));
  EXPECT_EQ(blocked.One("5A2B3A72002")->scans.size(), 1u);

  TrackerHarness slow;
  lines = start;
  for (const char* l : {
           "Dec 06 11:20:02 mx postfix/smtpd[7104]: 6B3C4A72003: client=localhost[127.0.0.1], "
           "orig_queue_id=4F1E2A72001, orig_client=unknown[192.0.2.20]",
           "Dec 06 11:20:02 mx postfix/qmgr[7000]: 6B3C4A72003: from=<alice@client.test>, "
           "size=900, nrcpt=1 (queue active)",
           "Dec 06 11:20:02 mx postfix/virtual[7107]: 6B3C4A72003: to=<vera@hosted.test>, "
           "relay=virtual, delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent (delivered to "
           "maildir)",
           "Dec 06 11:20:02 mx postfix/qmgr[7000]: 6B3C4A72003: removed",
           "Dec 06 11:20:17 mx postfix/smtp[7106]: 5A2B3A72002: to=<vera@hosted.test>, "
           "relay=127.0.0.1[127.0.0.1]:10024, delay=16, delays=0.7/0/0/15.5, dsn=2.0.0, "
           "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as "
           "6B3C4A72003)",
           "Dec 06 11:20:17 mx postfix/qmgr[7000]: 5A2B3A72002: removed",
       })
    lines.push_back(l);
  slow.Feed(lines);
  slow.Flush();
  ASSERT_TRUE(slow.One("6B3C4A72003") && slow.One("5A2B3A72002"));
  EXPECT_EQ(slow.One("6B3C4A72003")->parent_qid, "5A2B3A72002");
  EXPECT_EQ(slow.One("5A2B3A72002")->child_qids, std::vector<std::string>{"6B3C4A72003"});

  // Two files of one message requeued together (`postsuper -r ALL`: the first
  // file waiting for a recipient, and a leg): one IDENT for both. Each
  // verdict goes to the file whose delivery to amavis names it (helper-101:
  // both went to the last file requeued).
  TrackerHarness two;
  two.Feed({
      "Dec 06 10:00:00 mx postfix/smtpd[7001]: 4F1E2A72001: client=unknown[192.0.2.20]",
      "Dec 06 10:00:00 mx postfix/cleanup[7002]: 4F1E2A72001: message-id=<m1@client.test>",
      "Dec 06 10:00:00 mx postfix/qmgr[7000]: 4F1E2A72001: from=<alice@client.test>, size=405, "
      "nrcpt=2 (queue active)",
      "Dec 06 10:00:01 mx postfix/smtpd[7104]: 1A1A1A72003: client=localhost[127.0.0.1], "
      "orig_queue_id=4F1E2A72001, orig_client=unknown[192.0.2.20]",
      "Dec 06 10:00:01 mx postfix/qmgr[7000]: 1A1A1A72003: from=<alice@client.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Dec 06 10:00:01 mx postfix/smtp[7106]: 4F1E2A72001: to=<ann@remote.test>, "
      "relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0.5/0/0/0.5, dsn=2.0.0, status=sent "
      "(250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 1A1A1A72003)",
      "Dec 06 10:00:02 mx postfix/smtp[7108]: 1A1A1A72003: to=<ann@remote.test>, "
      "relay=192.0.2.50[192.0.2.50]:25, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred "
      "(connect to 192.0.2.50[192.0.2.50]:25: Connection timed out)",
      "Dec 06 10:05:01 mx postfix/smtp[7109]: 4F1E2A72001: to=<bob@remote.test>, "
      "relay=127.0.0.1[127.0.0.1]:10024, delay=300, delays=0/0/0/300, dsn=4.4.2, "
      "status=deferred (conversation with 127.0.0.1[127.0.0.1] timed out)",
      "Dec 06 10:20:00 mx postfix/postsuper[7200]: 4F1E2A72001: requeued",
      "Dec 06 10:20:00 mx postfix/postsuper[7200]: 1A1A1A72003: requeued",
      "Dec 06 10:20:01 mx postfix/pickup[7101]: 5A2B3A72010: uid=0 from=<alice@client.test> "
      "orig_id=4F1E2A72001",
      "Dec 06 10:20:01 mx postfix/cleanup[7002]: 5A2B3A72010: message-id=<m1@client.test>",
      "Dec 06 10:20:01 mx postfix/pickup[7101]: 6C6C6A72011: uid=0 from=<alice@client.test> "
      "orig_id=1A1A1A72003",
      "Dec 06 10:20:01 mx postfix/cleanup[7002]: 6C6C6A72011: message-id=<m1@client.test>",
      "Dec 06 10:20:01 mx postfix/qmgr[7000]: 5A2B3A72010: from=<alice@client.test>, size=520, "
      "nrcpt=1 (queue active)",
      "Dec 06 10:20:01 mx postfix/qmgr[7000]: 6C6C6A72011: from=<alice@client.test>, "
      "size=1020, nrcpt=1 (queue active)",
      "Dec 06 10:20:02 mx amavis[7105]: (7105-02) Blocked SPAM {DiscardedInbound}, "
      "[192.0.2.20]:4242 <alice@client.test> -> <bob@remote.test>, Queue-ID: 4F1E2A72001, "
      "Message-ID: <m1@client.test>, mail_id: Mx02, Hits: 17.1, size: 520, 400 ms",
      "Dec 06 10:20:02 mx postfix/smtp[7106]: 5A2B3A72010: to=<bob@remote.test>, "
      "relay=127.0.0.1[127.0.0.1]:10024, delay=1.2, delays=0.7/0/0/0.5, dsn=2.7.0, "
      "status=sent (250 2.7.0 Ok, discarded, id=7105-02 - spam)",
      "Dec 06 10:20:02 mx postfix/qmgr[7000]: 5A2B3A72010: removed",
      "Dec 06 10:20:03 mx postfix/smtpd[7104]: 7D7D7A72012: client=localhost[127.0.0.1], "
      "orig_queue_id=4F1E2A72001, orig_client=unknown[192.0.2.20]",
      "Dec 06 10:20:03 mx postfix/qmgr[7000]: 7D7D7A72012: from=<alice@client.test>, "
      "size=1200, nrcpt=1 (queue active)",
      "Dec 06 10:20:03 mx amavis[7105]: (7105-03) Passed CLEAN {RelayedInbound}, "
      "[192.0.2.20]:4242 <alice@client.test> -> <ann@remote.test>, Queue-ID: 4F1E2A72001, "
      "Message-ID: <m1@client.test>, mail_id: Mx03, Hits: -1, size: 1020, queued_as: "
      "7D7D7A72012, 40 ms",
      "Dec 06 10:20:03 mx postfix/smtp[7106]: 6C6C6A72011: to=<ann@remote.test>, "
      "relay=127.0.0.1[127.0.0.1]:10024, delay=2, delays=0.5/0/0/0.5, dsn=2.0.0, status=sent "
      "(250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 7D7D7A72012)",
  });
  two.Flush();
  const MessageRecord* blocked_file = two.One("5A2B3A72010");
  const MessageRecord* passed_file = two.One("6C6C6A72011");
  ASSERT_TRUE(blocked_file && passed_file && two.One("7D7D7A72012"));
  ASSERT_EQ(blocked_file->scans.size(), 1u);
  EXPECT_EQ(blocked_file->scans[0].action, "Blocked");
  ASSERT_EQ(passed_file->scans.size(), 1u);
  EXPECT_EQ(passed_file->scans[0].action, "Passed");
  EXPECT_EQ(two.One("7D7D7A72012")->parent_qid, "6C6C6A72011");
}

// The same while the first queue id is still open: `postsuper -r` during its
// delivery to a slow filter. The old file's delivery ends (its leg is its
// child) and the new one's leg is the new one's, not the old id's that its
// IDENT names (helper-92's l1).
TEST(TrackerSetups, ALegNamedByIdentIsMovedToTheDeliveryThatMadeIt) {
  TrackerHarness h;
  h.Feed({
      "Dec 06 15:07:42 mx postfix/smtpd[31072]: 5B720A72259: client=unknown[192.0.2.20]",
      "Dec 06 15:07:42 mx postfix/qmgr[26392]: 5B720A72259: from=<alice@hosted.test>, "
      "size=409, nrcpt=1 (queue active)",
      "Dec 06 15:07:44 mx postfix/postsuper[4039]: 5B720A72259: requeued",
      "Dec 06 15:08:06 mx postfix/pickup[26391]: 67F5CA7207B: uid=103 from=<alice@hosted.test> "
      "orig_id=5B720A72259",
      "Dec 06 15:08:06 mx postfix/qmgr[26392]: 67F5CA7207B: from=<alice@hosted.test>, "
      "size=522, nrcpt=1 (queue active)",
      "Dec 06 15:08:07 mx postfix/smtpd[31077]: 671FEA7200B: client=unknown[127.0.0.11], "
      "orig_queue_id=5B720A72259, orig_client=unknown[192.0.2.20]",
      "Dec 06 15:08:07 mx postfix/qmgr[26392]: 671FEA7200B: from=<alice@hosted.test>, "
      "size=589, nrcpt=1 (queue active)",
      "Dec 06 15:08:07 mx postfix/smtp[26734]: 5B720A72259: to=<xena@hosted.test>, "
      "relay=127.0.0.11[127.0.0.11]:10024, delay=25, delays=0/0/0/25, dsn=2.0.0, status=sent "
      "(250 2.0.0 from MTA(smtp:[127.0.0.10]:10025): 250 2.0.0 Ok: queued as 671FEA7200B)",
      "Dec 06 15:08:07 mx postfix/smtpd[31077]: 742E2A72384: client=unknown[127.0.0.11], "
      "orig_queue_id=5B720A72259, orig_client=unknown[192.0.2.20]",
      "Dec 06 15:08:07 mx postfix/qmgr[26392]: 742E2A72384: from=<alice@hosted.test>, "
      "size=702, nrcpt=1 (queue active)",
      "Dec 06 15:08:08 mx postfix/smtp[26730]: 67F5CA7207B: to=<xena@hosted.test>, "
      "relay=127.0.0.11[127.0.0.11]:10024, delay=2, delays=1/0/0/1, dsn=2.0.0, status=sent "
      "(250 2.0.0 from MTA(smtp:[127.0.0.10]:10025): 250 2.0.0 Ok: queued as 742E2A72384)",
      "Dec 06 15:08:08 mx postfix/qmgr[26392]: 67F5CA7207B: removed",
  });
  h.Flush();
  const MessageRecord* old_id = h.One("5B720A72259");
  const MessageRecord* new_id = h.One("67F5CA7207B");
  const MessageRecord* new_leg = h.One("742E2A72384");
  ASSERT_TRUE(old_id && new_id && new_leg);
  EXPECT_EQ(old_id->child_qids, (std::vector<std::string>{"67F5CA7207B", "671FEA7200B"}));
  EXPECT_EQ(new_id->child_qids, std::vector<std::string>{"742E2A72384"});
  EXPECT_EQ(new_leg->parent_qid, "67F5CA7207B");
}

}  // namespace
}  // namespace mailtrail
