// The logger (base/log.h): one printable, bounded line per message whatever
// it is given; escaped text passes unchanged; one rate limiter per key.
#include "base/log.h"

#include <gtest/gtest.h>

#include "base/text.h"
#include "tests/support/capture_logger.h"
#include "tests/support/fake_clock.h"

namespace mailtrail {
namespace {

TEST(Log, AMessageIsOnePrintableLineWhateverItHolds) {
  EXPECT_EQ(OneLogLine("forged\nmailtrail: block ip 1.2.3.4"),
            "forged\\x0amailtrail: block ip 1.2.3.4");
  EXPECT_EQ(OneLogLine("caf\xc3\xa9\r\x7f"), "caf\\xc3\\xa9\\x0d\\x7f");
  EXPECT_EQ(OneLogLine(std::string(50, 'a'), 10), "aaaaaaaaaa...");
}

TEST(Log, EscapedTextPassesUnchanged) {
  const std::string untrusted = "back\\slash \x01 \xff tab\t";
  const std::string escaped = EscapeForLog(untrusted);
  EXPECT_EQ(OneLogLine(escaped), escaped);
}

TEST(Log, StderrLinesCarryThePrefixAndTheClocksTimeWhenGiven) {
  EXPECT_EQ(StderrLogger().Format("queue: x\ny"), "mailtrail: queue: x\\x0ay");
  EXPECT_EQ(StderrLogger("mailtrail web").Format("serving"), "mailtrail web: serving");
  const FakeClock clock(1'800'000'000LL * kUsPerSecond);
  EXPECT_EQ(StderrLogger("mailtrail", &clock).Format("started"),
            FormatRfc3339(clock.WallNow()) + " mailtrail: started");
}

TEST(Log, EachKeyHasItsOwnLimitPerPeriod) {
  CaptureLogger log;
  const TimeUs t0 = 1000 * kUsPerSecond;
  EXPECT_TRUE(log.Limited(LogLevel::kWarn, "queue", "one", t0));
  EXPECT_FALSE(log.Limited(LogLevel::kWarn, "queue", "two", t0 + 59 * kUsPerSecond));
  EXPECT_TRUE(log.Limited(LogLevel::kWarn, "other", "three", t0 + 59 * kUsPerSecond));
  EXPECT_TRUE(log.Limited(LogLevel::kWarn, "queue", "four", t0 + 60 * kUsPerSecond));
  EXPECT_EQ(log.lines(), (std::vector<std::string>{"one", "three", "four"}));
  EXPECT_EQ(log.levels().at(0), LogLevel::kWarn);
}

TEST(Log, TheLastLineOfAFullPeriodSaysTheRestAreCounted) {
  CaptureLogger log;
  const RateLimit three{3, 60 * kUsPerSecond, /*say_when_full=*/true};
  for (int i = 0; i < 5; ++i)
    log.Limited(LogLevel::kInfo, "refused", "refused " + std::to_string(i), i * kUsPerSecond,
                three);
  EXPECT_EQ(log.lines(), (std::vector<std::string>{
                             "refused 0", "refused 1",
                             "refused 2; further ones this minute are counted, not said"}));
  // A new period: said again.
  EXPECT_TRUE(log.Limited(LogLevel::kInfo, "refused", "refused 5", 61 * kUsPerSecond, three));
}

}  // namespace
}  // namespace mailtrail
