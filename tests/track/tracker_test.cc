// Tracker scenarios, each built from real line forms of the corpora.
#include <gtest/gtest.h>

#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

const std::vector<std::string> kInbound = {
    "Nov 27 12:03:25 mx postfix/smtpd[12776]: connect from mail.northwind.test[127.0.5.120]",
    "Nov 27 12:03:25 mx postfix/smtpd[12776]: 91FEA10A305: client=mail.northwind.test[127.0.5.120]",
    "Nov 27 12:03:25 mx postfix/cleanup[12781]: 91FEA10A305: info: header Subject: Hello from "
    "mail.northwind.test[127.0.5.120]; from=<li@northwind.test> to=<nadia@example.test> "
    "proto=ESMTP helo=<mail.northwind.test>",
    "Nov 27 12:03:25 mx postfix/cleanup[12781]: 91FEA10A305: message-id=<m1@northwind.test>",
    "Nov 27 12:03:25 mx postfix/qmgr[12713]: 91FEA10A305: from=<Li@northwind.test>, size=1339, "
    "nrcpt=1 (queue active)",
    "Nov 27 12:03:25 mx postfix/smtpd[12776]: disconnect from mail.northwind.test[127.0.5.120] "
    "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
    "Nov 27 12:03:25 mx postfix/local[12782]: 91FEA10A305: to=<nadia@example.test>, relay=local, "
    "delay=0.03, delays=0.02/0.01/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
    "Nov 27 12:03:25 mx postfix/qmgr[12713]: 91FEA10A305: removed",
};

TEST(Tracker, InboundMessageBecomesOneDeliveredRecordAfterGrace) {
  TrackerHarness h;
  h.Feed(kInbound);
  EXPECT_TRUE(h.records().empty()) << "closed before the grace period";
  h.Feed({"Nov 27 12:03:40 mx postfix/qmgr[12713]: AAAAA10A305: removed"});
  ASSERT_EQ(h.records().size(), 1u);
  const MessageRecord& r = h.records()[0];
  EXPECT_EQ(r.qid, "91FEA10A305");
  EXPECT_EQ(r.client_ip, "127.0.5.120");
  EXPECT_EQ(r.helo, "mail.northwind.test");
  EXPECT_EQ(r.sender.value_or("?"), "li@northwind.test");  // lower-cased
  EXPECT_EQ(r.message_id.value_or("?"), "m1@northwind.test");
  EXPECT_EQ(r.subject.value_or("?"), "Hello");
  EXPECT_EQ(r.size, 1339);
  EXPECT_EQ(r.outcome, Outcome::kDelivered);
  EXPECT_EQ(r.end, RecordEnd::kRemoved);
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].relay, "local");
}

TEST(Tracker, LiveModeEmitsAtRemovalAndUpdatesOnlyWhenALateLineChangesIt) {
  TrackerOptions o;
  o.emit_at_removed = true;
  TrackerHarness h(o);
  std::vector<std::string> lines = kInbound;
  std::swap(lines[6], lines[7]);               // local(8) logs after qmgr's "removed"
  h.Feed({lines.begin(), lines.begin() + 7});  // up to "removed"
  ASSERT_EQ(h.records().size(), 1u) << "emitted at removal";
  EXPECT_FALSE(h.records()[0].is_update);
  EXPECT_TRUE(h.records()[0].recipients.empty());
  h.Feed({lines[7]});  // the late delivery line
  h.Feed({"Nov 27 12:03:40 mx postfix/qmgr[12713]: AAAAA10A305: removed"});
  ASSERT_EQ(h.records().size(), 2u) << "changed by a late line: emitted again";
  EXPECT_TRUE(h.records()[1].is_update);
  EXPECT_EQ(h.records()[1].outcome, Outcome::kDelivered);
  EXPECT_EQ(h.records()[1].first_seen, h.records()[0].first_seen);

  TrackerHarness quiet(o);
  quiet.Feed(kInbound);
  quiet.Feed({"Nov 27 12:03:40 mx postfix/qmgr[12713]: AAAAA10A305: removed"});
  quiet.Flush();
  EXPECT_EQ(quiet.One("91FEA10A305") != nullptr, true) << "emitted once, not again unchanged";
}

TEST(Tracker, LateDeliveryLineWithinGraceJoinsTheRecord) {
  TrackerHarness h;
  std::vector<std::string> lines = kInbound;
  std::swap(lines[6], lines[7]);  // local(8) logs after qmgr's "removed"
  h.Feed(lines);
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u);
  EXPECT_EQ(h.records()[0].outcome, Outcome::kDelivered);
}

TEST(Tracker, QueueIdReuseStartsANewRecord) {
  TrackerHarness h;
  h.Feed(kInbound);
  h.Feed(
      {"Nov 27 12:03:27 mx postfix/smtpd[12776]: 91FEA10A305: client=mail.pal.test[127.0.5.123]"});
  h.Flush();
  ASSERT_EQ(h.records().size(), 2u);
  EXPECT_EQ(h.records()[0].client_ip, "127.0.5.120");
  EXPECT_EQ(h.records()[0].outcome, Outcome::kDelivered);
  EXPECT_EQ(h.records()[1].client_ip, "127.0.5.123");
}

TEST(Tracker, DeferredRetriesCountAttemptsNotMessagesThenExpire) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:05:38 mx postfix/pickup[1]: 578AE10A35E: uid=1004 from=<omar@example.test>",
      "Nov 27 12:05:38 mx postfix/qmgr[2]: 578AE10A35E: from=<omar@example.test>, size=600, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:05:52 mx postfix/smtp[3]: 578AE10A35E: to=<info1@dead.test>, relay=none, "
      "delay=0.01, delays=0.01/0/0/0, dsn=4.4.1, status=deferred (connect to "
      "mx.dead.test[127.0.0.4]:25: Connection refused)",
      "Nov 27 12:06:38 mx postfix/qmgr[2]: 578AE10A35E: from=<omar@example.test>, size=600, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:06:38 mx postfix/error[4]: 578AE10A35E: to=<info1@dead.test>, relay=none, "
      "delay=60, delays=60/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: "
      "connect to mx.dead.test[127.0.0.4]:25: Connection refused)",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u);
  EXPECT_EQ(h.records()[0].outcome, Outcome::kDeferred);
  EXPECT_EQ(h.records()[0].end, RecordEnd::kOpen);
  EXPECT_EQ(h.records()[0].size, 600);
  EXPECT_EQ(h.records()[0].recipients[0].attempts, 2);
  EXPECT_FALSE(h.records()[0].has_client);

  TrackerHarness e;
  e.Feed({
      "Nov 27 12:05:38 mx postfix/pickup[1]: 578AE10A35E: uid=1004 from=<omar@example.test>",
      "Nov 27 12:05:52 mx postfix/smtp[3]: 578AE10A35E: to=<info1@dead.test>, relay=none, "
      "delay=0.01, delays=0.01/0/0/0, dsn=4.4.1, status=deferred (connect to "
      "mx.dead.test[127.0.0.4]:25: Connection refused)",
      "Nov 27 12:08:59 mx postfix/qmgr[2]: 578AE10A35E: from=<omar@example.test>, status=expired, "
      "returned to sender",
      "Nov 27 12:08:59 mx postfix/cleanup[5]: 78A7E10A3BA: "
      "message-id=<20261127120859.78A7E10A3BA@mx.example.test>",
      "Nov 27 12:08:59 mx postfix/bounce[6]: 578AE10A35E: sender non-delivery notification: "
      "78A7E10A3BA",
      "Nov 27 12:08:59 mx postfix/qmgr[2]: 578AE10A35E: removed",
  });
  e.Flush();
  const MessageRecord* orig = e.One("578AE10A35E");
  const MessageRecord* ndr = e.One("78A7E10A3BA");
  ASSERT_TRUE(orig && ndr);
  EXPECT_EQ(orig->outcome, Outcome::kExpired);
  EXPECT_EQ(orig->ndr_qid, "78A7E10A3BA");
  EXPECT_EQ(ndr->ndr_of, "578AE10A35E");
}

TEST(Tracker, NoqueueRejectsAreGroupedPerTransaction) {
  TrackerHarness h;
  const std::string reject =
      "Nov 27 12:04:45 mx postfix/smtpd[14338]: NOQUEUE: reject: RCPT from "
      "mail.northwind.test[127.0.5.120]: 550 5.1.1 <{R}>: Recipient address rejected: User unknown "
      "in local recipient table; from=<{S}> to=<{R}> proto=ESMTP helo=<mail.northwind.test>";
  auto line = [&](const std::string& s, const std::string& r) {
    std::string l = reject;
    for (auto [k, v] : {std::pair{"{S}", s}, {"{R}", r}})
      for (size_t p; (p = l.find(k)) != std::string::npos;) l.replace(p, 3, v);
    return l;
  };
  h.Feed({"Nov 27 12:04:45 mx postfix/smtpd[14338]: connect from mail.northwind.test[127.0.5.120]",
          line("john@northwind.test", "a@example.test"),
          line("john@northwind.test", "b@example.test"),
          line("eve@northwind.test", "c@example.test"),
          "Nov 27 12:04:46 mx postfix/smtpd[14338]: disconnect from "
          "mail.northwind.test[127.0.5.120] ehlo=1 mail=2 rcpt=0/3 quit=1 commands=4/7"});
  ASSERT_EQ(h.records().size(), 2u) << "records are emitted when the session ends";
  EXPECT_TRUE(h.records()[0].qid.empty());
  EXPECT_EQ(h.records()[0].recipients.size(), 2u);
  EXPECT_EQ(h.records()[0].outcome, Outcome::kRejected);
  EXPECT_EQ(h.records()[0].client_ip, "127.0.5.120");
  EXPECT_EQ(h.records()[0].reject->code, 550);
  EXPECT_EQ(h.records()[1].sender.value_or("?"), "eve@northwind.test");
}

TEST(Tracker, ContentFilterLegsAreLinkedBothWays) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:22:33 mx postfix/smtpd[1]: 01E0C10A305: client=mail.pal.test[127.0.5.123]",
      "Nov 27 12:22:33 mx postfix/qmgr[2]: 01E0C10A305: from=<helpdesk@pal.test>, size=802, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:22:33 mx postfix/smtpd[3]: 586D910A322: client=localhost[127.0.0.1], "
      "orig_queue_id=01E0C10A305, orig_client=mail.pal.test[127.0.5.123]",
      "Nov 27 12:22:33 mx postfix/qmgr[2]: 586D910A322: from=<helpdesk@pal.test>, size=1500, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:22:33 mx postfix/local[4]: 586D910A322: to=<quentin@example.test>, relay=local, "
      "delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 12:22:33 mx postfix/qmgr[2]: 586D910A322: removed",
      "Nov 27 12:22:33 mx amavis[19882]: (19882-01) Passed CLEAN {RelayedInbound}, "
      "[127.0.5.123]:46531 <helpdesk@pal.test> -> <quentin@example.test>, Queue-ID: 01E0C10A305, "
      "Message-ID: <m@pal.test>, mail_id: x, Hits: -1, size: 802, queued_as: 586D910A322, 339 ms",
      "Nov 27 12:22:33 mx postfix/smtp[5]: 01E0C10A305: to=<quentin@example.test>, "
      "relay=127.0.0.1[127.0.0.1]:10024, delay=0.39, delays=0.02/0.02/0.01/0.34, dsn=2.0.0, "
      "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as "
      "586D910A322)",
      "Nov 27 12:22:33 mx postfix/qmgr[2]: 01E0C10A305: removed",
  });
  h.Flush();
  const MessageRecord* first = h.One("01E0C10A305");
  const MessageRecord* second = h.One("586D910A322");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->child_qids, std::vector<std::string>{"586D910A322"});
  EXPECT_EQ(second->parent_qid, "01E0C10A305");
  ASSERT_EQ(first->scans.size(), 1u);
  EXPECT_EQ(first->scans[0].verdict, "CLEAN");
  EXPECT_EQ(first->scans[0].score, -1);
}

// amavis passed the message on in two transactions ("queued_as: A/B", its
// recipients' copies differ): both are legs (helper-127 F7).
TEST(Tracker, EveryLegAmavisPassedTheMessageOnAsIsLinked) {
  TrackerHarness h;
  std::vector<std::string> lines = {
      "Nov 27 12:22:33 mx postfix/smtpd[1]: 01E0C10A305: client=mail.pal.test[127.0.5.123]",
      "Nov 27 12:22:33 mx postfix/qmgr[2]: 01E0C10A305: from=<helpdesk@pal.test>, size=802, "
      "nrcpt=2 (queue active)",
  };
  for (const char* leg : {"586D910A322", "586D910A323"}) {
    lines.push_back(std::string("Nov 27 12:22:33 mx postfix/smtpd[3]: ") + leg +
                    ": client=localhost[127.0.0.1], orig_queue_id=01E0C10A305, "
                    "orig_client=mail.pal.test[127.0.5.123]");
    lines.push_back(std::string("Nov 27 12:22:33 mx postfix/qmgr[2]: ") + leg +
                    ": from=<helpdesk@pal.test>, size=1500, nrcpt=1 (queue active)");
  }
  lines.push_back(
      "Nov 27 12:22:33 mx amavis[19882]: (19882-01) Passed CLEAN {RelayedInbound}, "
      "[127.0.5.123]:46531 <helpdesk@pal.test> -> <q@example.test>,<r@example.test>, "
      "Queue-ID: 01E0C10A305, Message-ID: <m@pal.test>, mail_id: x, Hits: -1, size: 802, "
      "queued_as: 586D910A322/586D910A323, 339 ms");
  h.Feed(lines);
  h.Flush();
  const MessageRecord* first = h.One("01E0C10A305");
  ASSERT_TRUE(first != nullptr);
  EXPECT_EQ(first->child_qids, (std::vector<std::string>{"586D910A322", "586D910A323"}));
  for (const char* leg : {"586D910A322", "586D910A323"}) {
    const MessageRecord* r = h.One(leg);
    ASSERT_TRUE(r != nullptr) << leg;
    EXPECT_EQ(r->parent_qid, "01E0C10A305") << leg;
  }
}

TEST(Tracker, RemoteQueuedAsDoesNotLinkToAnUnknownMessage) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:05:40 mx postfix/pickup[1]: 9413810A334: uid=0 from=<root@example.test>",
      "Nov 27 12:05:40 mx postfix/smtp[2]: 9413810A334: to=<ok1@remote.test>, "
      "relay=mx.remote.test[127.0.0.3]:25, delay=0.12, delays=0.02/0.03/0/0.07, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as 4F2A81C0A3)",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u);
  EXPECT_TRUE(h.records()[0].child_qids.empty());
}

TEST(Tracker, HoldAndDiscardActionsApplyToTheNextMessageOfTheSession) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:04:42 mx postfix/smtpd[14338]: connect from unknown[127.0.5.142]",
      "Nov 27 12:04:42 mx postfix/smtpd[14338]: NOQUEUE: hold: RCPT from unknown[127.0.5.142]: "
      "<unknown[127.0.5.142]>: Client host held for manual review; from=<review@northwind.test> "
      "to=<tara@example.test> proto=ESMTP helo=<[127.0.5.142]>",
      "Nov 27 12:04:42 mx postfix/smtpd[14338]: 7999310A322: client=unknown[127.0.5.142]",
      "Nov 27 12:04:42 mx postfix/cleanup[14343]: 7999310A322: message-id=<h@northwind.test>",
      "Nov 27 12:04:42 mx postfix/smtpd[14338]: disconnect from unknown[127.0.5.142] ehlo=1 mail=1 "
      "rcpt=1 data=1 quit=1 commands=5",
      "Nov 27 12:04:47 mx postfix/smtpd[14338]: connect from unknown[127.0.5.143]",
      "Nov 27 12:04:47 mx postfix/smtpd[14338]: NOQUEUE: discard: RCPT from unknown[127.0.5.143]: "
      "<unknown[127.0.5.143]>: Client host silently dropped; from=<drop@northwind.test> "
      "to=<paula@example.test> proto=ESMTP helo=<[127.0.5.143]>",
      "Nov 27 12:04:47 mx postfix/smtpd[14338]: 309C710A37A: client=unknown[127.0.5.143]",
      "Nov 27 12:04:47 mx postfix/smtpd[14338]: disconnect from unknown[127.0.5.143] ehlo=1 mail=1 "
      "rcpt=1 data=1 quit=1 commands=5",
      "Nov 27 12:10:00 mx postfix/qmgr[1]: 0000010A300: removed",
  });
  const MessageRecord* discarded = h.One("309C710A37A");
  ASSERT_TRUE(discarded) << "a discarded message ends with its session";
  EXPECT_EQ(discarded->outcome, Outcome::kDiscarded);
  EXPECT_EQ(discarded->sender.value_or("?"), "drop@northwind.test");
  EXPECT_EQ(h.One("7999310A322"), nullptr) << "a held message stays open";
  h.Flush();
  const MessageRecord* held = h.One("7999310A322");
  ASSERT_TRUE(held);
  EXPECT_EQ(held->outcome, Outcome::kHeld);
  EXPECT_EQ(held->recipients[0].address, "tara@example.test");
}

TEST(Tracker, HeaderRejectEndsWithTheSessionAsRejected) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:04:42 mx postfix/smtpd[14338]: connect from relay.netprovider.test[127.0.5.124]",
      "Nov 27 12:04:42 mx postfix/smtpd[14338]: 6A9E210A322: "
      "client=relay.netprovider.test[127.0.5.124]",
      "Nov 27 12:04:42 mx postfix/cleanup[14343]: 6A9E210A322: reject: header Subject: cheap "
      "viagra for you from relay.netprovider.test[127.0.5.124]; from=<promo@netprovider.test> "
      "to=<ulrich@example.test> proto=ESMTP helo=<relay.netprovider.test>: 5.7.1 Spam subject "
      "rejected",
      "Nov 27 12:04:42 mx postfix/smtpd[14338]: disconnect from "
      "relay.netprovider.test[127.0.5.124] ehlo=1 mail=1 rcpt=1 data=0/1 quit=1 commands=4/5",
  });
  h.Flush();
  const MessageRecord* r = h.One("6A9E210A322");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::kRejected);
  EXPECT_EQ(r->end, RecordEnd::kSession);
  EXPECT_EQ(r->reject->stage, "header");
  EXPECT_EQ(r->reject->text, "Spam subject rejected");
  EXPECT_EQ(r->sender.value_or("?"), "promo@netprovider.test");
}

TEST(Tracker, InjectedTextNeverBecomesTheClient) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:03:40 mx postfix/smtpd[1]: A1B2C3D4E5F: client=mail.pal.test[127.0.5.123]",
      "Nov 27 12:03:40 mx postfix/cleanup[2]: A1B2C3D4E5F: info: header Subject: x from "
      "evil[1.2.3.4]; from=<a@b> to=<c@d> proto=ESMTP helo=<x> from mail.pal.test[127.0.5.123]; "
      "from=<li@pal.test> to=<nadia@example.test> proto=ESMTP helo=<mail.pal.test>",
      "Nov 27 12:03:40 mx postfix/cleanup[2]: A1B2C3D4E5F: info: header Subject: client=x[1.2.3.4] "
      "from mail.pal.test[127.0.5.123]; from=<li@pal.test> to=<nadia@example.test> proto=ESMTP "
      "helo=<mail.pal.test>",
      "Nov 27 12:03:40 mx postfix/qmgr[3]: A1B2C3D4E5F: from=<li@pal.test>, size=1, nrcpt=1 (queue "
      "active)",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u);
  EXPECT_EQ(h.records()[0].client_ip, "127.0.5.123");
  EXPECT_EQ(h.records()[0].subject.value_or(""),
            "x from evil[1.2.3.4]; from=<a@b> to=<c@d> proto=ESMTP helo=<x>");
}

TEST(Tracker, StaleRecordsCloseAndOpenRecordsStayBounded) {
  TrackerOptions o;
  o.stale_after = 3600 * kUsPerSecond;
  o.max_open = 100;
  TrackerHarness h(o);
  h.Feed({"Nov 27 10:00:00 mx postfix/smtpd[1]: 44C4B10A321: client=a[1.2.3.4]"});
  h.Feed({"Nov 27 12:00:00 mx postfix/qmgr[2]: 55C4B10A321: removed"});
  ASSERT_EQ(h.records().size(), 1u);
  EXPECT_EQ(h.records()[0].end, RecordEnd::kStale);
  EXPECT_EQ(h.records()[0].outcome, Outcome::kExpired);
  for (int i = 0; i < 1000; ++i) {
    char qid[16];
    std::snprintf(qid, sizeof qid, "%08X", 0x10000 + i);
    h.Feed({std::string("Nov 27 12:00:01 mx postfix/pickup[3]: ") + qid + ": uid=0 from=<root>"});
    EXPECT_LE(h.tracker().open_records(), 100u);
  }
}

// A fleet's log: one host's line stamped a week ahead (its clock wrong, or
// a gap in its logging) does not make the other hosts' messages stale: each
// host's records go stale by that host's own lines (helper-94: a deferred
// message became a stale record and an orphan delivered one).
TEST(Tracker, AnotherHostsClockDoesNotEndAHostsMessages) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 11:00:00 mx postfix/smtpd[20000]: F0F010A001: client=mail.pal.test[192.0.2.123]",
      "Nov 27 11:00:00 mx postfix/qmgr[100]: F0F010A001: from=<a@pal.test>, size=100, nrcpt=1 "
      "(queue active)",
      "Nov 27 11:00:00 mx postfix/smtp[20003]: F0F010A001: to=<x@dead.test>, relay=none, "
      "delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to "
      "mx.dead.test[192.0.2.4]:25: Connection refused)",
      "Dec  4 11:01:00 mx2 postfix/smtpd[20000]: connect from mail.northwind.test[192.0.2.120]",
      "Dec  4 11:01:00 mx2 postfix/qmgr[100]: F1F110A001: removed",
      "Nov 27 11:30:00 mx postfix/qmgr[100]: F0F010A001: from=<a@pal.test>, size=100, nrcpt=1 "
      "(queue active)",
      "Nov 27 11:30:00 mx postfix/smtp[20003]: F0F010A001: to=<x@dead.test>, "
      "relay=mx.dead.test[192.0.2.4]:25, delay=1800, delays=1800/0/0/0, dsn=2.0.0, "
      "status=sent (250 ok)",
      "Nov 27 11:30:00 mx postfix/qmgr[100]: F0F010A001: removed",
  });
  h.Flush();
  const MessageRecord* r = h.One("F0F010A001");
  ASSERT_TRUE(r) << "one record";
  EXPECT_EQ(r->client_ip, "192.0.2.123");
  EXPECT_EQ(r->outcome, Outcome::kDelivered);
  EXPECT_EQ(r->end, RecordEnd::kRemoved);
  // The host's own lines a week on still end it as stale.
  TrackerHarness own;
  own.Feed({
      "Nov 27 11:00:00 mx postfix/smtpd[20000]: F0F010A001: client=mail.pal.test[192.0.2.123]",
      "Dec  4 11:01:00 mx postfix/smtpd[20000]: connect from mail.northwind.test[192.0.2.120]",
  });
  ASSERT_TRUE(own.One("F0F010A001"));
  EXPECT_EQ(own.One("F0F010A001")->end, RecordEnd::kStale);
}

TEST(Tracker, AMessageWhoseSessionOutlivesTheInputStaysInFlight) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:00:00 mx postfix/smtpd[7]: connect from a[200.129.255.7]",
      "Nov 27 12:00:00 mx postfix/smtpd[7]: 44C4B10A321: client=a[200.129.255.7]",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u);
  EXPECT_EQ(h.records()[0].outcome, Outcome::kInFlight);
  EXPECT_EQ(h.records()[0].end, RecordEnd::kOpen);
}

TEST(Tracker, LinesBeforeTheClientLineBelongToTheSameRecord) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 12:03:25 mx postfix/cleanup[12781]: 91FEA10A305: message-id=<m1@northwind.test>",
      "Nov 27 12:03:25 mx postfix/smtpd[12776]: 91FEA10A305: "
      "client=mail.northwind.test[127.0.5.120]",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u);
  EXPECT_EQ(h.records()[0].message_id.value_or(""), "m1@northwind.test");
  EXPECT_EQ(h.records()[0].client_ip, "127.0.5.120");
}

// Issue 17 item 12: fields are capped at 1,000 bytes, and two recipients whose
// first 1,000 bytes were the same became one. Cut values stay distinct (a hash
// of the whole value ends them) and still fit the cap.
TEST(Tracker, TwoLongRecipientsWithTheSameFirstKilobyteStayTwo) {
  const std::string prefix(1100, 'a');
  TrackerHarness h;
  std::vector<std::string> lines = kInbound;
  lines[6] = "Nov 27 12:03:25 mx postfix/local[12782]: 91FEA10A305: to=<" + prefix +
             "1@example.test>, relay=local, delay=0.03, delays=0.02/0.01/0/0, dsn=2.0.0, "
             "status=sent (delivered to mailbox)";
  lines.insert(lines.begin() + 7,
               "Nov 27 12:03:25 mx postfix/local[12782]: 91FEA10A305: to=<" + prefix +
                   "2@example.test>, relay=local, delay=0.03, delays=0.02/0.01/0/0, "
                   "dsn=5.1.1, status=bounced (unknown user)");
  h.Feed(lines);
  h.Flush();
  const MessageRecord* r = h.One("91FEA10A305");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->recipients.size(), 2u) << "merged into one";
  EXPECT_NE(r->recipients[0].address, r->recipients[1].address);
  for (const auto& rc : r->recipients) {
    EXPECT_LE(rc.address.size(), 1000u);
    EXPECT_EQ(rc.address.compare(0, 900, prefix, 0, 900), 0);
  }
  EXPECT_EQ(r->outcome, Outcome::kMixed);
}

// A retry names its recipient in another case (and a long one cut to its
// hash): the same recipient, whose relay and status text are the last attempt's.
TEST(Tracker, ARetryInAnotherCaseIsTheSameRecipient) {
  const std::string longname(1100, 'b');
  TrackerHarness h;
  std::vector<std::string> lines = {
      "Nov 27 12:05:38 mx postfix/pickup[1]: 578AE10A35E: uid=1004 from=<omar@example.test>",
      "Nov 27 12:05:38 mx postfix/qmgr[2]: 578AE10A35E: from=<omar@example.test>, size=600, "
      "nrcpt=2 (queue active)"};
  for (const char* to : {"Info1@Dead.test", "info1@dead.TEST"}) {
    lines.push_back(std::string("Nov 27 12:05:52 mx postfix/smtp[3]: 578AE10A35E: to=<") + to +
                    ">, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred "
                    "(connect to mx.dead.test[127.0.0.4]:25: Connection refused)");
    lines.push_back("Nov 27 12:05:52 mx postfix/smtp[3]: 578AE10A35E: to=<" + longname +
                    "@Dead.test>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, "
                    "status=deferred (refused)");
  }
  lines.push_back(
      "Nov 27 12:06:52 mx postfix/smtp[3]: 578AE10A35E: to=<INFO1@dead.test>, "
      "relay=mx.dead.test[127.0.0.4]:25, delay=60, delays=60/0/0/0, dsn=2.0.0, status=sent "
      "(250 ok)");
  lines.push_back("Nov 27 12:06:52 mx postfix/smtp[3]: 578AE10A35E: to=<" + longname +
                  "@dead.test>, relay=mx.dead.test[127.0.0.4]:25, delay=60, "
                  "delays=60/0/0/0, dsn=2.0.0, status=sent (250 fine)");
  h.Feed(lines);
  h.Flush();
  const MessageRecord* r = h.One("578AE10A35E");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->recipients.size(), 2u);
  EXPECT_EQ(r->recipients[0].address, "info1@dead.test");
  EXPECT_EQ(r->recipients[0].attempts, 3);
  EXPECT_EQ(r->recipients[0].relay, "mx.dead.test[127.0.0.4]:25");
  EXPECT_EQ(r->recipients[0].status_text, "250 ok");
  EXPECT_EQ(r->recipients[0].dsn, "2.0.0");
  EXPECT_EQ(r->recipients[1].attempts, 3);
  EXPECT_EQ(r->recipients[1].status_text, "250 fine");
  EXPECT_LE(r->recipients[1].address.size(), 1000u);
  EXPECT_EQ(r->outcome, Outcome::kDelivered);
}

// Long queue ids (enable_long_queue_ids) that differ only in their last
// characters, past the first 16 bytes of the key: two messages.
TEST(Tracker, LongQueueIdsThatDifferAtTheEndAreTwoMessages) {
  TrackerHarness h;
  std::vector<std::string> lines;
  for (const char* qid : {"3Lz8kQ2rT7mN9pWxB1", "3Lz8kQ2rT7mN9pWxB2"}) {
    const std::string q(qid);
    lines.push_back("Nov 27 12:05:38 mx postfix/pickup[1]: " + q + ": uid=1004 from=<u" +
                    q.substr(17) + "@example.test>");
    lines.push_back("Nov 27 12:05:38 mx postfix/qmgr[2]: " + q + ": from=<u" + q.substr(17) +
                    "@example.test>, size=600, nrcpt=1 (queue active)");
  }
  lines.push_back(
      "Nov 27 12:05:39 mx postfix/local[3]: 3Lz8kQ2rT7mN9pWxB2: to=<n@example.test>, "
      "relay=local, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)");
  h.Feed(lines);
  h.Flush();
  ASSERT_EQ(h.records().size(), 2u);
  const MessageRecord* one = h.One("3Lz8kQ2rT7mN9pWxB1");
  const MessageRecord* two = h.One("3Lz8kQ2rT7mN9pWxB2");
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(one->sender.value_or("?"), "u1@example.test");
  EXPECT_TRUE(one->recipients.empty());
  EXPECT_EQ(two->sender.value_or("?"), "u2@example.test");
  ASSERT_EQ(two->recipients.size(), 1u);
  EXPECT_EQ(two->outcome, Outcome::kDelivered);
}

}  // namespace
}  // namespace mailtrail
