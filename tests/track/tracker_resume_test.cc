// TrackerOptions::resume: a log cut inside messages, read as two replays,
// gives the records one replay of the whole would (docs/install.md,
// "Replaying logs in parts").
#include <gtest/gtest.h>

#include <map>

#include "agent/track/record_json.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

// A message received, then delivered to one recipient and deferred for the
// other, delivered an hour later; and a second message received just before
// the cut and delivered after it.
const std::vector<std::string> kBeforeTheCut = {
    "Nov 27 12:03:25 mx postfix/smtpd[12776]: connect from mail.northwind.test[127.0.5.120]",
    "Nov 27 12:03:25 mx postfix/smtpd[12776]: 91FEA10A305: client=mail.northwind.test[127.0.5.120]",
    "Nov 27 12:03:25 mx postfix/cleanup[12781]: 91FEA10A305: info: header Subject: Hello from "
    "mail.northwind.test[127.0.5.120]; from=<li@northwind.test> to=<nadia@example.test> "
    "proto=ESMTP helo=<mail.northwind.test>",
    "Nov 27 12:03:25 mx postfix/cleanup[12781]: 91FEA10A305: message-id=<m1@northwind.test>",
    "Nov 27 12:03:25 mx postfix/qmgr[12713]: 91FEA10A305: from=<li@northwind.test>, size=1339, "
    "nrcpt=2 (queue active)",
    "Nov 27 12:03:26 mx postfix/local[12782]: 91FEA10A305: to=<nadia@example.test>, relay=local, "
    "delay=0.03, delays=0.02/0.01/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
    "Nov 27 12:03:27 mx postfix/smtp[12783]: 91FEA10A305: to=<omar@far.test>, "
    "relay=none, delay=2, delays=0.01/0/2/0, dsn=4.4.1, status=deferred (connect to "
    "mx.far.test[192.0.2.4]:25: Connection refused)",
    "Nov 27 12:03:30 mx postfix/smtpd[12776]: 5C1D210A306: client=mail.northwind.test[127.0.5.120]",
    "Nov 27 12:03:30 mx postfix/cleanup[12781]: 5C1D210A306: message-id=<m2@northwind.test>",
};
const std::vector<std::string> kAfterTheCut = {
    "Nov 27 12:03:30 mx postfix/qmgr[12713]: 5C1D210A306: from=<li@northwind.test>, size=900, "
    "nrcpt=1 (queue active)",
    "Nov 27 12:03:31 mx postfix/smtpd[12776]: disconnect from mail.northwind.test[127.0.5.120] "
    "ehlo=1 mail=2 rcpt=3 data=2 quit=1 commands=9",
    "Nov 27 12:03:31 mx postfix/local[12782]: 5C1D210A306: to=<nadia@example.test>, relay=local, "
    "delay=0.5, delays=0.4/0.01/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
    "Nov 27 12:03:31 mx postfix/qmgr[12713]: 5C1D210A306: removed",
    "Nov 27 13:03:27 mx postfix/qmgr[12713]: 91FEA10A305: from=<li@northwind.test>, size=1339, "
    "nrcpt=2 (queue active)",
    "Nov 27 13:03:28 mx postfix/smtp[12790]: 91FEA10A305: to=<omar@far.test>, "
    "relay=mx.far.test[192.0.2.4]:25, delay=3603, delays=3600/0/2/1, dsn=2.0.0, status=sent "
    "(250 2.0.0 Ok: queued as 4AB)",
    "Nov 27 13:03:28 mx postfix/qmgr[12713]: 91FEA10A305: removed",
    "Nov 27 13:05:00 mx postfix/smtpd[12800]: connect from a.test[192.0.2.9]",
};

std::map<std::string, std::string> ByQid(const std::vector<MessageRecord>& records) {
  std::map<std::string, std::string> out;
  for (const MessageRecord& r : records) {
    std::string json;
    AppendRecordJson(r, &json);
    out[r.qid] += json + "\n";
  }
  return out;
}

TEST(TrackerResume, TwoReplaysOfALogCutInsideMessagesGiveTheRecordsOfOne) {
  for (bool full : {false, true}) {
    TrackerOptions o;
    o.keep_events = full;
    TrackerHarness whole(o);
    whole.Feed(kBeforeTheCut);
    whole.Feed(kAfterTheCut);
    whole.Flush();

    TrackerHarness first(o);
    first.Feed(kBeforeTheCut);
    first.Flush();
    ASSERT_EQ(first.records().size(), 2u);
    EXPECT_EQ(first.records()[0].end, RecordEnd::kOpen);
    // What the store holds of the first replay, as the second asks for it.
    std::vector<std::string> asked;
    TrackerOptions again = o;
    again.resume = [&](std::string_view host, std::string_view qid, TimeUs) {
      asked.push_back(std::string(host) + "/" + std::string(qid));
      std::optional<MessageRecord> held;
      for (const MessageRecord& r : first.records())
        if (r.qid == qid && r.host == host) held = r;
      return held;
    };
    TrackerHarness second(again);
    second.Feed(kAfterTheCut);
    second.Flush();
    EXPECT_EQ(ByQid(second.records()), ByQid(whole.records())) << (full ? "full" : "standard");
    EXPECT_EQ(asked, (std::vector<std::string>{"mx/5C1D210A306", "mx/91FEA10A305"}))
        << "each queue id once, when first met";

    // The second part read again, the store holding what the second replay
    // wrote: the lines its records hold are not applied twice (a deferred
    // recipient's attempts were counted again).
    TrackerOptions thrice = o;
    thrice.resume = [&](std::string_view host, std::string_view qid, TimeUs) {
      std::optional<MessageRecord> held;
      for (const MessageRecord& r : second.records())
        if (r.qid == qid && r.host == host) held = r;
      return held;
    };
    TrackerHarness third(thrice);
    third.Feed(kAfterTheCut);
    third.Flush();
    const MessageRecord* r = third.One("91FEA10A305");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->recipients.size(), 2u);
    EXPECT_EQ(r->recipients[1].attempts, 2) << "one deferred attempt, one delivery";
    EXPECT_EQ(r->events.size(), whole.One("91FEA10A305")->events.size());
  }
}

// Resumed as the first replay's tracker knew it: a held message without
// recipients is written with a "hold" reject, which is how it is shown, not
// what happened (released the next day, it kept the reject: helper-84).
TEST(TrackerResume, AHeldMessageGoesOnWithoutItsWrittenHold) {
  const std::vector<std::string> day1 = {
      "Nov 27 10:00:00 mx postfix/smtpd[100]: connect from c.test[192.0.2.3]",
      "Nov 27 10:00:00 mx postfix/smtpd[100]: 5E6F7A8B9C: client=c.test[192.0.2.3]",
      "Nov 27 10:00:00 mx postfix/cleanup[101]: 5E6F7A8B9C: message-id=<m5@c.test>",
      "Nov 27 10:00:00 mx postfix/smtpd[100]: disconnect from c.test[192.0.2.3] ehlo=1 mail=1 "
      "rcpt=1 data=1 quit=1 commands=5",
      "Nov 27 10:00:00 mx postfix/postsuper[200]: 5E6F7A8B9C: placed on hold"};
  const std::vector<std::string> day2 = {
      "Nov 28 09:00:00 mx postfix/postsuper[201]: 5E6F7A8B9C: released from hold",
      "Nov 28 09:00:01 mx postfix/qmgr[102]: 5E6F7A8B9C: from=<s5@c.test>, size=300, nrcpt=1 "
      "(queue active)",
      "Nov 28 09:00:02 mx postfix/smtp[104]: 5E6F7A8B9C: to=<r5@d.test>, "
      "relay=mx.d.test[192.0.2.8]:25, delay=82800, delays=82800/0/0/1, dsn=2.0.0, status=sent "
      "(250 ok)",
      "Nov 28 09:00:02 mx postfix/qmgr[102]: 5E6F7A8B9C: removed"};
  TrackerHarness whole;
  whole.Feed(day1);
  whole.Feed(day2);
  whole.Flush();
  TrackerHarness first;
  first.Feed(day1);
  first.Flush();
  ASSERT_EQ(first.records().size(), 1u);
  ASSERT_TRUE(first.records()[0].reject.has_value()) << "written held";
  TrackerOptions o;
  o.resume = [&](std::string_view, std::string_view, TimeUs) {
    return std::optional<MessageRecord>(first.records()[0]);
  };
  TrackerHarness second(o);
  second.Feed(day2);
  second.Flush();
  EXPECT_EQ(ByQid(second.records()), ByQid(whole.records()));
}

// A record resumed from one that ended (the same log read again) gives its
// queue id up to a new message whose first line is cleanup's (a forwarded
// copy): the new one joined it, and was never written (helper-84).
TEST(TrackerResume, AnEndedRecordGivesItsQueueIdUpToANewMessage) {
  const std::vector<std::string> lines = {
      "Nov 27 10:00:00 mx postfix/smtpd[100]: 6F7A8B9C0D: client=c.test[192.0.2.3]",
      "Nov 27 10:00:00 mx postfix/cleanup[101]: 6F7A8B9C0D: message-id=<a@c.test>",
      "Nov 27 10:00:00 mx postfix/qmgr[102]: 6F7A8B9C0D: from=<s@c.test>, size=300, nrcpt=1 "
      "(queue active)",
      "Nov 27 10:00:01 mx postfix/smtp[104]: 6F7A8B9C0D: to=<r@d.test>, "
      "relay=mx.d.test[192.0.2.8]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)",
      "Nov 27 10:00:01 mx postfix/qmgr[102]: 6F7A8B9C0D: removed"};
  TrackerHarness first;
  first.Feed(lines);
  first.Flush();
  ASSERT_EQ(first.records().size(), 1u);
  TrackerOptions o;
  o.resume = [&](std::string_view, std::string_view, TimeUs) {
    return std::optional<MessageRecord>(first.records()[0]);
  };
  TrackerHarness again(o);
  again.Feed({lines[3], lines[4],
              "Nov 27 12:00:00 mx postfix/cleanup[101]: 6F7A8B9C0D: message-id=<b@e.test>",
              "Nov 27 12:00:00 mx postfix/qmgr[102]: 6F7A8B9C0D: from=<s@e.test>, size=600, "
              "nrcpt=1 (queue active)"});
  again.Flush();
  ASSERT_EQ(again.records().size(), 2u);
  EXPECT_EQ(again.records()[0].message_id, std::optional<std::string>("a@c.test"));
  EXPECT_EQ(again.records()[1].message_id, std::optional<std::string>("b@e.test"));
  EXPECT_EQ(again.records()[1].size, 600);
}

// A line that begins a message (smtpd's client=, pickup) never goes on with
// a stored record: the queue id is a new message's (Postfix reuses them).
TEST(TrackerResume, ALineThatBeginsAMessageAsksForNothing) {
  int asked = 0;
  TrackerOptions o;
  o.resume = [&](std::string_view, std::string_view, TimeUs) {
    ++asked;
    MessageRecord r;
    r.host = "mx";
    r.qid = "91FEA10A305";
    r.sender = "old@example.test";
    r.first_seen = 1;
    return std::optional<MessageRecord>(r);
  };
  TrackerHarness h(o);
  h.Feed({kBeforeTheCut[0], kBeforeTheCut[1], kBeforeTheCut[2], kBeforeTheCut[3], kBeforeTheCut[4],
          "Nov 27 12:05:38 mx postfix/pickup[1]: 578AE10A35E: uid=1004 from=<omar@example.test>"});
  h.Flush();
  EXPECT_EQ(asked, 0);
  const MessageRecord* r = h.One("91FEA10A305");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sender, std::optional<std::string>("li@northwind.test"));
}

// The store's answer for another queue id is not taken.
TEST(TrackerResume, AnotherQueueIdsRecordIsNotTaken) {
  TrackerOptions o;
  o.resume = [&](std::string_view, std::string_view, TimeUs) {
    MessageRecord r;
    r.host = "mx";
    r.qid = "OTHER";
    r.sender = "old@example.test";
    return std::optional<MessageRecord>(r);
  };
  TrackerHarness h(o);
  h.Feed({kAfterTheCut[0]});
  h.Flush();
  const MessageRecord* r = h.One("5C1D210A306");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sender, std::optional<std::string>("li@northwind.test"));
}

}  // namespace
}  // namespace mailtrail
