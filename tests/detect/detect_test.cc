// Backscatter detection: subjects, bounce classification and the detector's
// rules (the block manager's are tests/blocks/block_manager_test.cc). Time is
// the records' (log) time.
#include <gtest/gtest.h>

#include "agent/blocks/block_manager.h"
#include "agent/detect/bounce.h"
#include "agent/detect/content_rules.h"
#include "agent/detect/flood_detector.h"
#include "agent/detect/subject.h"
#include "tests/support/bounce_record.h"

namespace mailtrail {
namespace {

TEST(Subject, NormalizesTheVariantsOfOneSubject) {
  const std::string want = NormalizeSubject("Undeliverable Mail");
  EXPECT_EQ(want, "undeliverable mail");
  for (const char* v :
       {"UNDELIVERABLE  MAIL", "Re: Undeliverable Mail", "FWD: re:Undeliverable mail",
        "=?UTF-8?Q?Undeliverable_Mail?=", "  undeliverable, mail!"})
    EXPECT_EQ(NormalizeSubject(v), want) << v;
  // NDR wrappers around the same forged subject count together.
  EXPECT_EQ(NormalizeSubject("Undeliverable: Claim your prize now"),
            NormalizeSubject("Non remis : Claim your prize now"));
  EXPECT_EQ(NormalizeSubject("Invoice 44731 overdue"), NormalizeSubject("Invoice 99 overdue"));
  EXPECT_EQ(NormalizeSubject("id 4f2a81c0a3 for bob@x.test"), "id # for @");
  EXPECT_EQ(NormalizeSubject("ПРИВЕТ"), "привет");
  EXPECT_LE(NormalizeSubject(std::string(100000, 'a') + " b").size(), 160u);
  EXPECT_EQ(NormalizeSubject(""), "");
}

TEST(Bounce, ClassifiesByNullSenderFromAndSubject) {
  MessageRecord r = Bounce("192.0.2.1", "Hello", 0);
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNullSender);
  r.sender = "someone@x.test";
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNone);
  // A person's envelope sender outweighs what its headers claim: anyone can
  // write them, and 20 such messages from a provider's MTA would block it.
  r.header_from = "Mail Delivery System <MAILER-DAEMON@mx.x.test>";
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNone);
  r.dsn_report = true;  // its queue file: Content-Type multipart/report (delivery-status)
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNone);
  r.dsn_report = false;
  // A daemon's name on any sender's own domain is as easy to write: anyone
  // with a domain at a shared provider sends as postmaster@ it.
  r.sender = "MAILER-DAEMON@mx.x.test";
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNone);
  r.sender.reset();  // not logged (a message refused before qmgr)
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kDaemonFrom);
  r.dsn_report = true;
  r.header_from = "john.postmasterfan@x.test";
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kDsnReport);
  r.dsn_report = false;
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNone);
  // A display name is the sender's to write: only the address counts.
  for (const char* from :
       {"Alice Postmaster <alice@gmail.test>", "Mail Delivery System <alice@gmail.test>",
        "\"MAILER-DAEMON fan club\" <fans@x.test>"})
    EXPECT_FALSE(IsDaemonFrom(from)) << from;
  for (const char* from : {"Mail Delivery System <MAILER-DAEMON@mx.x.test>", "postmaster@x.test",
                           "<Mailer-Daemon@x.test>", "\"Postmaster\" <postmaster@x.test>"})
    EXPECT_TRUE(IsDaemonFrom(from)) << from;
  r.sender = "someone@x.test";
  r.subject = "=?UTF-8?Q?Unzustellbar:_Rechnung?=";
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNone) << "a person's sender: not a notice";
  r.sender = "postmaster@mx.x.test";
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNone) << "any sender's domain has a postmaster";
  r.sender.reset();  // not logged
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNoticeSubject);
  r.client_ip.clear();  // local submission or our own notice
  r.sender = "";
  EXPECT_EQ(ClassifyBounce(r), BounceSignal::kNone);
}

TEST(Ring, CountsTheLastWindowOnly) {
  FloodDetector::Ring ring(60 * kUsPerSecond, 12);
  for (int i = 0; i < 10; ++i) ring.Add(Sec(i));
  EXPECT_EQ(ring.Count(Sec(10)), 10);
  EXPECT_EQ(ring.Count(Sec(59)), 10);
  // Buckets of 5 s: at 62 s the window is the buckets from [5,10) on.
  EXPECT_EQ(ring.Count(Sec(62)), 10 - 5) << "the bucket [0,5) left the window";
  EXPECT_EQ(ring.Count(Sec(200)), 0);
  ring.Add(Sec(-100));  // older than the window: not counted
  EXPECT_EQ(ring.Count(Sec(10)), 10);
}

// A block's end forgets the buckets after it (FloodDetector::BlockEnded):
// those of a log that was hours ahead; the buckets up to the end stay.
TEST(Ring, ForgetsOnlyTheBucketsAfterATime) {
  FloodDetector::Ring ring(60 * kUsPerSecond, 12);
  for (int i = 5; i < 10; ++i) ring.Add(Sec(i));
  ring.Add(Sec(7200), 30);  // hours ahead, in the slot of [0,5)
  ring.Add(Sec(1));         // older than that slot's bucket: not counted
  EXPECT_EQ(ring.Count(Sec(10)), 5);
  ring.ForgetAfter(Sec(9));
  EXPECT_EQ(ring.Count(Sec(10)), 5) << "the buckets up to the time stay";
  EXPECT_EQ(ring.Count(Sec(7200)), 0) << "the one after it is gone";
  ring.Add(Sec(1));  // the slot is free again
  EXPECT_EQ(ring.Count(Sec(10)), 6);
}

// A log whose clock steps back by less than a window (an NTP step, hosts a
// few seconds apart in one file): the window still ends at its newest bucket,
// so the counts made before the step still count (helper-94 H). A step of
// more than a window is a log that was ahead (FloodDetector::BlockEnded).
TEST(Ring, AStepBackShorterThanTheWindowKeepsTheCountsBeforeIt) {
  FloodDetector::Ring ring(60 * kUsPerSecond, 12);
  auto counted = [](const FloodDetector::Ring& r, TimeUs now) { return r.Count(r.WindowEnd(now)); };
  for (int i = 30; i < 60; ++i) ring.Add(Sec(i));
  EXPECT_EQ(ring.WindowEnd(Sec(30)), Sec(55)) << "30 s back: the window ends at [55,60)";
  EXPECT_EQ(counted(ring, Sec(30)), 30);
  for (int i = 30; i < 40; ++i) ring.Add(Sec(i));  // after the step, stamped 30 s earlier
  EXPECT_EQ(counted(ring, Sec(39)), 40);
  EXPECT_EQ(ring.WindowEnd(Sec(100)), Sec(100)) << "a later time ends the window at its own";
  EXPECT_EQ(counted(ring, Sec(100)), 15) << "[45,60)";
  EXPECT_EQ(ring.WindowEnd(Sec(-1)), Sec(-1)) << "a window back: the buckets after are not its";
  EXPECT_EQ(counted(ring, Sec(-1)), 0);
  FloodDetector::Ring far(60 * kUsPerSecond, 12);
  far.Add(Sec(7200), 30);
  EXPECT_EQ(counted(far, Sec(0)), 0) << "hours back: the window is the log's time";
}

// Times before 1970 (a log stamp may be: 1970-01-01T00:00:00+01:00) fall in
// their own buckets: a negative bucket index once wrote before the ring.
TEST(Ring, CountsAroundAndBeforeTheEpoch) {
  auto at = [](int s) { return static_cast<TimeUs>(s) * kUsPerSecond; };  // from 1970
  FloodDetector::Ring ring(60 * kUsPerSecond, 12);
  for (int i = -30; i < 0; ++i) ring.Add(at(i));
  EXPECT_EQ(ring.Count(at(-1)), 30) << "the buckets up to [-5,0)";
  for (int i = 0; i < 30; ++i) ring.Add(at(i));
  EXPECT_EQ(ring.Count(at(29)), 60);
  EXPECT_EQ(ring.Count(at(-31)), 0);
  EXPECT_EQ(ring.Count(at(84)), 5) << "only the bucket [25,30) is left in the window";
  FloodDetector::Ring far(60 * kUsPerSecond, 12);
  far.Add(-kLogTimeLimit);
  far.Add(kLogTimeLimit);
  EXPECT_EQ(far.Count(-kLogTimeLimit), 1);
  EXPECT_EQ(far.Count(kLogTimeLimit), 1);
}

TEST(Detector, TheIpRuleTripsAtItsThresholdInsideTheWindow) {
  DetectorOptions o;
  o.ip_bounces = 20;
  o.ip_window = 60 * kUsPerSecond;
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 19; ++i)
    d.OnRecord(Bounce("192.0.2.7", "x" + std::to_string(i), i * 10.0), &out);
  EXPECT_TRUE(out.empty()) << "19 bounces spread over 3 minutes";
  FloodDetector fast(o);
  for (int i = 0; i < 20; ++i) fast.OnRecord(Bounce("192.0.2.7", "s", i * 2.0), &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "192.0.2.7");
  EXPECT_EQ(out[0].at, Sec(38) + 1000) << "the log time of the 20th bounce";
  out.clear();
  fast.OnRecord(Bounce("192.0.2.7", "s", 40), &out);
  EXPECT_TRUE(out.empty()) << "decided once";
}

// helper-94 H: the log's clock stepped back 30 s in the middle of a flood
// (half of a rule's window): the bounces before the step counted for nothing
// after it, and the flood needed its threshold again from the step on.
TEST(Detector, AFloodAcrossAStepBackShorterThanTheWindowIsBlocked) {
  DetectorOptions o;
  o.ip_bounces = 20;
  o.ip_window = 60 * kUsPerSecond;
  o.subject_bounces = 30;
  o.subject_window = 60 * kUsPerSecond;
  FloodDetector d(o);
  std::vector<Decision> out;
  // 12 bounces from each of two sources over 24 s, then the log is 30 s behind.
  for (int i = 0; i < 12; ++i)
    for (const char* ip : {"192.0.2.7", "192.0.2.8"})
      d.OnRecord(Bounce(ip, "Your parcel", 30 + i * 2.0), &out);
  EXPECT_TRUE(out.empty()) << "12 bounces each, 24 in all: under both rules";
  for (int i = 0; i < 8; ++i)
    for (const char* ip : {"192.0.2.7", "192.0.2.8"})
      d.OnRecord(Bounce(ip, "Your parcel", 24 + i * 2.0), &out);
  int ips = 0, subjects = 0;
  for (const auto& dec : out) (dec.kind == Decision::Kind::kIp ? ips : subjects)++;
  EXPECT_EQ(subjects, 1) << "40 bounces of the subject within 48 s of the log's time";
  EXPECT_EQ(ips, 2) << "20 bounces from each source within 48 s";
}

TEST(Detector, OneForgingSourceCannotGetACommonSubjectBlocked) {
  DetectorOptions o;
  o.subject_bounces = 50;
  o.ip_bounces = 1000000;  // the IP rule out of the way
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 500; ++i) d.OnRecord(Bounce("192.0.2.66", "Your invoice", i * 0.1), &out);
  EXPECT_TRUE(out.empty());
  // A second source floods it too: now it is a flood of that subject.
  for (int i = 0; i < o.subject_source_bounces; ++i)
    d.OnRecord(Bounce("198.51.100.9", "Your invoice", 51 + i), &out);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].kind, Decision::Kind::kSubject);
  EXPECT_EQ(out[0].key, "your invoice");
  EXPECT_EQ(out[0].raw_subjects, std::vector<std::string>{"Your invoice"});
  EXPECT_EQ(out.size(), 3u) << "and both sources";
  out.clear();
  d.OnRecord(Bounce("203.0.113.5", "YOUR INVOICE", 60), &out);
  EXPECT_TRUE(out.empty()) << "one notice during the block: refused by the subject block only";
}

TEST(Detector, TheSeedCaseTripsWithTheDefaults) {
  // "If gmail.com sends me 400 bounces in 2 minutes, all with Undeliverable Mail
  // in the subject, any message with Undeliverable Mail is blocked."
  FloodDetector d;
  BlockManager m(BlockPolicy{});
  std::vector<Decision> out;
  std::string why;
  TimeUs subject_blocked = 0;
  for (int i = 0; i < 400; ++i) {
    out.clear();
    d.OnRecord(Bounce("209.85.220." + std::to_string(40 + i % 8), "Undeliverable Mail", i * 0.3),
               &out);
    for (const auto& dec : out)
      if (const Block* b = m.Apply(dec, &why);
          b && b->kind == BlockKind::kSubject && !subject_blocked)
        subject_blocked = b->created;
  }
  ASSERT_GT(subject_blocked, 0);
  EXPECT_LE(subject_blocked, Sec(60)) << "within the first minute of the flood";
  EXPECT_TRUE(m.IsBlocked(BlockKind::kSubject, "undeliverable mail", Sec(121)));
  for (int i = 0; i < 8; ++i)
    EXPECT_TRUE(m.IsBlocked(BlockKind::kIp, "209.85.220." + std::to_string(40 + i), Sec(121)));
}

TEST(Detector, NonBouncesAreNotCounted) {
  DetectorOptions o;
  o.ip_bounces = 3;
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 10; ++i) {
    MessageRecord r = Bounce("192.0.2.8", "newsletter", i);
    r.sender = "news@x.test";
    d.OnRecord(r, &out);
  }
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.bounces(), 0);
}

// A content filter's leg of a bounce counts towards no rule: it is the
// bounce already counted, again from the filter (re-injected from 127.0.0.1 or
// ::1, or linked to its parent). It once made the filter's address a second
// source, so that one sender got a subject blocked.
TEST(Detector, ContentFilterLegsAreNotCounted) {
  DetectorOptions o;
  o.ip_bounces = 3;
  o.subject_bounces = 4;
  o.subject_min_ips = 2;
  o.subject_source_bounces = 2;
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 10; ++i) {
    d.OnRecord(Bounce("127.0.0.1", "Your parcel is waiting", i + 0.5), &out);
    MessageRecord linked = Bounce("192.0.2.60", "Your parcel is waiting", i + 0.7);
    linked.parent_qid = "P" + std::to_string(i);  // re-injected by a filter on another host
    d.OnRecord(linked, &out);
    d.OnRecord(Bounce("::1", "Your parcel is waiting", i + 0.8), &out);
  }
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.bounces(), 0);
  // The same bounces from remote clients do count (the test can fail).
  for (int i = 0; i < 3; ++i) d.OnRecord(Bounce("198.18.7.7", "x", 20 + i), &out);
  EXPECT_EQ(d.bounces(), 3);
  EXPECT_FALSE(out.empty());
}

// Our own users, authenticated (SASL): an admin's or a ticket system's
// notices relayed through submission are theirs, never a flood to block at
// the firewall (that would close port 587 to them too).
TEST(Detector, AuthenticatedClientsAreNotCounted) {
  DetectorOptions o;
  o.ip_bounces = 3;
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 10; ++i) {
    MessageRecord r = Bounce("203.0.113.50", "Monthly report", i);
    r.sasl_username = "admin";
    d.OnRecord(r, &out);
  }
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.bounces(), 0);
  for (int i = 0; i < 3; ++i) d.OnRecord(Bounce("203.0.113.50", "Monthly report", 20 + i), &out);
  EXPECT_EQ(d.bounces(), 3) << "the same without SASL counts";
}

TEST(Detector, AMillionDistinctSubjectsStayWithinTheBound) {
  DetectorOptions o;
  o.max_subjects = 1000;
  o.max_ips = 1000;
  o.ip_bounces = 1000000;
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 1000000; ++i)
    d.OnRecord(Bounce("10.0." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256),
                      "random " + std::to_string(i) + " zq" + std::string(1, 'a' + i % 26) +
                          std::string(1, 'a' + i / 26 % 26) + std::string(1, 'a' + i / 676 % 26),
                      i * 0.0001),
               &out);
  EXPECT_LE(d.tracked_subjects(), 1000u);
  EXPECT_LE(d.tracked_ips(), 1000u);
  EXPECT_GT(d.untracked(), 0);
}

TEST(ContentRules, CountRulesMakeBouncesAndBlockRulesDecide) {
  DetectorOptions o;
  o.ip_bounces = 3;
  o.rules = {{"mailer", "From", "^From:.*Mailer", RuleAction::kCount, 1, 60 * kUsPerSecond},
             {"casino", "Subject", "(?i)casino", RuleAction::kBlockIp, 2, 60 * kUsPerSecond},
             {"pills", "Subject", "pills", RuleAction::kBlockSubject, 3, 60 * kUsPerSecond}};
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 3; ++i) {  // not bounces by themselves: a sender, no NDR subject
    MessageRecord r = Bounce("192.0.2.20", "Hello", i);
    r.sender = "x@y.test";
    r.header_from = "Friendly Mailer <x@y.test>";
    d.OnRecord(r, &out);
  }
  ASSERT_EQ(out.size(), 1u) << "counted as bounces: the IP rule at 3";
  EXPECT_EQ(out[0].key, "192.0.2.20");
  out.clear();
  MessageRecord c = Bounce("192.0.2.21", "Best CASINO offers", 10);
  c.sender = "a@b.test";
  d.OnRecord(c, &out);
  EXPECT_TRUE(out.empty()) << "threshold 2";
  d.OnRecord(c, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rule, "content:casino");
  EXPECT_EQ(out[0].key, "192.0.2.21");
  out.clear();
  for (int i = 0; i < 3; ++i) {
    MessageRecord p =
        Bounce("198.51.100." + std::to_string(i), "cheap pills " + std::to_string(i), 20);
    p.sender = "a@b.test";
    d.OnRecord(p, &out);
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Decision::Kind::kSubject);
  EXPECT_EQ(out[0].key, "cheap pills #");
}

TEST(ContentRules, AdversarialSubjectsHitTheLimitAndDoNotMatch) {
  auto rules =
      ContentRules::Compile({{"evil", "Subject", "^Subject: (a+)+$", RuleAction::kCount, 1, 0}},
                            /*match_limit=*/10000, /*depth_limit=*/100);
  ASSERT_TRUE(rules.ok());
  MessageRecord r = Bounce("192.0.2.1", std::string(40, 'a') + "b", 0);
  EXPECT_TRUE((*rules)->Matches(r).empty());
  EXPECT_EQ((*rules)->limit_hits(), 1);
  r.subject = "aaaa";
  EXPECT_EQ((*rules)->Matches(r).size(), 1u) << "an honest subject still matches";
}

TEST(ContentRules, BadRulesAreRefusedWithTheirName) {
  // A bad action is the config's to refuse (tests/config/edge_enums_test.cc).
  constexpr RuleAction kCount = RuleAction::kCount;
  for (const ContentRuleSpec& bad : {ContentRuleSpec{"r1", "To", "x", kCount, 1, 0},
                                     ContentRuleSpec{"r3", "From", "(x", kCount, 1, 0},
                                     ContentRuleSpec{"r4", "From", "x", kCount, 0, 0}}) {
    auto c = ContentRules::Compile({bad});
    ASSERT_FALSE(c.ok()) << bad.name;
    EXPECT_NE(c.status().message().find("rule '" + bad.name + "'"), std::string::npos);
  }
}

}  // namespace
}  // namespace mailtrail
