// The flood rules' evidence: an IP is blocked only for its own flooding, and
// the subject rule's distinct sources are sources that each flooded. Time is
// the records' (log) time.
#include <algorithm>

#include <gtest/gtest.h>

#include "agent/detect/flood_detector.h"
#include "tests/support/bounce_record.h"

namespace mailtrail {
namespace {

std::vector<std::string> IpsIn(const std::vector<Decision>& out) {
  std::vector<std::string> ips;
  for (const auto& d : out)
    if (d.kind == Decision::Kind::kIp) ips.push_back(d.key);
  return ips;
}

bool HasSubject(const std::vector<Decision>& out) {
  for (const auto& d : out)
    if (d.kind == Decision::Kind::kSubject) return true;
  return false;
}

// Two flooding sources, 30 bounces each of one subject within a minute.
void Flood(FloodDetector* d, const std::string& subject, std::vector<Decision>* out) {
  for (int i = 0; i < 30; ++i) {
    d->OnRecord(Bounce("198.51.100.1", subject, i * 2.0), out);
    d->OnRecord(Bounce("198.51.100.2", subject, i * 2.0 + 1), out);
  }
}

TEST(FloodRules, ALoneBounceUnderABlockedSubjectDoesNotBlockItsSender) {
  FloodDetector d;
  std::vector<Decision> out;
  Flood(&d, "Undeliverable Mail", &out);
  ASSERT_TRUE(HasSubject(out)) << "the flood's subject is blocked";
  out.clear();
  // A legitimate server's one notice with that subject: the subject block
  // refuses it; its sender keeps its IP.
  d.OnRecord(Bounce("203.0.113.5", "Undeliverable Mail", 70), &out);
  EXPECT_TRUE(IpsIn(out).empty()) << "got a block of " << (out.empty() ? "" : out[0].key);
}

TEST(FloodRules, ASourceThatFloodsABlockedSubjectIsBlockedAtItsOwnThreshold) {
  DetectorOptions o;
  FloodDetector d(o);
  std::vector<Decision> out;
  Flood(&d, "Undeliverable Mail", &out);
  out.clear();
  for (int i = 0; i < o.subject_source_bounces - 1; ++i)
    d.OnRecord(Bounce("203.0.113.9", "Undeliverable Mail", 70 + i), &out);
  EXPECT_TRUE(IpsIn(out).empty()) << "below its own threshold";
  d.OnRecord(Bounce("203.0.113.9", "Undeliverable Mail", 80), &out);
  EXPECT_EQ(IpsIn(out), std::vector<std::string>{"203.0.113.9"});
}

TEST(FloodRules, DistinctSourcesCountOnlyThoseThatEachSentSeveral) {
  DetectorOptions o;
  o.ip_bounces = 1000000;  // the IP rule out of the way
  FloodDetector d(o);
  std::vector<Decision> out;
  // One forging source, and a legitimate server's single notice of that subject.
  for (int i = 0; i < 100; ++i) d.OnRecord(Bounce("192.0.2.66", "Your invoice", i * 0.5), &out);
  d.OnRecord(Bounce("209.85.220.41", "Your invoice", 51), &out);
  EXPECT_TRUE(out.empty()) << "one notice from a second server does not make two sources";
  // Twenty legitimate servers with one notice each: still one flooding source.
  for (int i = 0; i < 20; ++i)
    d.OnRecord(Bounce("203.0.113." + std::to_string(i), "Your invoice", 52 + i * 0.1), &out);
  EXPECT_TRUE(out.empty());
  // A second source that floods it: now the subject rule trips, and only the
  // two flooding sources are blocked.
  for (int i = 0; i < o.subject_source_bounces; ++i)
    d.OnRecord(Bounce("198.51.100.9", "Your invoice", 60 + i), &out);
  ASSERT_TRUE(HasSubject(out));
  auto ips = IpsIn(out);
  std::sort(ips.begin(), ips.end());
  EXPECT_EQ(ips, (std::vector<std::string>{"192.0.2.66", "198.51.100.9"}));
}

TEST(FloodRules, ManyNoticesFromOneServerAndOneFromAnotherDoNotBlockTheSubject) {
  // A mailing list's bounces from one provider, and one more notice elsewhere:
  // one source of many, whatever the count (answers aside, the IP rule is what
  // judges one source).
  DetectorOptions o;
  o.ip_bounces = 1000000;
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 60; ++i)
    d.OnRecord(Bounce("209.85.220.41", "Delivery Status Notification (Failure)", i), &out);
  d.OnRecord(Bounce("198.51.100.1", "Delivery Status Notification (Failure)", 60.5), &out);
  EXPECT_TRUE(out.empty());
}

// One VPS has a /64: ten of its addresses, six bounces each, were ten
// sources, and one machine got any subject blocked for everyone (helper-134
// F1). A /64 is one source of a subject flood; each address is still judged
// by the IP rule on its own bounces.
TEST(FloodRules, TheAddressesOfOneIpv6SlashSixtyFourAreOneSource) {
  DetectorOptions o;
  o.ip_bounces = 1000000;  // the IP rule out of the way
  FloodDetector d(o);
  std::vector<Decision> out;
  double t = 0;
  for (int a = 1; a <= 10; ++a)
    for (int i = 0; i < 6; ++i, t += 0.5)
      d.OnRecord(Bounce("2001:db8:bad:1::" + std::to_string(a), "Your order has been shipped", t),
                 &out);
  EXPECT_FALSE(HasSubject(out)) << "60 bounces from one /64 are one source";
  // A second network that floods it too: two sources.
  for (int i = 0; i < o.subject_source_bounces; ++i, t += 0.5)
    d.OnRecord(Bounce("2001:db8:bad:2::1", "Your order has been shipped", t), &out);
  EXPECT_TRUE(HasSubject(out)) << "a second /64 is a second source";
}

// A flood from one IPv6 /64 that sends each notice from a new address: no
// address reaches the IP rule, and 600 in 5 minutes were never blocked
// (helper-152 F3). Its addresses count together for the /64, which is
// decided; an address flooding alone is decided as itself, not its /64;
// a /64 holding an address of ours is never decided.
TEST(FloodRules, AnIpv6SlashSixtyFourFloodingFromNewAddressesIsDecided) {
  DetectorOptions o;  // 20 bounces a minute from one source
  {
    FloodDetector d(o);
    std::vector<Decision> out;
    for (int i = 0; i < 40; ++i)
      d.OnRecord(Bounce("2001:db8:bad:1::" + std::to_string(i + 1), "x " + std::to_string(i), i),
                 &out);
    EXPECT_EQ(IpsIn(out), (std::vector<std::string>{"2001:db8:bad:1::/64"}));
  }
  {
    FloodDetector d(o);
    std::vector<Decision> out;
    for (int i = 0; i < 40; ++i)
      d.OnRecord(Bounce("2001:db8:bad:1::7", "x " + std::to_string(i), i), &out);
    EXPECT_EQ(IpsIn(out), (std::vector<std::string>{"2001:db8:bad:1::7"}))
        << "one address alone: that address";
  }
  {
    DetectorOptions ours = o;
    ours.never_counted = {*Cidr::Parse("2001:db8:bad:1::99/128")};
    FloodDetector d(ours);
    std::vector<Decision> out;
    for (int i = 0; i < 40; ++i)
      d.OnRecord(Bounce("2001:db8:bad:1::" + std::to_string(i + 1), "x " + std::to_string(i), i),
                 &out);
    EXPECT_TRUE(IpsIn(out).empty()) << "the /64 of a host of ours";
  }
}

}  // namespace
}  // namespace mailtrail
