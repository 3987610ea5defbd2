// Legitimate servers a flood rule must leave alone (helper-65's probe of the
// detector, docs/detection.md): our own relays' notices on their way out, and
// the senders of a subject the admin allowlisted or that is too short to block.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "agent/blocks/block_manager.h"
#include "agent/detect/flood_detector.h"
#include "agent/detect/subject.h"
#include "base/cidr.h"
#include "tests/support/bounce_record.h"

namespace mailtrail {
namespace {

MessageRecord Relayed(MessageRecord r, const std::string& relay) {
  RecipientRecord rc;
  rc.address = "someone@far.example";
  rc.relay = relay;
  rc.outcome = Outcome::kDelivered;
  r.recipients.push_back(rc);
  return r;
}

// Two internal servers (mynetworks: never blocked) relay 60 of their own
// bounces out through this gateway in 90 s. Their IP decisions were refused
// by the allowlist, but they still counted as two flood sources of the
// standard subject, which was then blocked for everyone.
TEST(LegitServers, OurOwnNoticesOnTheirWayOutCountForNoRule) {
  DetectorOptions o;
  o.never_counted = {*Cidr::Parse("10.0.0.0/8")};
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 60; ++i)
    d.OnRecord(
        Relayed(
            Bounce(i % 2 ? "10.0.0.5" : "10.1.2.6", "Undelivered Mail Returned to Sender", i * 1.5),
            "mx.far" + std::to_string(i) + ".example[198.51.100." + std::to_string(i + 1) + "]:25"),
        &out);
  EXPECT_TRUE(out.empty()) << out.size() << " decisions, the first on " << out[0].key;
  EXPECT_EQ(d.bounces(), 0);
  // The same through an after-queue content filter on loopback, to domains
  // that do not answer (relay=none), and requeued by `postsuper -r`: still on
  // their way out (helper-67: the first two were counted, and the subject
  // blocked; helper-99: the requeued ones were taken for local deliveries).
  for (const char* relay : {"127.0.0.1[127.0.0.1]:10024", "none", "requeue"}) {
    FloodDetector filtered(o);
    for (int i = 0; i < 60; ++i)
      filtered.OnRecord(Relayed(Bounce(i % 2 ? "10.0.0.5" : "10.1.2.6",
                                       "Undelivered Mail Returned to Sender", i * 1.5),
                                relay),
                        &out);
    EXPECT_TRUE(out.empty()) << relay << ": " << out.size() << " decisions";
    EXPECT_EQ(filtered.bounces(), 0) << relay;
  }
  // Another client is counted as before.
  for (int i = 0; i < 20; ++i) d.OnRecord(Bounce("198.51.100.7", "x", 100 + i), &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "198.51.100.7");
}

// What an allowlisted backup MX or filtering gateway hands in for our users
// (delivered here, over LMTP, or relayed to a mailbox server inside our
// networks) is inbound backscatter and counts (helper-66: counting none of
// it switched the subject rule off behind such gateways; helper-68: dovecot's
// LMTP socket, host[private/dovecot-lmtp], was taken for an outside MTA).
// But the subject rule's sources must be outside those networks: our own
// relays returning 60 NDRs to local users got the standard NDR subject
// blocked for everyone (helper-68).
TEST(LegitServers, WhatOurGatewaysHandInCountsButTheirSourcesNeedOutsideOnes) {
  DetectorOptions o;
  o.never_counted = {*Cidr::Parse("10.0.0.0/8")};
  const char* relays[] = {"exchange.corp.example[10.9.9.9]:25", "local",
                          "mail.example[private/dovecot-lmtp]"};
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 60; ++i)
    d.OnRecord(Relayed(Bounce(i % 2 ? "10.0.0.5" : "10.1.2.6", "Your parcel is waiting", i * 1.5),
                       relays[i % 3]),
               &out);
  EXPECT_EQ(d.bounces(), 60);
  EXPECT_TRUE(out.empty()) << out.size() << " decisions, the first on " << out[0].key;
  // Two outside sources join the flood: the subject and they are blocked.
  for (int i = 0; i < 6; ++i) {
    d.OnRecord(Relayed(Bounce("203.0.113.1", "Your parcel is waiting", 90 + i), "local"), &out);
    d.OnRecord(Relayed(Bounce("203.0.113.2", "Your parcel is waiting", 90.5 + i), "local"), &out);
  }
  bool subject = false;
  for (const Decision& dec : out) subject |= dec.kind == Decision::Kind::kSubject;
  EXPECT_TRUE(subject) << out.size() << " decisions";
}

// An MX of ours takes 26 genuine notices from two providers (13 each in
// 104 s) and relays them to a mailbox host of ours, and both hosts' logs are
// read here (a central syslog, `detect` over both): each notice was counted
// twice, 52 reached the subject rule's 50, and both providers and the
// standard NDR subject were blocked (helper-114 F2). A copy is known by its
// own Message-ID, whichever host's record comes first; two outside copies
// of one Message-ID stay two (a forger cannot make its flood count once).
TEST(LegitServers, ANoticeOurMxHandsToOurMailboxHostCountsOnce) {
  DetectorOptions o;
  o.never_counted = {*Cidr::Parse("10.0.0.0/8")};
  const std::string subject = "Undelivered Mail Returned to Sender";
  for (const bool mailbox_first : {false, true}) {
    FloodDetector d(o);
    std::vector<Decision> out;
    for (int i = 0; i < 26; ++i) {
      MessageRecord outside =
          Relayed(Bounce(i % 2 ? "192.0.2.45" : "198.51.100.21", subject, i * 4.0),
                  "mbox1.example[10.0.0.5]:25");
      outside.message_id = "ndr" + std::to_string(i) + "@provider.example";
      MessageRecord inside = Relayed(Bounce("10.0.0.1", subject, i * 4.0 + 0.5, "mbox1"),
                                     "mbox1.example[private/dovecot-lmtp]");
      inside.message_id = outside.message_id;
      // And a relay of ours between them (helper-116: three hosts' logs).
      MessageRecord hop = Relayed(Bounce("10.0.0.2", subject, i * 4.0 + 0.3, "relay1"),
                                  "mbox1.example[10.0.0.5]:25");
      hop.message_id = outside.message_id;
      d.OnRecord(mailbox_first ? inside : outside, &out);
      d.OnRecord(hop, &out);
      d.OnRecord(mailbox_first ? outside : inside, &out);
    }
    EXPECT_TRUE(out.empty()) << (mailbox_first ? "mailbox first: " : "MX first: ") << out.size()
                             << " decisions, the first on " << out[0].key;
    // And once in mailtrail_bounces_total, whichever copy came first
    // (helper-115 F6: the outside copy after ours counted again).
    EXPECT_EQ(d.bounces(), 26) << (mailbox_first ? "mailbox first" : "MX first");
  }
  // Fifty from two outside sources, all with one Message-ID: a flood, also
  // when one of them came through a backup MX of ours first (helper-115: the
  // one copy of ours made every later outside copy a copy).
  FloodDetector d(o);
  std::vector<Decision> out;
  MessageRecord backup = Relayed(Bounce("10.0.0.9", subject, 0), "local");
  backup.message_id = "same@forger.example";
  d.OnRecord(backup, &out);
  for (int i = 0; i < 50; ++i) {
    MessageRecord r = Bounce(i % 2 ? "192.0.2.45" : "198.51.100.21", subject, i * 2.0);
    r.message_id = "same@forger.example";
    d.OnRecord(Relayed(r, "local"), &out);
  }
  bool blocked = false;
  for (const Decision& dec : out) blocked |= dec.kind == Decision::Kind::kSubject;
  EXPECT_TRUE(blocked) << out.size() << " decisions";
}

// A subject the admin allowlisted (a common one) made a flood all the same:
// for an hour after, any server sending it five times in two minutes was
// blocked, a legitimate provider's six notices too.
TEST(LegitServers, AnAllowlistedSubjectMakesNoFlood) {
  for (const std::string subject : {"Undelivered Mail Returned to Sender"}) {
    DetectorOptions o;
    o.unblockable_subjects = {NormalizeSubject("Undelivered Mail Returned to Sender")};
    FloodDetector d(o);
    std::vector<Decision> out;
    // 53 bounces from three sources, each below the IP rule.
    const char* ips[] = {"203.0.113.1", "203.0.113.2", "203.0.113.3"};
    for (int i = 0; i < 53; ++i) d.OnRecord(Bounce(ips[i % 3], subject, i * 1.8), &out);
    // Ten minutes later a provider's six genuine notices.
    for (int i = 0; i < 6; ++i) d.OnRecord(Bounce("198.51.100.9", subject, 700 + i * 10), &out);
    EXPECT_TRUE(out.empty()) << subject << ": " << out.size() << " decisions, the first on "
                             << out[0].key << ": " << out[0].reason;
  }
}

// `r` to the detector, its decisions to `m` as the agent applies them:
// a block taken is in `blocked`, one refused at the cap goes back (NotTaken).
void FeedAtTheCap(FloodDetector* d, BlockManager* m, const MessageRecord& r,
                  std::vector<std::string>* blocked) {
  std::vector<Decision> out;
  d->OnRecord(r, &out);
  for (const Decision& dec : out) {
    std::string why;
    if (m->Apply(dec, &why)) {
      blocked->push_back(dec.key);
    } else if (why == "cap reached") {
      d->NotTaken(dec);
    }
  }
}

// A decision the block manager refused at its cap (new blocks per minute)
// was not made again for the block period: 10 of 130 flooding IPs were never
// blocked (helper-65). Told so, the detector decides again on the next bounce.
TEST(LegitServers, AFloodRefusedAtTheCapIsDecidedAgain) {
  FloodDetector d{DetectorOptions{}};
  BlockPolicy p;
  p.max_new_per_minute = 1;
  p.allow_cidrs = {*Cidr::Parse("127.0.0.0/8")};
  BlockManager m(p);
  std::vector<std::string> blocked;
  auto feed = [&](const std::string& ip, double at) {
    FeedAtTheCap(&d, &m, Bounce(ip, "", at), &blocked);
  };
  for (int i = 0; i < 20; ++i) {
    feed("203.0.113.10", i);
    feed("203.0.113.11", i + 0.5);
  }
  ASSERT_EQ(blocked, std::vector<std::string>{"203.0.113.10"}) << "the second over the cap";
  for (int i = 0; i < 20; ++i) feed("203.0.113.11", 120 + i);
  EXPECT_EQ(blocked, (std::vector<std::string>{"203.0.113.10", "203.0.113.11"}));
}

// The same for an admin's content rule: its second IP, refused at the cap,
// waited the block period (an hour) before the rule could decide it again.
// A message from `ip` that is not a bounce: only the content rules see it.
MessageRecord Offer(const std::string& ip, const std::string& subject, double at) {
  MessageRecord r = Bounce(ip, subject, at);
  r.sender = "offers@example.test";
  return r;
}

TEST(LegitServers, AContentRuleRefusedAtTheCapIsDecidedAgain) {
  DetectorOptions o;
  o.rules = {{"casino", "Subject", "(?i)casino", RuleAction::kBlockIp, 2, 60 * kUsPerSecond},
             {"pills", "Subject", "pills", RuleAction::kBlockSubject, 2, 60 * kUsPerSecond}};
  FloodDetector d(o);
  BlockPolicy p;
  p.max_new_per_minute = 1;
  p.allow_cidrs = {*Cidr::Parse("127.0.0.0/8")};
  BlockManager m(p);
  std::vector<std::string> blocked;
  auto feed = [&](const std::string& ip, const std::string& subject, double at) {
    FeedAtTheCap(&d, &m, Offer(ip, subject, at), &blocked);
  };
  for (int i = 0; i < 2; ++i) {
    feed("203.0.113.10", "CASINO night", i);
    feed("203.0.113.11", "CASINO night", i + 0.5);
    feed("203.0.113.12", "cheap pills for everyone today", i + 0.7);
  }
  ASSERT_EQ(blocked, std::vector<std::string>{"203.0.113.10"}) << "the others over the cap";
  // Matched again, twice (the rule's threshold) in a later minute each.
  feed("203.0.113.11", "CASINO night", 120);
  feed("203.0.113.11", "CASINO night", 121);
  feed("203.0.113.12", "cheap pills for everyone today", 240);
  feed("203.0.113.12", "cheap pills for everyone today", 241);
  EXPECT_EQ(blocked, (std::vector<std::string>{"203.0.113.10", "203.0.113.11",
                                               "cheap pills for everyone today"}));
}

// Two block-ip rules matching one message from an IP that also sent a
// bounce: the first decides, the second marks its slot and makes no decision
// of its own (the IP is decided already). Refused at the cap, both are decided again: the second
// waited its block period (helper-77).
TEST(LegitServers, EveryRuleOfARefusedIpIsDecidedAgain) {
  DetectorOptions o;
  o.rules = {{"casino", "Subject", "(?i)casino", RuleAction::kBlockIp, 2, 30 * kUsPerSecond},
             {"night", "Subject", "night", RuleAction::kBlockIp, 2, 600 * kUsPerSecond}};
  FloodDetector d(o);
  std::vector<Decision> out;
  auto feed = [&](const std::string& subject, double at) {
    out.clear();
    d.OnRecord(Offer("203.0.113.20", subject, at), &out);
  };
  d.OnRecord(Bounce("203.0.113.20", "Undelivered Mail Returned to Sender", -10), &out);
  ASSERT_TRUE(out.empty()) << "one bounce: the IP is a bounce source, not a flood";
  feed("CASINO night", 0);
  feed("CASINO night", 1);
  ASSERT_EQ(out.size(), 1u) << "one decision for the IP, the second rule's slot marked";
  EXPECT_EQ(out[0].rule, "content:casino");
  d.NotTaken(out[0]);  // the cap refused it
  // Later only the second rule matches (its window still holds the first two).
  feed("a quiet night", 100);
  ASSERT_EQ(out.size(), 1u) << "the second rule's slot was left decided";
  EXPECT_EQ(out[0].rule, "content:night");
}

// A later block's evidence is its own flood's messages, not the first one's.
TEST(LegitServers, ALaterDecisionNamesItsOwnMessages) {
  DetectorOptions o;
  o.block_period = 60 * kUsPerSecond;
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 20; ++i) d.OnRecord(Bounce("198.51.100.7", "", i), &out);
  ASSERT_EQ(out.size(), 1u);
  for (int i = 0; i < 20; ++i) d.OnRecord(Bounce("198.51.100.7", "", 600 + i), &out);
  ASSERT_EQ(out.size(), 2u);
  for (const std::string& qid : out[1].evidence)
    EXPECT_EQ(std::find(out[0].evidence.begin(), out[0].evidence.end(), qid), out[0].evidence.end())
        << qid << " was the first flood's";
}

}  // namespace
}  // namespace mailtrail
