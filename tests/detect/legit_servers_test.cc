// Legitimate servers a flood rule must leave alone (helper-65's probe of the
// detector, docs/detection.md): our own relays' notices on their way out, and
// the senders of a subject the admin allowlisted or that is too short to block.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/detect/flood_detector.h"
#include "agent/detect/subject.h"
#include "base/cidr.h"

namespace mailtrail {
namespace {

constexpr TimeUs kT0 = 1795780000LL * kUsPerSecond;

MessageRecord Bounce(const std::string& ip, const std::string& subject, double at) {
  MessageRecord r;
  r.host = "mx";
  r.qid = "Q" + std::to_string(static_cast<int64_t>(at * 1000)) + ip;
  r.client_ip = ip;
  r.has_client = true;
  r.sender = "";
  r.subject = subject;
  r.first_seen = kT0 + static_cast<TimeUs>(at * kUsPerSecond);
  r.last_seen = r.first_seen + 1000;
  return r;
}

// Two internal servers (mynetworks: never blocked) relay 60 of their own
// bounces out through this gateway in 90 s. Their IP decisions were refused
// by the allowlist, but they still counted as two flood sources of the
// standard subject, which was then blocked for everyone.
TEST(LegitServers, NoticesFromNetworksNeverBlockedCountForNoRule) {
  DetectorOptions o;
  o.never_counted = {*Cidr::Parse("10.0.0.0/8")};
  FloodDetector d(o);
  std::vector<Decision> out;
  for (int i = 0; i < 60; ++i)
    d.OnRecord(
        Bounce(i % 2 ? "10.0.0.5" : "10.1.2.6", "Undelivered Mail Returned to Sender", i * 1.5),
        &out);
  EXPECT_TRUE(out.empty()) << out.size() << " decisions, the first on " << out[0].key;
  EXPECT_EQ(d.bounces(), 0);
  // Another client is counted as before.
  for (int i = 0; i < 20; ++i) d.OnRecord(Bounce("198.51.100.7", "x", 100 + i), &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "198.51.100.7");
}

// A subject the admin allowlisted (a common one) or one too short to block
// made a flood all the same: for an hour after, any server sending it five
// times in two minutes was blocked, a legitimate provider's six notices too.
TEST(LegitServers, ASubjectThatCannotBeBlockedMakesNoFlood) {
  for (const std::string subject : {"Undelivered Mail Returned to Sender", "Re: 2026"}) {
    DetectorOptions o;
    o.unblockable_subjects = {NormalizeSubject("Undelivered Mail Returned to Sender")};
    o.min_subject_chars = 12;
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

}  // namespace
}  // namespace mailtrail
