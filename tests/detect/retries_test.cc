// Retries of notices refused for now count once (agent/detect/retries.cc):
// a block's 450 or greylisting makes the sending MTA send them again, and the
// wave that came when a block ended was taken for a new flood (helper-134
// F2; the whole sender is played in tests/detect/retry_waves.py).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/detect/flood_detector.h"
#include "tests/support/bounce_record.h"

namespace mailtrail {
namespace {

// Bounce `i` from `ip` at `at` seconds, refused at RCPT with 450 (NOQUEUE).
MessageRecord Refused(const std::string& ip, double at) {
  MessageRecord r = Bounce(ip, "x", at);
  r.qid.clear();
  r.subject.reset();
  r.reject = RejectInfo{"reject", "RCPT", 450, "4.7.1", "Service temporarily unavailable"};
  return r;
}

TEST(Retries, ARefusedBurstSentAgainIsNoNewFlood) {
  FloodDetector d;
  std::vector<Decision> out;
  // 30 bounces in 60 s: blocked at the 20th; the other 10 refused.
  for (int i = 0; i < 30; ++i) {
    if (i < 20) {
      d.OnRecord(Bounce("192.0.2.50", "Undelivered Mail Returned to Sender", i * 2.0), &out);
    } else {
      d.OnRecord(Refused("192.0.2.50", i * 2.0), &out);
    }
  }
  ASSERT_EQ(out.size(), 1u);
  // Refused again at 300 s (a retry: no more credits than one gap's worth).
  for (int i = 20; i < 30; ++i) d.OnRecord(Refused("192.0.2.50", 300 + i * 2.0), &out);
  EXPECT_EQ(d.bounces(), 40);
  // The block ended and was decided again: the ten come back within a
  // minute, with ten genuinely new ones. The ten are retries; the new ones
  // count, and twenty are not reached.
  d.NotTaken(out[0], 0);
  out.clear();
  for (int i = 0; i < 20; ++i)
    d.OnRecord(Bounce("192.0.2.50", "Undelivered Mail Returned to Sender", 3700 + i * 2.0), &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.retries(), 10);
  EXPECT_EQ(d.bounces(), 50);
  // The flood goes on: its next ones count, and it is blocked again.
  for (int i = 20; i < 40; ++i)
    d.OnRecord(Bounce("192.0.2.50", "Undelivered Mail Returned to Sender", 3700 + i * 2.0), &out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(Retries, CreditsLastTwoHoursAfterTheLastRefusalAndStayWithTheirSource) {
  FloodDetector d;
  std::vector<Decision> out;
  for (int i = 0; i < 5; ++i) d.OnRecord(Refused("192.0.2.50", i), &out);
  d.OnRecord(Bounce("198.51.100.1", "s", 10), &out);  // another source: no credit of these
  EXPECT_EQ(d.retries(), 0);
  d.OnRecord(Bounce("192.0.2.50", "s", 7000), &out);
  EXPECT_EQ(d.retries(), 1);
  d.OnRecord(Bounce("192.0.2.50", "s", 4 + FloodDetector::kRetryHorizon / kUsPerSecond + 1), &out);
  EXPECT_EQ(d.retries(), 1) << "past the horizon";
}

// Greylisting: each notice is refused once and accepted later: it counted
// twice; now once.
TEST(Retries, AGreylistedNoticeCountsOnce) {
  FloodDetector d;
  std::vector<Decision> out;
  for (int i = 0; i < 12; ++i) d.OnRecord(Refused("192.0.2.60", i * 5.0), &out);
  for (int i = 0; i < 12; ++i)
    d.OnRecord(Bounce("192.0.2.60", "Undelivered Mail Returned to Sender", 400 + i * 5.0), &out);
  EXPECT_EQ(d.bounces(), 12);
  EXPECT_EQ(d.retries(), 12);
}

TEST(Retries, TheStateKeepsTheCredits) {
  FloodDetector d;
  std::vector<Decision> out;
  for (int i = 0; i < 3; ++i) d.OnRecord(Refused("192.0.2.50", i), &out);
  FloodDetector restarted;
  ASSERT_TRUE(restarted.LoadState(d.SaveState()).ok());
  for (int i = 0; i < 4; ++i) restarted.OnRecord(Bounce("192.0.2.50", "s", 600 + i), &out);
  EXPECT_EQ(restarted.retries(), 3);
  EXPECT_EQ(restarted.bounces(), 4);
}

}  // namespace
}  // namespace mailtrail
