// Fleet-wide counting (issue 19 item 9): detectors that exchange their window
// counts (as agents do through the store) decide on a flood spread over them,
// which none of them sees enough of alone.
#include <gtest/gtest.h>

#include "agent/detect/flood_detector.h"
#include "agent/detect/subject.h"
#include "tests/support/bounce_record.h"

namespace mailtrail {
namespace {

constexpr TimeUs kT0 = kDetectT0;

// Three MXes; `send(i, second, out)` gives MX i its bounces of that second.
// With `exchange`, each detector gets the others' counts every 2 s (log time).
template <typename Send>
std::vector<Decision> RunFleet(const DetectorOptions& o, bool exchange, int seconds, Send send) {
  std::vector<FloodDetector> mx;
  for (int i = 0; i < 3; ++i) mx.emplace_back(o);
  std::vector<Decision> out;
  for (int s = 0; s < seconds; ++s) {
    for (int i = 0; i < 3; ++i)
      for (const MessageRecord& r : send(i, s)) mx[i].OnRecord(r, &out);
    if (!exchange || s % 2 != 0) continue;
    const TimeUs now = kT0 + s * kUsPerSecond;
    std::vector<std::vector<WindowCount>> published;
    for (auto& d : mx) published.push_back(d.FleetCounts(now));
    for (int i = 0; i < 3; ++i) {
      std::vector<WindowCount> others;
      for (int j = 0; j < 3; ++j)
        if (j != i) others.insert(others.end(), published[j].begin(), published[j].end());
      mx[i].SetFleetCounts(others);
    }
  }
  return out;
}

TEST(FleetCounts, AnIpFloodAt40PercentOnEachOfThreeMxesIsDecided) {
  DetectorOptions o;  // 20 bounces a minute from one IP
  auto send = [](int i, int s) {
    std::vector<MessageRecord> v;
    if ((s + i) % 8 == 0) v.push_back(Bounce("192.0.2.50", "x", s, "mx" + std::to_string(i)));
    return v;  // one every 7.5 s on each MX: 8 a minute, 40% of the threshold
  };
  EXPECT_TRUE(RunFleet(o, false, 300, send).empty()) << "no MX sees 20 a minute alone";
  const auto d = RunFleet(o, true, 300, send);
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0].key, "192.0.2.50");
  EXPECT_LE(d[0].at, kT0 + 60 * kUsPerSecond) << "within the flood's first minute";
}

// After this agent's log steps back, its own count and the other agents'
// are summed over one window: its window ended at its newest bucket and
// theirs at the record's time, so that the sum spanned a window and the step
// (helper-109: 21 bounces "within 60 s" where no 60 s held more than 11).
TEST(FleetCounts, AfterAStepBackBothCountsAreOfOneWindow) {
  DetectorOptions o;
  o.ip_bounces = 20;
  o.ip_window = 60 * kUsPerSecond;
  FloodDetector d(o);
  std::vector<WindowCount> theirs;
  for (int s = -60; s < 0; s += 6)  // 10 bounces over the minute before 0
    theirs.push_back({"", "i\t192.0.2.9", kT0 + s * kUsPerSecond, 1});
  d.SetFleetCounts(theirs);
  std::vector<Decision> out;
  for (int s = 0; s < 60; s += 6) d.OnRecord(Bounce("192.0.2.9", "x", s), &out);
  d.OnRecord(Bounce("192.0.2.9", "x", -1), &out);  // the log stepped back 55 s
  EXPECT_TRUE(out.empty()) << "no window of 60 s holds 20 of these 21 bounces";
}

TEST(FleetCounts, ASubjectFloodCountsSourcesAndBouncesFleetWide) {
  DetectorOptions o;  // 50 bounces of a subject in 120 s from 2 sources with 5 each
  auto send = [](int i, int s) {
    std::vector<MessageRecord> v;
    // Each of two sources sends one to each MX every 6 s: 20 a minute per MX
    // (40% of 50 in the window), 60 fleet-wide; never 20 from one IP on one MX
    // nor fleet-wide (10 a minute from each).
    if (s % 6 == i) {
      for (const char* ip : {"198.51.100.1", "198.51.100.2"})
        v.push_back(Bounce(ip, "Undelivered Mail Returned", s, "mx" + std::to_string(i)));
    }
    return v;
  };
  EXPECT_TRUE(RunFleet(o, false, 240, send).empty());
  const auto d = RunFleet(o, true, 240, send);
  bool subject = false;
  for (const auto& x : d) subject |= x.kind == Decision::Kind::kSubject;
  EXPECT_TRUE(subject);
}

// Our own relays handing in their NDRs to our users are no source of a
// subject's flood (helper-68), fleet-wide too: the mailbox server's agent
// published them as sources and the MX's took them, and the standard NDR
// subject was blocked on every agent (helper-152 F1). Neither the agent that
// knows them for ours publishes them, nor one that knows them takes them.
TEST(FleetCounts, OurOwnRelaysAreNoSourcesOfASubjectFleetWide) {
  DetectorOptions o;
  o.never_counted = {*Cidr::Parse("10.0.0.0/8")};
  const std::string subject = "Undelivered Mail Returned to Sender";
  FloodDetector mbox(o);
  std::vector<Decision> out;
  for (int s = 0; s < 60; ++s)
    mbox.OnRecord(Bounce(s % 2 ? "10.0.0.5" : "10.0.0.6", subject, s, "mbox"), &out);
  ASSERT_TRUE(out.empty()) << "our relays are no flood here";
  const TimeUs now = kT0 + 60 * kUsPerSecond;
  const std::vector<WindowCount> published = mbox.FleetCounts(now);
  for (const WindowCount& c : published)
    EXPECT_NE(c.key.rfind("c\t", 0), 0u) << "a source of ours published: " << c.key;
  // The MX knows our relays (the same allowlist); a second one does not.
  FloodDetector mx1(o), mx2(DetectorOptions{});
  std::vector<WindowCount> as_if_published = published;  // an older agent's rows
  for (int s = 0; s < 60; ++s)
    as_if_published.push_back(
        {"", "c\t" + NormalizeSubject(subject) + (s % 2 ? "\t10.0.0.5" : "\t10.0.0.6"),
         kT0 + s * kUsPerSecond, 1});
  mx1.SetFleetCounts(as_if_published);
  mx2.SetFleetCounts(published);
  for (int i = 0; i < 2; ++i) {
    const std::string ip = "198.51.100." + std::to_string(i + 1);
    mx1.OnRecord(Bounce(ip, subject, 61 + i, "mx1"), &out);
    mx2.OnRecord(Bounce(ip, subject, 61 + i, "mx2"), &out);
  }
  EXPECT_TRUE(out.empty()) << out.size() << " decision(s), the first on " << out[0].key;
}

// One IPv6 address flooding two MXes, 12 bounces on each (20 is the rate):
// the address is decided, not its /64 (helper-153 F1: CheckFleet decided the
// /64 key the other agent published, and every host of it was refused).
TEST(FleetCounts, OneIpv6AddressOverTwoMxesBlocksTheAddressNotItsSlashSixtyFour) {
  DetectorOptions o;
  FloodDetector mx1(o), mx2(o);
  std::vector<Decision> out;
  for (int s = 0; s < 12; ++s) {
    mx1.OnRecord(Bounce("2001:db8:bad:1::7", "x", s * 4, "mx1"), &out);
    mx2.OnRecord(Bounce("2001:db8:bad:1::7", "x", s * 4 + 1, "mx2"), &out);
  }
  ASSERT_TRUE(out.empty());
  const TimeUs now = kT0 + 50 * kUsPerSecond;
  mx1.SetFleetCounts(mx2.FleetCounts(now));
  mx1.CheckFleet(now, "mx1", &out);
  mx1.OnRecord(Bounce("2001:db8:bad:1::7", "x", 51, "mx1"), &out);
  std::vector<std::string> keys;
  for (const Decision& d : out) keys.push_back(d.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"2001:db8:bad:1::7"}));
}

TEST(FleetCounts, TheOthersCountsDecideWithoutWaitingForTheNextBounceHere) {
  DetectorOptions o;
  FloodDetector here(o), there(o);
  std::vector<Decision> out;
  for (int s = 0; s < 8; ++s) here.OnRecord(Bounce("192.0.2.50", "x", s * 5, "mx1"), &out);
  for (int s = 0; s < 12; ++s) there.OnRecord(Bounce("192.0.2.50", "x", s * 4, "mx2"), &out);
  ASSERT_TRUE(out.empty());
  const TimeUs now = kT0 + 50 * kUsPerSecond;
  here.SetFleetCounts(there.FleetCounts(now));
  here.CheckFleet(now, "mx1", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "192.0.2.50");
  EXPECT_EQ(out[0].at, now);
  out.clear();
  here.CheckFleet(now + kUsPerSecond, "mx1", &out);
  EXPECT_TRUE(out.empty()) << "decided once";
  // Counts that left the window decide nothing.
  FloodDetector later(o);
  for (int s = 0; s < 8; ++s) later.OnRecord(Bounce("192.0.2.50", "x", s * 5, "mx1"), &out);
  later.SetFleetCounts(there.FleetCounts(now));
  later.CheckFleet(now + 120 * kUsPerSecond, "mx1", &out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace mailtrail
