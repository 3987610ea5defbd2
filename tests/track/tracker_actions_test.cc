// Tracker scenarios of the actions smtpd, cleanup and their milters log for a
// message that is queued anyway (HOLD, DISCARD) or for a recipient that a later
// restriction refused. Each once gave a wrong record (docs/testing.md).
#include <gtest/gtest.h>

#include "agent/track/record_json.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

const RecipientRecord* Rcpt(const MessageRecord& r, const std::string& address) {
  for (const auto& rc : r.recipients)
    if (rc.address == address) return &rc;
  return nullptr;
}

// A milter's HOLD (cleanup_milter.c, "milter-hold") queues the message on
// hold: its recipient is held, not refused, and delivered once released.
TEST(TrackerActions, AMilterHoldIsAHoldNotAReject) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 13:00:00 mx postfix/smtpd[3001]: 1A2B310A001: client=mail.friend.test[192.0.2.9]",
      "Nov 27 13:00:01 mx postfix/cleanup[3002]: 1A2B310A001: milter-hold: END-OF-MESSAGE from "
      "mail.friend.test[192.0.2.9]: milter triggers HOLD action; from=<joe@friend.test> "
      "to=<ann@example.test> proto=ESMTP helo=<mail.friend.test>",
      "Nov 27 13:00:00 mx postfix/smtpd[3001]: 1A2B310A002: client=mail.friend.test[192.0.2.9]",
      "Nov 27 13:00:01 mx postfix/cleanup[3002]: 1A2B310A002: milter-hold: END-OF-MESSAGE from "
      "mail.friend.test[192.0.2.9]: quarantined by policy; from=<joe@friend.test> "
      "to=<bob@example.test> proto=ESMTP helo=<mail.friend.test>",
      "Nov 27 13:05:00 mx postfix/postsuper[3010]: 1A2B310A002: released from hold",
      "Nov 27 13:05:00 mx postfix/qmgr[900]: 1A2B310A002: from=<joe@friend.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 13:05:00 mx postfix/local[3011]: 1A2B310A002: to=<bob@example.test>, relay=local, "
      "delay=300, delays=300/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 13:05:00 mx postfix/qmgr[900]: 1A2B310A002: removed",
  });
  h.Flush();
  const MessageRecord* held = h.One("1A2B310A001");
  ASSERT_TRUE(held);
  ASSERT_EQ(held->recipients.size(), 1u);
  EXPECT_EQ(held->recipients[0].outcome, Outcome::kHeld);
  EXPECT_EQ(held->outcome, Outcome::kHeld);
  const MessageRecord* released = h.One("1A2B310A002");
  ASSERT_TRUE(released);
  ASSERT_EQ(released->recipients.size(), 1u);
  EXPECT_EQ(released->recipients[0].outcome, Outcome::kDelivered);
  EXPECT_EQ(released->outcome, Outcome::kDelivered);
}

// Mail from the maildrop (sendmail, cron, a web application) cannot be
// refused in the SMTP dialogue: cleanup bounces it itself (cleanup_bounce.c:
// a header_checks REJECT, a non-SMTP milter, message_size_limit), logs each
// recipient's `status=bounced` as "postfix/cleanup", and deletes the queue
// file with no `removed` line before Postfix 3.10. Those lines were unknown:
// the record had no recipient and stayed open (helper-111 F2).
// A VRFY refused inside a transaction (real Postfix 3.7 lines) names no
// recipient of the message: it was one, refused, and the message "mixed"
// (helper-154 F3: a client could add any refused recipients to its record).
TEST(TrackerActions, AVrfyRefusedInATransactionIsNoRecipient) {
  TrackerHarness h;
  h.Feed({
      "Dec 08 04:53:23 mx postfix/smtpd[11468]: 6AD5DA781CB: client=unknown[127.0.5.61]",
      "Dec 08 04:53:23 mx postfix/smtpd[11468]: 6AD5DA781CB: reject: VRFY from "
      "unknown[127.0.5.61]: 550 5.1.1 <nobodyF3@hosted.test>: Recipient address rejected: User "
      "unknown in virtual mailbox table; from=<f3@snd.test> to=<nobodyF3@hosted.test> "
      "proto=ESMTP helo=<f3.client.test>",
      "Dec 08 04:53:23 mx postfix/cleanup[11471]: 6AD5DA781CB: message-id=<F3@id>",
      "Dec 08 04:53:23 mx postfix/qmgr[11396]: 6AD5DA781CB: from=<f3@snd.test>, size=251, "
      "nrcpt=1 (queue active)",
      "Dec 08 04:53:23 mx postfix/virtual[11588]: 6AD5DA781CB: to=<walt@hosted.test>, "
      "relay=virtual, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to maildir)",
      "Dec 08 04:53:23 mx postfix/qmgr[11396]: 6AD5DA781CB: removed",
  });
  h.Flush();
  const MessageRecord* r = h.One("6AD5DA781CB");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::kDelivered);
  ASSERT_EQ(r->recipients.size(), 1u);
  EXPECT_EQ(r->recipients[0].address, "walt@hosted.test");
  EXPECT_FALSE(r->reject.has_value());
}

TEST(TrackerActions, MaildropMailCleanupBouncesIsBouncedAndCloses) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 13:00:00 mx postfix/pickup[12712]: 7C3D210A500: uid=1004 from=<quentin@example.test>",
      "Nov 27 13:00:01 mx postfix/cleanup[12781]: warning: 7C3D210A500: queue file size limit "
      "exceeded",
      "Nov 27 13:00:01 mx postfix/cleanup[12781]: 7C3D210A500: to=<bob@remote.test>, relay=none, "
      "delay=1.2, delays=1.2/0/0/0, dsn=5.3.4, status=bounced (message file too big)",
      "Nov 27 13:00:01 mx postfix/cleanup[12781]: 8D4E310A501: "
      "message-id=<20261127130001.8D4E310A501@mx.example.test>",
      "Nov 27 13:00:01 mx postfix/bounce[12790]: 7C3D210A500: sender non-delivery notification: "
      "8D4E310A501",
      "Nov 27 13:00:02 mx postfix/pickup[12712]: 9E5F410A502: uid=1004 from=<quentin@example.test>",
      "Nov 27 13:00:02 mx postfix/cleanup[12781]: 9E5F410A502: reject: header Subject: buy cheap "
      "meds now from local; from=<quentin@example.test> to=<ann@remote.test>: 5.7.1 Spam subject "
      "rejected",
      "Nov 27 13:00:02 mx postfix/cleanup[12781]: 9E5F410A502: to=<ann@remote.test>, relay=none, "
      "delay=0.02, delays=0.02/0/0/0, dsn=5.7.1, status=bounced (Spam subject rejected)",
      "Nov 27 13:01:00 mx postfix/qmgr[12713]: AF60510A503: removed",  // the clock moves on
  });
  for (const char* qid : {"7C3D210A500", "9E5F410A502"}) {
    const MessageRecord* r = h.One(qid);
    ASSERT_TRUE(r) << qid << " closed before the end of the input";
    EXPECT_EQ(r->end, RecordEnd::kRemoved) << qid;
    ASSERT_EQ(r->recipients.size(), 1u) << qid;
    EXPECT_EQ(r->recipients[0].outcome, Outcome::kBounced) << qid;
    EXPECT_EQ(r->recipients[0].relay, "none") << qid;
    EXPECT_EQ(r->outcome, Outcome::kBounced) << qid;
  }
  EXPECT_EQ(h.One("7C3D210A500")->recipients[0].dsn, "5.3.4");
  EXPECT_EQ(h.One("7C3D210A500")->recipients[0].address, "bob@remote.test");
}

// smtpd opens the queue file at the first RCPT it accepts: a recipient
// refused before it is logged NOQUEUE, yet belongs to the message (one MAIL
// transaction: "mail=1"). It was a record of its own, and the message was
// "delivered" where the same refusal after the first accepted RCPT made it
// "mixed" (helper-111 F1; real lines of corpus 02).
TEST(TrackerActions, ARecipientRefusedBeforeTheFirstAcceptedIsTheMessages) {
  const std::vector<std::string> lines = {
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: connect from smtp.bazaar.test[127.0.5.121]",
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: NOQUEUE: reject: RCPT from "
      "smtp.bazaar.test[127.0.5.121]: 550 5.1.1 <nosuchuser80@example.test>: Recipient address "
      "rejected: User unknown in local recipient table; from=<orders@bazaar.test> "
      "to=<nosuchuser80@example.test> proto=ESMTP helo=<smtp.bazaar.test>",
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: 521A010A305: client=smtp.bazaar.test[127.0.5.121]",
      "Nov 27 12:04:55 mx postfix/cleanup[14343]: 521A010A305: "
      "message-id=<20261127120438.062d58f4b18d@bazaar.test>",
      "Nov 27 12:04:55 mx postfix/qmgr[14291]: 521A010A305: from=<orders@bazaar.test>, size=1754, "
      "nrcpt=2 (queue active)",
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: disconnect from smtp.bazaar.test[127.0.5.121] "
      "ehlo=1 mail=1 rcpt=2/3 data=1 quit=1 commands=6/7",
      "Nov 27 12:04:55 mx postfix/local[14495]: 521A010A305: to=<nadia@example.test>, "
      "relay=local, delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (delivered to "
      "mailbox)",
      "Nov 27 12:04:55 mx postfix/qmgr[14291]: 521A010A305: removed",
  };
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u) << "one transaction, one record";
  const MessageRecord* r = h.One("521A010A305");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->recipients.size(), 2u);
  EXPECT_EQ(r->recipients[0].address, "nosuchuser80@example.test");
  EXPECT_EQ(r->recipients[0].outcome, Outcome::kRejected);
  EXPECT_EQ(r->outcome, Outcome::kMixed);
  ASSERT_TRUE(r->reject);
  EXPECT_EQ(r->reject->dsn, "5.1.1");

  // A reject from another client than the message's (no single smtpd logs
  // that: forged lines, or two logs' pids) is not its.
  std::vector<std::string> forged = lines;
  forged[1] =
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: NOQUEUE: reject: RCPT from "
      "other.test[192.0.2.66]: 550 5.1.1 <nosuchuser80@example.test>: Recipient address "
      "rejected: User unknown in local recipient table; from=<orders@bazaar.test> "
      "to=<nosuchuser80@example.test> proto=ESMTP helo=<other.test>";
  TrackerHarness h3;
  h3.Feed(forged);
  h3.Flush();
  ASSERT_EQ(h3.records().size(), 2u);
  EXPECT_EQ(h3.One("521A010A305")->outcome, Outcome::kDelivered);

  // Two transactions (a flood's RSET and MAIL again, "mail=2"): the refused
  // one stays a record of its own.
  std::vector<std::string> two = lines;
  two[5] =
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: disconnect from "
      "smtp.bazaar.test[127.0.5.121] ehlo=1 mail=2 rcpt=1/2 data=1 rset=1 quit=1 "
      "commands=7/8";
  TrackerHarness h2;
  h2.Feed(two);
  h2.Flush();
  ASSERT_EQ(h2.records().size(), 2u);
  EXPECT_EQ(h2.One("521A010A305")->outcome, Outcome::kDelivered);
}

// A message whose content cleanup read, in a session whose counters cannot
// say it was accepted (another DATA refused, "data=1/2"; BDAT, whose chunks
// all count): qmgr's lines may come late (a backlog). It was closed as an
// "expired" session after the 10 s grace, and qmgr's lines then made a second
// record without its client (helper-111 F3). The refused one still closes.
TEST(TrackerActions, AMessageOfASessionWithARefusedDataWaitsForALateQmgr) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 14:00:00 mx postfix/smtpd[15000]: connect from out.bulletin.test[127.0.5.122]",
      "Nov 27 14:00:00 mx postfix/smtpd[15000]: 1A2B310A600: client=out.bulletin.test[127.0.5.122]",
      "Nov 27 14:00:00 mx postfix/cleanup[15001]: 1A2B310A600: message-id=<d1@bulletin.test>",
      "Nov 27 14:00:01 mx postfix/smtpd[15000]: 2B3C410A601: client=out.bulletin.test[127.0.5.122]",
      "Nov 27 14:00:01 mx postfix/cleanup[15001]: 2B3C410A601: message-id=<d2@bulletin.test>",
      "Nov 27 14:00:01 mx postfix/cleanup[15001]: 2B3C410A601: reject: header Subject: cheap "
      "viagra for you from out.bulletin.test[127.0.5.122]; from=<news@bulletin.test> "
      "to=<ulrich@example.test> proto=ESMTP helo=<out.bulletin.test>: 5.7.1 Spam subject "
      "rejected",
      "Nov 27 14:00:01 mx postfix/smtpd[15000]: disconnect from out.bulletin.test[127.0.5.122] "
      "ehlo=1 mail=2 rcpt=2 data=1/2 quit=1 commands=7/8",
      "Nov 27 14:00:25 mx postfix/qmgr[12713]: 1A2B310A600: from=<news@bulletin.test>, "
      "size=2275, nrcpt=1 (queue active)",
      "Nov 27 14:00:25 mx postfix/local[12782]: 1A2B310A600: to=<paula@example.test>, "
      "relay=local, delay=25, delays=25/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 14:00:25 mx postfix/qmgr[12713]: 1A2B310A600: removed",
      "Nov 27 14:01:00 mx postfix/qmgr[12713]: 3C4D510A602: removed",  // the clock moves on
  });
  const MessageRecord* refused = h.One("2B3C410A601");
  ASSERT_TRUE(refused) << "the refused message closed with its session";
  EXPECT_EQ(refused->outcome, Outcome::kRejected);
  const MessageRecord* r = h.One("1A2B310A600");
  ASSERT_TRUE(r) << "one record of the accepted message";
  EXPECT_EQ(r->outcome, Outcome::kDelivered);
  EXPECT_EQ(r->client_ip, "127.0.5.122");
  EXPECT_EQ(r->message_id.value_or(""), "d1@bulletin.test");
}

// helper-112: NOQUEUE rejects before a client= line when the input ends
// before the session (a replay's end) are written, not lost; a refused MAIL
// or VRFY is no recipient of the next message; a message lost in DATA
// beside one qmgr took is not taken as accepted (it stayed open 6 days).
TEST(TrackerActions, RejectsBeforeAMessageAreNotLostOrGivenToIt) {
  TrackerHarness cut;
  cut.Feed({
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: connect from smtp.bazaar.test[127.0.5.121]",
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: NOQUEUE: reject: RCPT from "
      "smtp.bazaar.test[127.0.5.121]: 550 5.1.1 <nosuchuser80@example.test>: Recipient address "
      "rejected: User unknown in local recipient table; from=<orders@bazaar.test> "
      "to=<nosuchuser80@example.test> proto=ESMTP helo=<smtp.bazaar.test>",
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: 521A010A305: client=smtp.bazaar.test[127.0.5.121]",
  });
  cut.Flush();
  bool kept = false;
  for (const auto& r : cut.records())
    for (const auto& rc : r.recipients) kept |= rc.address == "nosuchuser80@example.test";
  EXPECT_TRUE(kept) << "the reject before the cut";

  TrackerHarness other;
  other.Feed({
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: connect from smtp.bazaar.test[127.0.5.121]",
      "Nov 27 12:04:55 mx postfix/smtpd[14338]: NOQUEUE: milter-reject: MAIL from "
      "smtp.bazaar.test[127.0.5.121]: 550 5.7.1 Sender blocked; from=<spoof@victim.test> "
      "proto=ESMTP helo=<smtp.bazaar.test>",
      "Nov 27 12:04:56 mx postfix/smtpd[14338]: 521A010A305: client=smtp.bazaar.test[127.0.5.121]",
      "Nov 27 12:04:56 mx postfix/cleanup[14343]: 521A010A305: message-id=<abc@bazaar.test>",
      "Nov 27 12:04:56 mx postfix/smtpd[14338]: disconnect from smtp.bazaar.test[127.0.5.121] "
      "ehlo=1 mail=1/2 rcpt=1 data=1 quit=1 commands=5/6",
      "Nov 27 12:04:57 mx postfix/qmgr[14291]: 521A010A305: from=<orders@bazaar.test>, size=1754, "
      "nrcpt=1 (queue active)",
      "Nov 27 12:04:57 mx postfix/local[14495]: 521A010A305: to=<nadia@example.test>, relay=local, "
      "delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 12:04:57 mx postfix/qmgr[14291]: 521A010A305: removed",
      "Nov 27 13:04:55 mx postfix/smtpd[14339]: connect from h.test[127.0.5.9]",
      "Nov 27 13:04:55 mx postfix/smtpd[14339]: NOQUEUE: reject: VRFY from h.test[127.0.5.9]: 550 "
      "5.1.1 <bob@example.test>: Recipient address rejected: User unknown in local recipient "
      "table; to=<bob@example.test> proto=ESMTP helo=<h.test>",
      "Nov 27 13:04:56 mx postfix/smtpd[14339]: 621A010A305: client=h.test[127.0.5.9]",
      "Nov 27 13:04:56 mx postfix/cleanup[14343]: 621A010A305: message-id=<abd@h.test>",
      "Nov 27 13:04:56 mx postfix/qmgr[14291]: 621A010A305: from=<a@h.test>, size=1754, nrcpt=1 "
      "(queue active)",
      "Nov 27 13:04:56 mx postfix/smtpd[14339]: disconnect from h.test[127.0.5.9] ehlo=1 vrfy=0/1 "
      "mail=1 rcpt=1 data=1 quit=1 commands=5/6",
      "Nov 27 13:04:57 mx postfix/local[14495]: 621A010A305: to=<nadia@example.test>, relay=local, "
      "delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 13:04:57 mx postfix/qmgr[14291]: 621A010A305: removed",
  });
  other.Flush();
  for (const char* qid : {"521A010A305", "621A010A305"}) {
    const MessageRecord* r = other.One(qid);
    ASSERT_TRUE(r) << qid;
    EXPECT_EQ(r->outcome, Outcome::kDelivered) << qid;
    EXPECT_FALSE(r->reject) << qid << ": a MAIL or VRFY refusal is not its";
    EXPECT_EQ(r->recipients.size(), 1u) << qid;
  }

  TrackerHarness lost;
  lost.Feed({
      "Nov 27 14:00:00 mx postfix/smtpd[15000]: connect from out.bulletin.test[127.0.5.122]",
      "Nov 27 14:00:00 mx postfix/smtpd[15000]: 1A2B310A600: client=out.bulletin.test[127.0.5.122]",
      "Nov 27 14:00:00 mx postfix/cleanup[15001]: 1A2B310A600: message-id=<d1@bulletin.test>",
      "Nov 27 14:00:00 mx postfix/qmgr[14291]: 1A2B310A600: from=<news@bulletin.test>, size=1754, "
      "nrcpt=1 (queue active)",
      "Nov 27 14:00:00 mx postfix/local[14495]: 1A2B310A600: to=<nadia@example.test>, relay=local, "
      "delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 14:00:00 mx postfix/qmgr[14291]: 1A2B310A600: removed",
      "Nov 27 14:00:01 mx postfix/smtpd[15000]: 2B3C410A601: client=out.bulletin.test[127.0.5.122]",
      "Nov 27 14:00:01 mx postfix/cleanup[15001]: 2B3C410A601: message-id=<d2@bulletin.test>",
      "Nov 27 14:00:31 mx postfix/smtpd[15000]: lost connection after DATA (4096 bytes) from "
      "out.bulletin.test[127.0.5.122]",
      "Nov 27 14:00:31 mx postfix/smtpd[15000]: disconnect from out.bulletin.test[127.0.5.122] "
      "ehlo=1 mail=2 rcpt=2 data=1/2 commands=6/7",
      "Nov 27 14:11:00 mx postfix/smtpd[15001]: connect from x.test[127.0.5.1]",
  });
  const MessageRecord* r = lost.One("2B3C410A601");
  // Its neighbour closed before the disconnect: the counters cannot say, and
  // it waits 10 minutes, not the 6 days of an accepted one.
  ASSERT_TRUE(r) << "closed with its session, not kept open as accepted";
  EXPECT_EQ(r->end, RecordEnd::kSession);
}

// Timers in order of due whatever host set them: a host whose clock is
// behind another's set one due before the other's, and it waited for it
// (helper-112: mxb's message ended only when mxa's was due).
TEST(TrackerActions, TimersOfAHostBehindAnotherAreNotHeldByItsTimers) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 14:04:00 mxa postfix/smtpd[100]: connect from a.test[127.0.6.1]",
      "Nov 27 14:04:00 mxa postfix/smtpd[100]: AAAA10A600: client=a.test[127.0.6.1]",
      "Nov 27 14:04:00 mxa postfix/cleanup[101]: AAAA10A600: message-id=<a1@a.test>",
      "Nov 27 14:04:00 mxa postfix/qmgr[102]: AAAA10A600: from=<x@a.test>, size=100, nrcpt=1 "
      "(queue active)",
      "Nov 27 14:04:01 mxa postfix/smtpd[100]: disconnect from a.test[127.0.6.1] ehlo=1 mail=1 "
      "rcpt=1 data=1 quit=1 commands=5",
      "Nov 27 14:05:00 mxa postfix/postsuper[103]: AAAA10A600: removed",
      "Nov 27 14:00:20 mxb postfix/smtpd[200]: connect from b.test[127.0.6.2]",
      "Nov 27 14:00:20 mxb postfix/smtpd[200]: BBBB10A600: client=b.test[127.0.6.2]",
      "Nov 27 14:00:21 mxb postfix/cleanup[201]: BBBB10A600: message-id=<b1@b.test>",
      "Nov 27 14:00:30 mxb postfix/smtpd[200]: disconnect from b.test[127.0.6.2] ehlo=1 mail=1 "
      "rcpt=1 bdat=2 quit=1 commands=6",
      "Nov 27 14:12:00 mxa postfix/smtpd[100]: connect from c.test[127.0.6.3]",
  });
  const MessageRecord* r = h.One("BBBB10A600");
  ASSERT_TRUE(r) << "mxb's BDAT message waited its 10 minutes, not mxa's";
  EXPECT_EQ(r->end, RecordEnd::kSession);
}

// smtpd's milter HOLD and DISCARD at RCPT are logged before the queue file
// exists (NOQUEUE), like check_*_access HOLD and DISCARD: the session's next
// message is the one they apply to.
TEST(TrackerActions, AMilterHoldOrDiscardAtRcptAppliesToTheNextMessage) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 13:10:00 mx postfix/smtpd[3101]: connect from mail.friend.test[192.0.2.9]",
      "Nov 27 13:10:01 mx postfix/smtpd[3101]: NOQUEUE: milter-hold: RCPT from "
      "mail.friend.test[192.0.2.9]: milter triggers HOLD action; from=<joe@friend.test> "
      "to=<ann@example.test> proto=ESMTP helo=<mail.friend.test>",
      "Nov 27 13:10:01 mx postfix/smtpd[3101]: 2B3C410A001: client=mail.friend.test[192.0.2.9]",
      "Nov 27 13:10:02 mx postfix/smtpd[3101]: disconnect from mail.friend.test[192.0.2.9]",
      "Nov 27 13:11:00 mx postfix/smtpd[3102]: connect from mail.friend.test[192.0.2.9]",
      "Nov 27 13:11:01 mx postfix/smtpd[3102]: NOQUEUE: milter-discard: RCPT from "
      "mail.friend.test[192.0.2.9]: milter triggers DISCARD action; from=<joe@friend.test> "
      "to=<bob@example.test> proto=ESMTP helo=<mail.friend.test>",
      "Nov 27 13:11:01 mx postfix/smtpd[3102]: 2B3C410A002: client=mail.friend.test[192.0.2.9]",
      "Nov 27 13:11:02 mx postfix/smtpd[3102]: disconnect from mail.friend.test[192.0.2.9]",
  });
  h.Flush();
  const MessageRecord* held = h.One("2B3C410A001");
  ASSERT_TRUE(held);
  ASSERT_TRUE(Rcpt(*held, "ann@example.test"));
  EXPECT_EQ(Rcpt(*held, "ann@example.test")->outcome, Outcome::kHeld);
  const MessageRecord* discarded = h.One("2B3C410A002");
  ASSERT_TRUE(discarded);
  ASSERT_TRUE(Rcpt(*discarded, "bob@example.test"));
  EXPECT_EQ(Rcpt(*discarded, "bob@example.test")->outcome, Outcome::kDiscarded);
}

// "HOLD means deliver later. But we may still change our mind" (smtpd_check.c):
// the HOLD stays on the transaction, the recipient a later restriction refused
// is no recipient of the message. Here the client reset that transaction and
// its next message was held by header_checks and released: the refused
// recipient must not appear in it.
TEST(TrackerActions, ARefusedRecipientsHoldGivesNoRecipient) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 13:20:00 mx postfix/smtpd[3201]: connect from mail.evil.test[198.51.100.7]",
      "Nov 27 13:20:01 mx postfix/smtpd[3201]: NOQUEUE: hold: RCPT from "
      "mail.evil.test[198.51.100.7]: <x@suspicious.test>: Sender address triggers HOLD action; "
      "from=<x@suspicious.test> to=<bogus@example.test> proto=ESMTP helo=<mail.evil.test>",
      "Nov 27 13:20:01 mx postfix/smtpd[3201]: NOQUEUE: reject: RCPT from "
      "mail.evil.test[198.51.100.7]: 550 5.1.1 <bogus@example.test>: Recipient address "
      "rejected: User unknown in local recipient table; from=<x@suspicious.test> "
      "to=<bogus@example.test> proto=ESMTP helo=<mail.evil.test>",
      "Nov 27 13:20:03 mx postfix/smtpd[3201]: 3C4D510A001: client=mail.evil.test[198.51.100.7]",
      "Nov 27 13:20:03 mx postfix/cleanup[3202]: 3C4D510A001: hold: header Subject: news from "
      "mail.evil.test[198.51.100.7]; from=<news@evil.test> to=<omar@example.test> proto=ESMTP "
      "helo=<mail.evil.test>",
      "Nov 27 13:20:03 mx postfix/smtpd[3201]: disconnect from mail.evil.test[198.51.100.7] "
      "ehlo=1 mail=2 rcpt=1/2 data=1 rset=1 quit=1 commands=7/8",
      "Nov 27 13:30:00 mx postfix/postsuper[3210]: 3C4D510A001: released from hold",
      "Nov 27 13:30:00 mx postfix/qmgr[900]: 3C4D510A001: from=<news@evil.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 13:30:00 mx postfix/local[3211]: 3C4D510A001: to=<omar@example.test>, "
      "relay=local, delay=600, delays=600/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 13:30:00 mx postfix/qmgr[900]: 3C4D510A001: removed",
  });
  h.Flush();
  const MessageRecord* m = h.One("3C4D510A001");
  ASSERT_TRUE(m);
  EXPECT_FALSE(Rcpt(*m, "bogus@example.test"));
  ASSERT_EQ(m->recipients.size(), 1u);
  EXPECT_EQ(m->recipients[0].address, "omar@example.test");
  EXPECT_EQ(m->outcome, Outcome::kDelivered);
}

// A HOLD at RCPT whose transaction never got to DATA (a sender-address
// callout: MAIL FROM:<>, RCPT, QUIT or RSET) queued nothing: smtpd opened a
// queue file and abandoned it. Its record ends with the session, as an
// unheld one does; it stayed open 6 days, and a blocked reflector's callouts
// under the policy service's HOLD grew the agent by one record each
// (helper-141 A-1). A held message whose DATA was read stays open.
TEST(TrackerActions, AHoldOfATransactionWithoutDataEndsWithItsSession) {
  TrackerHarness h;
  h.Feed({
      "Dec 07 19:08:59 mx postfix/smtpd[12685]: connect from unknown[127.0.0.88]",
      "Dec 07 19:08:59 mx postfix/smtpd[12685]: NOQUEUE: hold: RCPT from unknown[127.0.0.88]: "
      "<alice@hosted.test>: Recipient address bounce from a client mailtrail blocks; from=<> "
      "to=<alice@hosted.test> proto=ESMTP helo=<r.test>",
      "Dec 07 19:08:59 mx postfix/smtpd[12685]: A4DD3AF43CC: client=unknown[127.0.0.88]",
      "Dec 07 19:08:59 mx postfix/smtpd[12685]: disconnect from unknown[127.0.0.88] ehlo=1 "
      "mail=1 rcpt=1 quit=1 commands=4",
      // The same with DATA: held in the queue.
      "Dec 07 19:09:00 mx postfix/smtpd[12686]: connect from unknown[127.0.0.88]",
      "Dec 07 19:09:00 mx postfix/smtpd[12686]: NOQUEUE: hold: RCPT from unknown[127.0.0.88]: "
      "<alice@hosted.test>: Recipient address bounce from a client mailtrail blocks; from=<> "
      "to=<alice@hosted.test> proto=ESMTP helo=<r.test>",
      "Dec 07 19:09:00 mx postfix/smtpd[12686]: B43E7AF446F: client=unknown[127.0.0.88]",
      "Dec 07 19:09:00 mx postfix/cleanup[12690]: B43E7AF446F: message-id=<n1@r.test>",
      "Dec 07 19:09:00 mx postfix/smtpd[12686]: disconnect from unknown[127.0.0.88] ehlo=1 "
      "mail=1 rcpt=1 data=1 quit=1 commands=5",
      // Held at CONNECT: a transaction reset before DATA, beside one sent
      // (helper-144 L1: it stayed open 6 days).
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: connect from unknown[127.0.0.90]",
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: NOQUEUE: hold: CONNECT from "
      "unknown[127.0.0.90]: <unknown[127.0.0.90]>: Client host held; proto=SMTP",
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: C11111AF446: client=unknown[127.0.0.90]",
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: C22222AF446: client=unknown[127.0.0.90]",
      "Dec 07 19:09:01 mx postfix/cleanup[12690]: C22222AF446: message-id=<n2@r.test>",
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: disconnect from unknown[127.0.0.90] ehlo=1 "
      "mail=2 rcpt=2 data=1 rset=1 quit=1 commands=8",
      // Two sent, one message-id seen so far: which one sent its DATA cannot
      // be told, both stay open.
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: connect from unknown[127.0.0.91]",
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: NOQUEUE: hold: CONNECT from "
      "unknown[127.0.0.91]: <unknown[127.0.0.91]>: Client host held; proto=SMTP",
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: D11111AF446: client=unknown[127.0.0.91]",
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: D22222AF446: client=unknown[127.0.0.91]",
      "Dec 07 19:09:02 mx postfix/cleanup[12690]: D22222AF446: message-id=<n3@r.test>",
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: disconnect from unknown[127.0.0.91] ehlo=1 "
      "mail=2 rcpt=2 data=2 quit=1 commands=7",
      // One DATA failed after its headers (cleanup logged its message-id),
      // the held one's message-id comes after the disconnect: which DATA
      // succeeded cannot be told (helper-146 F1: the held one was closed).
      "Dec 07 19:09:03 mx postfix/smtpd[12689]: connect from unknown[127.0.0.92]",
      "Dec 07 19:09:03 mx postfix/smtpd[12689]: NOQUEUE: hold: CONNECT from "
      "unknown[127.0.0.92]: <unknown[127.0.0.92]>: Client host held; proto=SMTP",
      "Dec 07 19:09:03 mx postfix/smtpd[12689]: E11111AF446: client=unknown[127.0.0.92]",
      "Dec 07 19:09:03 mx postfix/smtpd[12689]: E22222AF446: client=unknown[127.0.0.92]",
      "Dec 07 19:09:03 mx postfix/cleanup[12690]: E22222AF446: message-id=<n4@r.test>",
      "Dec 07 19:09:03 mx postfix/smtpd[12689]: lost connection after DATA (1234 bytes) from "
      "unknown[127.0.0.92]",
      "Dec 07 19:09:03 mx postfix/smtpd[12689]: disconnect from unknown[127.0.0.92] ehlo=1 "
      "mail=2 rcpt=2 data=1/2 commands=6/7",
      "Dec 07 19:09:03 mx postfix/cleanup[12691]: E11111AF446: message-id=<n5@r.test>",
      // Later lines move the clock past the grace period.
      "Dec 07 19:20:00 mx postfix/smtpd[12700]: connect from unknown[192.0.2.1]",
  });
  EXPECT_FALSE(h.One("E11111AF446")) << "in the hold queue: open";
  const MessageRecord* callout = h.One("A4DD3AF43CC");
  ASSERT_TRUE(callout) << "closed with its session";
  EXPECT_EQ(callout->end, RecordEnd::kSession);
  EXPECT_FALSE(h.One("B43E7AF446F")) << "in the hold queue: open";
  const MessageRecord* reset = h.One("C11111AF446");
  ASSERT_TRUE(reset) << "reset before DATA: closed with its session";
  EXPECT_EQ(reset->end, RecordEnd::kSession);
  EXPECT_FALSE(h.One("C22222AF446")) << "in the hold queue: open";
  EXPECT_FALSE(h.One("D11111AF446")) << "may be the message whose id is not logged yet";
  EXPECT_FALSE(h.One("D22222AF446"));
  EXPECT_EQ(h.tracker().open_records(), 6u) << "E22222AF446 too: its DATA may be the one";
}

// The same reset held transaction beside a message header_checks discarded
// (cleanup logs no message-id= for it: the DISCARD came first): the DATA
// that succeeded is the discarded message's, and the held one ends with its
// session (helper-146 F2: it stayed open 6 days).
TEST(TrackerActions, AHeldTransactionResetBesideADiscardedMessageEndsWithItsSession) {
  TrackerHarness h;
  h.Feed({
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: connect from unknown[127.0.0.90]",
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: NOQUEUE: hold: CONNECT from "
      "unknown[127.0.0.90]: <unknown[127.0.0.90]>: Client host held; proto=SMTP",
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: C11111AF446: client=unknown[127.0.0.90]",
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: C22222AF446: client=unknown[127.0.0.90]",
      "Dec 07 19:09:01 mx postfix/cleanup[12690]: C22222AF446: discard: header Subject: "
      "win big from unknown[127.0.0.90]; from=<s@r.test> to=<alice@hosted.test> proto=SMTP "
      "helo=<r.test>: spam",
      "Dec 07 19:09:01 mx postfix/smtpd[12687]: disconnect from unknown[127.0.0.90] ehlo=1 "
      "mail=2 rcpt=2 data=1 rset=1 quit=1 commands=8",
      // A DISCARD at RCPT whose transaction was reset proves no DATA: the
      // held one beside it may be the message whose id is not logged yet.
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: connect from unknown[127.0.0.91]",
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: D11111AF446: client=unknown[127.0.0.91]",
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: D11111AF446: discard: RCPT from "
      "unknown[127.0.0.91]: <bob@hosted.test>: Recipient address triggers DISCARD action; "
      "from=<s@r.test> to=<bob@hosted.test> proto=SMTP helo=<r.test>",
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: D22222AF446: client=unknown[127.0.0.91]",
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: D22222AF446: hold: RCPT from "
      "unknown[127.0.0.91]: <carol@hosted.test>: Recipient address held; from=<s@r.test> "
      "to=<carol@hosted.test> proto=SMTP helo=<r.test>",
      "Dec 07 19:09:02 mx postfix/smtpd[12688]: disconnect from unknown[127.0.0.91] ehlo=1 "
      "mail=2 rcpt=2 data=1 rset=1 quit=1 commands=8",
      "Dec 07 19:20:00 mx postfix/smtpd[12700]: connect from unknown[192.0.2.1]",
  });
  if (const MessageRecord* d = h.One("D22222AF446")) {
    std::string json;
    AppendRecordJson(*d, &json);
    ADD_FAILURE() << "may be the message whose id is not logged yet: " << json;
  }
  const MessageRecord* reset = h.One("C11111AF446");
  ASSERT_TRUE(reset) << "reset before DATA: closed with its session";
  EXPECT_EQ(reset->end, RecordEnd::kSession);
  const MessageRecord* discarded = h.One("C22222AF446");
  ASSERT_TRUE(discarded);
  EXPECT_EQ(discarded->outcome, Outcome::kDiscarded);
}

// INFO and BCC (smtpd access actions) only log: the recipient was accepted,
// no NOQUEUE record of refusals, no refused recipient in the message.
TEST(TrackerActions, InfoAndBccActionsRefuseNothing) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 13:50:00 mx postfix/smtpd[3401]: connect from mail.ext.test[192.0.2.10]",
      "Nov 27 13:50:01 mx postfix/smtpd[3401]: NOQUEUE: info: RCPT from "
      "mail.ext.test[192.0.2.10]: partner domain; from=<s@ext.test> to=<ceo@example.test> "
      "proto=ESMTP helo=<mail.ext.test>",
      "Nov 27 13:50:01 mx postfix/smtpd[3401]: 3A1B210A00F: client=mail.ext.test[192.0.2.10]",
      "Nov 27 13:50:01 mx postfix/smtpd[3401]: 3A1B210A00F: info: RCPT from "
      "mail.ext.test[192.0.2.10]: partner domain; from=<s@ext.test> to=<cfo@example.test> "
      "proto=ESMTP helo=<mail.ext.test>",
      "Nov 27 13:50:01 mx postfix/smtpd[3401]: 3A1B210A00F: bcc: RCPT from "
      "mail.ext.test[192.0.2.10]: <cfo@example.test>: Recipient address triggers BCC "
      "audit@example.test; from=<s@ext.test> to=<cfo@example.test> proto=ESMTP "
      "helo=<mail.ext.test>",
      "Nov 27 13:50:02 mx postfix/qmgr[900]: 3A1B210A00F: from=<s@ext.test>, size=1000, "
      "nrcpt=3 (queue active)",
      "Nov 27 13:50:02 mx postfix/smtpd[3401]: disconnect from mail.ext.test[192.0.2.10]",
      "Nov 27 13:50:02 mx postfix/local[3402]: 3A1B210A00F: to=<ceo@example.test>, "
      "relay=local, delay=1, delays=0.5/0/0/0.5, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 13:50:02 mx postfix/local[3402]: 3A1B210A00F: to=<cfo@example.test>, "
      "relay=local, delay=1, delays=0.5/0/0/0.5, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 13:50:02 mx postfix/local[3402]: 3A1B210A00F: to=<audit@example.test>, "
      "relay=local, delay=1, delays=0.5/0/0/0.5, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 13:50:02 mx postfix/qmgr[900]: 3A1B210A00F: removed",
  });
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u) << "no record of refusals";
  const MessageRecord* m = h.One("3A1B210A00F");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->recipients.size(), 3u);
  EXPECT_EQ(m->outcome, Outcome::kDelivered);
  EXPECT_FALSE(m->reject.has_value());
}

// A HOLD's recipient released and delivered through an alias is delivered,
// not held for ever beside its expansion; a milter-reject at END-OF-MESSAGE
// (no qmgr line follows) keeps the sender its line names.
TEST(TrackerActions, AHeldAliasIsDeliveredAndARejectKeepsItsSender) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 14:00:00 mx postfix/smtpd[3501]: 4B5C610A001: client=mail.ext.test[192.0.2.10]",
      "Nov 27 14:00:01 mx postfix/cleanup[3502]: 4B5C610A001: hold: header Subject: offer from "
      "mail.ext.test[192.0.2.10]; from=<s@ext.test> to=<sales@example.test> proto=ESMTP "
      "helo=<mail.ext.test>",
      "Nov 27 14:10:00 mx postfix/postsuper[3510]: 4B5C610A001: released from hold",
      "Nov 27 14:10:00 mx postfix/qmgr[900]: 4B5C610A001: from=<s@ext.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 14:10:00 mx postfix/local[3511]: 4B5C610A001: to=<nadia@example.test>, "
      "orig_to=<sales@example.test>, relay=local, delay=600, delays=600/0/0/0, dsn=2.0.0, "
      "status=sent (delivered to mailbox)",
      "Nov 27 14:10:00 mx postfix/local[3511]: 4B5C610A001: to=<omar@example.test>, "
      "orig_to=<sales@example.test>, relay=local, delay=600, delays=600/0/0/0, dsn=2.0.0, "
      "status=sent (delivered to mailbox)",
      "Nov 27 14:10:00 mx postfix/qmgr[900]: 4B5C610A001: removed",
      "Nov 27 14:20:00 mx postfix/smtpd[3601]: 4B5C610A002: client=mail.ext.test[192.0.2.10]",
      "Nov 27 14:20:01 mx postfix/cleanup[3602]: 4B5C610A002: milter-reject: END-OF-MESSAGE "
      "from mail.ext.test[192.0.2.10]: 5.7.1 Spam detected; from=<s@ext.test> "
      "to=<c@example.test> proto=ESMTP helo=<mail.ext.test>",
      "Nov 27 14:20:01 mx postfix/smtpd[3601]: disconnect from mail.ext.test[192.0.2.10]",
  });
  h.Flush();
  const MessageRecord* held = h.One("4B5C610A001");
  ASSERT_TRUE(held);
  ASSERT_EQ(held->recipients.size(), 2u);
  for (const auto& rc : held->recipients) {
    EXPECT_EQ(rc.outcome, Outcome::kDelivered) << rc.address;
    EXPECT_EQ(rc.orig_address, "sales@example.test") << rc.address;
  }
  EXPECT_EQ(held->outcome, Outcome::kDelivered);
  const MessageRecord* rejected = h.One("4B5C610A002");
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->sender.value_or("?"), "s@ext.test");
  EXPECT_EQ(rejected->outcome, Outcome::kRejected);
}

// postsuper -r: the message goes back through pickup under a new id, which
// names the old one (orig_id=). The old record ends, linked to the new.
TEST(TrackerActions, ARequeuedMessageEndsAndLinksToItsNewId) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 14:30:00 mx postfix/smtpd[3701]: 3A1B210A00B: client=mail.ext.test[192.0.2.10]",
      "Nov 27 14:30:00 mx postfix/qmgr[900]: 3A1B210A00B: from=<s@ext.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 14:30:01 mx postfix/smtp[3702]: 3A1B210A00B: to=<c@far.test>, "
      "relay=none, delay=1, delays=0.5/0/0.5/0, dsn=4.4.1, status=deferred (connect to "
      "mx.far.test[198.51.100.1]:25: Connection refused)",
      "Nov 27 15:00:00 mx postfix/postsuper[3710]: 3A1B210A00B: requeued",
      "Nov 27 15:00:01 mx postfix/pickup[3711]: 5C2D310A00C: uid=108 from=<s@ext.test> "
      "orig_id=3A1B210A00B",
      "Nov 27 15:00:01 mx postfix/qmgr[900]: 5C2D310A00C: from=<s@ext.test>, size=950, "
      "nrcpt=1 (queue active)",
      "Nov 27 15:00:02 mx postfix/smtp[3712]: 5C2D310A00C: to=<c@far.test>, "
      "relay=mx.far.test[198.51.100.1]:25, delay=1, delays=0.5/0/0.5/0, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok)",
      "Nov 27 15:00:02 mx postfix/qmgr[900]: 5C2D310A00C: removed",
  });
  h.Feed({"Nov 27 15:10:00 mx postfix/smtpd[3720]: connect from x.test[192.0.2.99]"});
  ASSERT_EQ(h.records().size(), 2u) << "both ended without a flush";
  const MessageRecord* old_id = h.One("3A1B210A00B");
  const MessageRecord* new_id = h.One("5C2D310A00C");
  ASSERT_TRUE(old_id && new_id);
  EXPECT_EQ(old_id->end, RecordEnd::kRemoved);
  EXPECT_EQ(old_id->child_qids, std::vector<std::string>{"5C2D310A00C"});
  EXPECT_EQ(new_id->parent_qid, "3A1B210A00B");
  EXPECT_EQ(new_id->outcome, Outcome::kDelivered);
  // The old queue file handed its recipient on, as to a content filter: it
  // is no longer deferred (helper-92: it stayed so in every search for
  // deferred mail and in the report's deferrals).
  ASSERT_EQ(old_id->recipients.size(), 1u);
  const RecipientRecord& handed = old_id->recipients[0];
  EXPECT_EQ(handed.outcome, Outcome::kDelivered);
  EXPECT_EQ(handed.relay, "requeue");
  EXPECT_NE(handed.status_text.find("requeued as 5C2D310A00C"), std::string::npos)
      << handed.status_text;
  EXPECT_NE(handed.status_text.find("Connection refused"), std::string::npos)
      << "why it waited is kept: " << handed.status_text;
  EXPECT_EQ(old_id->outcome, Outcome::kDelivered);
}

// postsuper -r of a held message, and of one whose other recipient was
// delivered: what waited is handed on; what was done stays as it was.
TEST(TrackerActions, ARequeueHandsOnOnlyWhatWaited) {
  TrackerHarness h;
  h.Feed({
      "Dec 06 14:58:00 mx postfix/smtpd[3801]: D9D5EA721CF: client=unknown[192.0.2.20]",
      "Dec 06 14:58:00 mx postfix/cleanup[3802]: D9D5EA721CF: hold: header Subject: D5 "
      "HOLDME from unknown[192.0.2.20]; from=<alice@hosted.test> to=<pd5@partner.test> "
      "proto=ESMTP helo=<client.test>: held",
      "Dec 06 14:58:00 mx postfix/smtpd[3811]: A07B7A72276: client=unknown[192.0.2.20]",
      "Dec 06 14:58:00 mx postfix/qmgr[900]: A07B7A72276: from=<alice@hosted.test>, size=400, "
      "nrcpt=2 (queue active)",
      "Dec 06 14:58:01 mx postfix/smtp[3812]: A07B7A72276: to=<ok@partner.test>, "
      "relay=mx.partner.test[198.51.100.2]:25, delay=1, delays=0.5/0/0.5/0, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as P1)",
      "Dec 06 14:58:01 mx postfix/smtp[3812]: A07B7A72276: to=<later@remote.test>, "
      "relay=mx.remote.test[198.51.100.3]:25, delay=1, delays=0.5/0/0.5/0, dsn=4.3.0, "
      "status=deferred (host mx.remote.test[198.51.100.3] said: 451 4.3.0 try again later "
      "(in reply to RCPT TO command))",
      "Dec 06 14:59:00 mx postfix/postsuper[3820]: D9D5EA721CF: requeued",
      "Dec 06 14:59:00 mx postfix/postsuper[3820]: A07B7A72276: requeued",
      "Dec 06 14:59:01 mx postfix/pickup[3821]: 1E1E1A72001: uid=103 from=<alice@hosted.test> "
      "orig_id=D9D5EA721CF",
      "Dec 06 14:59:01 mx postfix/pickup[3821]: 1E1E1A72002: uid=103 from=<alice@hosted.test> "
      "orig_id=A07B7A72276",
  });
  h.Flush();
  const MessageRecord* held = h.One("D9D5EA721CF");
  const MessageRecord* mixed = h.One("A07B7A72276");
  ASSERT_TRUE(held && mixed);
  ASSERT_EQ(held->recipients.size(), 1u);
  EXPECT_EQ(held->recipients[0].outcome, Outcome::kDelivered);
  EXPECT_NE(held->recipients[0].status_text.find("requeued as 1E1E1A72001"), std::string::npos)
      << held->recipients[0].status_text;
  EXPECT_NE(held->outcome, Outcome::kHeld);
  ASSERT_EQ(mixed->recipients.size(), 2u);
  EXPECT_EQ(mixed->recipients[0].relay, "mx.partner.test[198.51.100.2]:25");
  EXPECT_EQ(mixed->recipients[0].status_text, "250 2.0.0 Ok: queued as P1");
  EXPECT_EQ(mixed->recipients[1].outcome, Outcome::kDelivered);
  EXPECT_EQ(mixed->recipients[1].relay, "requeue");
  EXPECT_EQ(mixed->outcome, Outcome::kDelivered);
}

// postsuper -r during a delivery attempt: the old file's attempt ends after
// pickup named the new id. A deferral then is of a recipient that went on in
// the new file (helper-99: the old record ended deferred again).
TEST(TrackerActions, ADeferralAfterTheRequeueIsHandedOnToo) {
  TrackerHarness h;
  h.Feed({
      "Dec 06 15:07:42 mx postfix/smtpd[31072]: 5B720A72259: client=unknown[192.0.2.20]",
      "Dec 06 15:07:42 mx postfix/qmgr[26392]: 5B720A72259: from=<alice@hosted.test>, "
      "size=409, nrcpt=1 (queue active)",
      "Dec 06 15:07:44 mx postfix/postsuper[4039]: 5B720A72259: requeued",
      "Dec 06 15:08:06 mx postfix/pickup[26391]: 67F5CA7207B: uid=103 from=<alice@hosted.test> "
      "orig_id=5B720A72259",
      "Dec 06 15:08:07 mx postfix/smtp[26734]: 5B720A72259: to=<xena@remote.test>, "
      "relay=mx.remote.test[198.51.100.9]:25, delay=25, delays=0/0/0/25, dsn=4.4.2, "
      "status=deferred (conversation with mx.remote.test[198.51.100.9] timed out while "
      "receiving the initial server greeting)",
      "Dec 06 15:08:08 mx postfix/smtp[26730]: 67F5CA7207B: to=<xena@remote.test>, "
      "relay=mx.remote.test[198.51.100.9]:25, delay=2, delays=0/0/1/1, dsn=2.0.0, "
      "status=sent (250 2.0.0 Ok: queued as 742E2A72384)",
  });
  h.Flush();
  const MessageRecord* old_id = h.One("5B720A72259");
  ASSERT_TRUE(old_id);
  ASSERT_EQ(old_id->recipients.size(), 1u);
  EXPECT_EQ(old_id->recipients[0].outcome, Outcome::kDelivered);
  EXPECT_EQ(old_id->recipients[0].relay, "requeue");
  EXPECT_NE(old_id->recipients[0].status_text.find("timed out"), std::string::npos)
      << old_id->recipients[0].status_text;
  EXPECT_EQ(old_id->recipients[0].attempts, 1);
}

// The hold queue has no lifetime: postsuper(1) advises `-r` for mail held
// for a significant part of maximal_queue_lifetime or longer. Mail held for
// more than stale_after (6 days) went stale and its release began a second
// record (helper-92: one "held" and stale, one with no client; or, after
// `-r`, an empty "discarded" one). Held mail stays open until it moves.
TEST(TrackerActions, MailHeldForAWeekIsOneRecord) {
  TrackerHarness h;
  std::vector<std::string> lines = {
      "Dec 06 14:58:32 mx postfix/smtpd[21336]: 8C0F6A721CD: client=unknown[192.0.2.20]",
      "Dec 06 14:58:32 mx postfix/cleanup[21335]: 8C0F6A721CD: hold: header Subject: D3 HOLDME "
      "release from unknown[192.0.2.20]; from=<alice@hosted.test> to=<pd3@partner.test> "
      "proto=ESMTP helo=<client.test>: held",
      "Dec 06 14:58:32 mx postfix/cleanup[21335]: 8C0F6A721CD: message-id=<d3@client.test>",
      "Dec 06 14:58:33 mx postfix/smtpd[21336]: disconnect from unknown[192.0.2.20] ehlo=1 "
      "mail=1 rcpt=1 data=1 quit=1 commands=5",
      // Holds of messages Postfix never queued (helper-100): a HOLD at RCPT
      // then RSET; a cleanup HOLD then a lost connection; a milter's HOLD
      // then another milter's reject. They do go stale.
      "Dec 06 10:00:01 mx postfix/smtpd[5001]: NOQUEUE: hold: RCPT from unknown[198.51.100.7]: "
      "<spam@bad.test>: Sender address triggers HOLD action; from=<spam@bad.test> "
      "to=<vera@hosted.test> proto=ESMTP helo=<x.test>",
      "Dec 06 10:00:01 mx postfix/smtpd[5001]: 1A2B3C4D5E: client=unknown[198.51.100.7]",
      "Dec 06 10:00:02 mx postfix/smtpd[5001]: disconnect from unknown[198.51.100.7] ehlo=1 "
      "mail=1 rcpt=1 rset=1 quit=1 commands=5",
      "Dec 06 10:00:10 mx postfix/smtpd[5002]: 2B3C4D5E6F: client=unknown[198.51.100.7]",
      "Dec 06 10:00:11 mx postfix/cleanup[5003]: 2B3C4D5E6F: hold: header Subject: HOLDME from "
      "unknown[198.51.100.7]; from=<a@bad.test> to=<vera@hosted.test> proto=ESMTP "
      "helo=<x.test>: held for review",
      "Dec 06 10:00:12 mx postfix/smtpd[5002]: disconnect from unknown[198.51.100.7] ehlo=1 "
      "mail=1 rcpt=1 data=0/1 commands=3/4",
      "Dec 06 10:00:20 mx postfix/smtpd[5004]: 3C4D5E6F7A: client=unknown[198.51.100.8]",
      "Dec 06 10:00:21 mx postfix/cleanup[5003]: 3C4D5E6F7A: milter-hold: END-OF-MESSAGE from "
      "unknown[198.51.100.8]: milter triggers HOLD action; from=<b@bad.test> "
      "to=<vera@hosted.test> proto=ESMTP helo=<y.test>",
      "Dec 06 10:00:21 mx postfix/cleanup[5003]: 3C4D5E6F7A: milter-reject: END-OF-MESSAGE from "
      "unknown[198.51.100.8]: 5.7.1 rejected by second milter; from=<b@bad.test> "
      "to=<vera@hosted.test> proto=ESMTP helo=<y.test>",
      "Dec 06 10:00:21 mx postfix/smtpd[5004]: disconnect from unknown[198.51.100.8] ehlo=1 "
      "mail=1 rcpt=1 data=0/1 quit=1 commands=4/5",
      "Dec 06 14:55:49 mx postfix/smtpd[14579]: EF86BA721CA: client=unknown[192.0.2.20]",
      "Dec 06 14:55:49 mx postfix/qmgr[13600]: EF86BA721CA: from=<alice@hosted.test>, size=384, "
      "nrcpt=1 (queue active)",
      "Dec 06 14:55:50 mx postfix/smtp[14274]: EF86BA721CA: to=<rflaky1@remote.test>, "
      "relay=mx.remote.test[198.51.100.13]:25, delay=0.05, delays=0/0/0/0.05, dsn=4.3.0, "
      "status=deferred (host mx.remote.test[198.51.100.13] said: 451 4.3.0 try again later)",
      "Dec 06 14:56:06 mx postfix/postsuper[15225]: EF86BA721CA: placed on hold",
  };
  // A held message whose session also had a DATA refused ("data=1/2"): it is
  // in the hold queue all the same (helper-101: the session's counters took
  // its wait away).
  for (const char* l : {
           "Dec 06 10:00:01 mx postfix/smtpd[5001]: 7A1B2C3D4E: "
           "client=mail.partner.test[192.0.2.30]",
           "Dec 06 10:00:02 mx postfix/cleanup[5003]: 7A1B2C3D4E: hold: header Subject: invoice "
           "Q4 from mail.partner.test[192.0.2.30]; from=<ap@partner.test> to=<vera@hosted.test> "
           "proto=ESMTP helo=<mail.partner.test>: held",
           "Dec 06 10:00:02 mx postfix/cleanup[5003]: 7A1B2C3D4E: message-id=<inv-q4@partner.test>",
           "Dec 06 10:00:03 mx postfix/smtpd[5001]: 8B2C3D4E5F: "
           "client=mail.partner.test[192.0.2.30]",
           "Dec 06 10:00:04 mx postfix/cleanup[5003]: 8B2C3D4E5F: message-id=<other@partner.test>",
           "Dec 06 10:00:04 mx postfix/cleanup[5003]: 8B2C3D4E5F: milter-reject: END-OF-MESSAGE "
           "from mail.partner.test[192.0.2.30]: 5.7.1 Spam message rejected; "
           "from=<ap@partner.test> "
           "to=<bob@hosted.test> proto=ESMTP helo=<mail.partner.test>",
           "Dec 06 10:00:05 mx postfix/smtpd[5001]: disconnect from mail.partner.test[192.0.2.30] "
           "ehlo=1 mail=2 rcpt=2 data=1/2 quit=1 commands=6/7",
       })
    lines.push_back(l);
  // A week of other mail: the tracker's clock runs on.
  for (int day = 7; day <= 13; ++day) {
    const std::string qid = "9F1F3A721" + std::to_string(day);
    const std::string at = "Dec " + std::to_string(day) + " 12:00:00 mx ";
    lines.push_back(at + "postfix/smtpd[13039]: " + qid + ": client=unknown[192.0.2.21]");
    lines.push_back(at + "postfix/qmgr[12820]: " + qid +
                    ": from=<bob@hosted.test>, size=361, nrcpt=1 (queue active)");
    lines.push_back(at + "postfix/local[13049]: " + qid +
                    ": to=<vera@hosted.test>, relay=local, delay=0.01, delays=0/0/0/0.01, "
                    "dsn=2.0.0, status=sent (delivered to mailbox)");
    lines.push_back(at + "postfix/qmgr[12820]: " + qid + ": removed");
  }
  for (const char* l : {
           "Dec 13 14:00:00 mx postfix/postsuper[21808]: 8C0F6A721CD: released from hold",
           "Dec 13 14:00:00 mx postfix/qmgr[20953]: 8C0F6A721CD: from=<alice@hosted.test>, "
           "size=396, nrcpt=1 (queue active)",
           "Dec 13 14:00:00 mx postfix/smtp[21639]: 8C0F6A721CD: to=<pd3@partner.test>, "
           "relay=mx.partner.test[198.51.100.12]:25, delay=601528, delays=601528/0.01/0/0.04, "
           "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as P5)",
           "Dec 13 14:00:00 mx postfix/qmgr[20953]: 8C0F6A721CD: removed",
           "Dec 13 14:00:00 mx postfix/postsuper[41808]: EF86BA721CA: requeued",
           "Dec 13 14:00:00 mx postfix/postsuper[21808]: 7A1B2C3D4E: released from hold",
           "Dec 13 14:00:01 mx postfix/qmgr[6000]: 7A1B2C3D4E: from=<ap@partner.test>, size=2405, "
           "nrcpt=1 (queue active)",
           "Dec 13 14:00:01 mx postfix/virtual[6107]: 7A1B2C3D4E: to=<vera@hosted.test>, "
           "relay=virtual, delay=600000, delays=600000/0/0/0.01, dsn=2.0.0, status=sent "
           "(delivered to maildir)",
           "Dec 13 14:00:01 mx postfix/qmgr[6000]: 7A1B2C3D4E: removed",
           "Dec 13 14:00:01 mx postfix/pickup[40952]: 3A7C1A72051: uid=103 "
           "from=<alice@hosted.test> orig_id=EF86BA721CA",
       })
    lines.push_back(l);
  h.Feed(lines);
  for (const char* qid : {"1A2B3C4D5E", "2B3C4D5E6F", "3C4D5E6F7A"}) {
    const MessageRecord* never_queued = h.One(qid);
    ASSERT_TRUE(never_queued) << qid << " ended before the flush";
    EXPECT_NE(never_queued->end, RecordEnd::kOpen) << qid;
  }
  h.Flush();
  const MessageRecord* released = h.One("8C0F6A721CD");
  ASSERT_TRUE(released) << "one record of the held message";
  EXPECT_EQ(released->client_ip, "192.0.2.20");
  EXPECT_EQ(released->outcome, Outcome::kDelivered);
  EXPECT_EQ(released->end, RecordEnd::kRemoved);
  ASSERT_TRUE(h.One("7A1B2C3D4E")) << "one record of the one held beside a refused DATA";
  EXPECT_EQ(h.One("7A1B2C3D4E")->outcome, Outcome::kDelivered);
  const MessageRecord* requeued = h.One("EF86BA721CA");
  ASSERT_TRUE(requeued) << "one record of the requeued one";
  EXPECT_EQ(requeued->client_ip, "192.0.2.20");
  ASSERT_EQ(requeued->recipients.size(), 1u);
  EXPECT_EQ(requeued->recipients[0].relay, "requeue");
  EXPECT_EQ(requeued->child_qids, std::vector<std::string>{"3A7C1A72051"});
}

// A message whose DATA smtpd accepted is in the incoming queue: qmgr may
// take a while to reach it (a backlog under a flood). It ended 10 s after the
// disconnect as "expired", and qmgr's lines began a second record. One that
// DATA did not accept still ends with its session.
TEST(TrackerActions, AnAcceptedMessageWaitsForALateQmgr) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 14:40:00 mx postfix/smtpd[3801]: connect from mail.ext.test[192.0.2.10]",
      "Nov 27 14:40:00 mx postfix/smtpd[3801]: 3A1B210A010: client=mail.ext.test[192.0.2.10]",
      "Nov 27 14:40:01 mx postfix/cleanup[3802]: 3A1B210A010: message-id=<m1@ext.test>",
      "Nov 27 14:40:01 mx postfix/smtpd[3801]: disconnect from mail.ext.test[192.0.2.10] ehlo=1 "
      "mail=1 rcpt=1 data=1 quit=1 commands=5",
      "Nov 27 14:40:02 mx postfix/smtpd[3803]: connect from mail.ext.test[192.0.2.11]",
      "Nov 27 14:40:02 mx postfix/smtpd[3803]: 3A1B210A011: client=mail.ext.test[192.0.2.11]",
      "Nov 27 14:40:03 mx postfix/cleanup[3802]: 3A1B210A011: message-id=<m2@ext.test>",
      "Nov 27 14:40:05 mx postfix/smtpd[3803]: disconnect from mail.ext.test[192.0.2.11] ehlo=1 "
      "mail=1 rcpt=1 data=0/1 commands=3/4",
      // A transaction abandoned before DATA (RSET): its queue file is
      // deleted, before Postfix 3.10 without a word (smtpd.c, mail_reset), and cleanup never read
      // its content (no message-id= line). It ends with its session.
      "Nov 27 14:40:06 mx postfix/smtpd[3805]: connect from mail.ext.test[192.0.2.12]",
      "Nov 27 14:40:06 mx postfix/smtpd[3805]: 3A1B210A012: client=mail.ext.test[192.0.2.12]",
      "Nov 27 14:40:07 mx postfix/smtpd[3805]: 3A1B210A013: client=mail.ext.test[192.0.2.12]",
      "Nov 27 14:40:07 mx postfix/cleanup[3802]: 3A1B210A013: message-id=<>",
      "Nov 27 14:40:08 mx postfix/smtpd[3805]: disconnect from mail.ext.test[192.0.2.12] ehlo=1 "
      "mail=2 rcpt=2 rset=1 data=1 quit=1 commands=8",
      "Nov 27 14:40:40 mx postfix/qmgr[900]: 3A1B210A010: from=<s@ext.test>, size=900, "
      "nrcpt=1 (queue active)",
      "Nov 27 14:40:41 mx postfix/local[3804]: 3A1B210A010: to=<c@example.test>, relay=local, "
      "delay=40, delays=39/0/0/1, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 14:40:41 mx postfix/qmgr[900]: 3A1B210A010: removed",
  });
  h.Feed({
      // A recipient refused after the queue file exists ("QID: reject: RCPT")
      // leaves the message accepted for the others: it waits for qmgr too.
      "Nov 27 14:40:09 mx postfix/smtpd[3807]: connect from mail.ext.test[192.0.2.13]",
      "Nov 27 14:40:09 mx postfix/smtpd[3807]: 3A1B210A014: client=mail.ext.test[192.0.2.13]",
      "Nov 27 14:40:09 mx postfix/smtpd[3807]: 3A1B210A014: reject: RCPT from "
      "mail.ext.test[192.0.2.13]: 550 5.1.1 <nobody@example.test>: Recipient address rejected: "
      "User unknown in local recipient table; from=<s@ext.test> to=<nobody@example.test> "
      "proto=ESMTP helo=<mail.ext.test>",
      "Nov 27 14:40:10 mx postfix/cleanup[3802]: 3A1B210A014: message-id=<m4@ext.test>",
      "Nov 27 14:40:10 mx postfix/smtpd[3807]: disconnect from mail.ext.test[192.0.2.13] ehlo=1 "
      "mail=1 rcpt=1/2 data=1 quit=1 commands=5/6",
      // BDAT: each chunk is counted a success, LAST or not, so the counters
      // cannot say the message was accepted: it waits for qmgr as long as a
      // deleted message's delivery may (10 minutes), then ends with its
      // session (a transaction without LAST is dropped, before Postfix 3.10
      // without a line). It ended after the grace, and a backlogged qmgr
      // made it two records (helper-111).
      "Nov 27 14:40:11 mx postfix/smtpd[3808]: connect from mail.ext.test[192.0.2.14]",
      "Nov 27 14:40:11 mx postfix/smtpd[3808]: 3A1B210A015: client=mail.ext.test[192.0.2.14]",
      "Nov 27 14:40:11 mx postfix/cleanup[3802]: 3A1B210A015: message-id=<m5@ext.test>",
      "Nov 27 14:40:12 mx postfix/smtpd[3808]: disconnect from mail.ext.test[192.0.2.14] ehlo=1 "
      "mail=1 rcpt=1 bdat=1 quit=1 commands=5",
      "Nov 27 14:41:00 mx postfix/smtpd[3806]: connect from x.test[192.0.2.99]",
  });
  EXPECT_EQ(h.One("3A1B210A014"), nullptr) << "accepted for one recipient, waits for qmgr";
  EXPECT_EQ(h.One("3A1B210A015"), nullptr) << "BDAT: may be queued, waits for qmgr";
  const MessageRecord* reset = h.One("3A1B210A012");
  ASSERT_TRUE(reset) << "the abandoned transaction ended with its session";
  EXPECT_EQ(reset->end, RecordEnd::kSession);
  EXPECT_EQ(h.One("3A1B210A013"), nullptr) << "accepted, waits for qmgr";
  h.Feed({"Nov 27 14:51:00 mx postfix/smtpd[3809]: connect from x.test[192.0.2.99]"});
  ASSERT_TRUE(h.One("3A1B210A015")) << "BDAT: no qmgr line in 10 minutes";
  EXPECT_EQ(h.One("3A1B210A015")->end, RecordEnd::kSession);
  EXPECT_EQ(h.One("3A1B210A014"), nullptr) << "accepted: the stale sweep is its bound";
  h.Flush();
  const MessageRecord* m = h.One("3A1B210A010");
  ASSERT_TRUE(m) << "one record";
  EXPECT_EQ(m->client_ip, "192.0.2.10");
  EXPECT_EQ(m->message_id.value_or("?"), "m1@ext.test");
  EXPECT_EQ(m->outcome, Outcome::kDelivered);
  const MessageRecord* aborted = h.One("3A1B210A011");
  ASSERT_TRUE(aborted);
  EXPECT_EQ(aborted->end, RecordEnd::kSession);
}

// A short queue id of 13 characters and more (an inode from 2^28 on: XFS
// on a large disk) was no queue id: every line of the message was unknown.
TEST(TrackerActions, ALongShortQueueIdIsAMessage) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 13:40:00 mx postfix/smtpd[3301]: 8D2F5200000083A: client=mail.ext.test[192.0.2.10]",
      "Nov 27 13:40:00 mx postfix/qmgr[900]: 8D2F5200000083A: from=<s@ext.test>, size=1000, "
      "nrcpt=1 (queue active)",
      "Nov 27 13:40:01 mx postfix/local[3302]: 8D2F5200000083A: to=<c@example.test>, "
      "relay=local, delay=1, delays=0.5/0/0/0.5, dsn=2.0.0, status=sent (delivered to mailbox)",
      "Nov 27 13:40:01 mx postfix/qmgr[900]: 8D2F5200000083A: removed",
  });
  h.Flush();
  const MessageRecord* m = h.One("8D2F5200000083A");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->client_ip, "192.0.2.10");
  EXPECT_EQ(m->outcome, Outcome::kDelivered);
}

// Postfix 3.10 and later: cleanup says when it removed a message it did not
// queue ("removed (canceled)" after an error or a reject, "removed
// (discarded)"). A message picked up from the maildrop has no smtpd session
// whose end could close it: it stayed open until the stale sweep (days).
TEST(TrackerActions, CleanupsRemovedLineEndsAMessageItDidNotQueue) {
  TrackerHarness h;
  h.Feed({
      "Nov 27 14:00:00 mx postfix/pickup[4001]: 3C4D510A001: uid=0 from=<root@example.test>",
      "Nov 27 14:00:00 mx postfix/cleanup[4002]: 3C4D510A001: reject: header Subject: "
      "spam test from local; from=<root@example.test> to=<ann@example.test>: 5.7.1 "
      "message content rejected",
      "Nov 27 14:00:00 mx postfix/cleanup[4002]: 3C4D510A001: removed (canceled)",
      "Nov 27 14:00:01 mx postfix/pickup[4001]: 3C4D510A002: uid=0 from=<root@example.test>",
      "Nov 27 14:00:01 mx postfix/cleanup[4002]: 3C4D510A002: removed (discarded)",
      "Nov 27 14:01:00 mx postfix/pickup[4001]: 3C4D510A003: uid=0 from=<root@example.test>",
  });
  ParseContext ctx;
  ctx.year = 2026;
  for (const char* line : {"Nov 27 14:00:00 mx postfix/cleanup[4002]: 3C4D510A001: removed "
                           "(canceled)",
                           "Nov 27 14:00:01 mx postfix/cleanup[4002]: 3C4D510A002: removed "
                           "(discarded)"})
    EXPECT_EQ(ParseLine(line, ctx).kind, EventKind::kAdmin) << line;
  const MessageRecord* canceled = h.One("3C4D510A001");
  ASSERT_TRUE(canceled) << "closed a grace period after cleanup's line";
  EXPECT_EQ(canceled->end, RecordEnd::kSession);
  EXPECT_EQ(canceled->outcome, Outcome::kRejected);
  const MessageRecord* discarded = h.One("3C4D510A002");
  ASSERT_TRUE(discarded);
  EXPECT_EQ(discarded->end, RecordEnd::kSession);
  EXPECT_EQ(discarded->outcome, Outcome::kDiscarded);
}

}  // namespace
}  // namespace mailtrail
