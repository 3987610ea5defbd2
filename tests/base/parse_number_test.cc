#include "base/parse_number.h"

#include <gtest/gtest.h>

namespace mailtrail {
namespace {

TEST(ParseInteger, TakesTheWholeTextInRange) {
  int64_t v = 7;
  EXPECT_TRUE(ParseInteger("2026", 1970, 9999, &v));
  EXPECT_EQ(v, 2026);
  EXPECT_TRUE(ParseInteger("-5", -10, 10, &v));
  EXPECT_EQ(v, -5);
  EXPECT_TRUE(ParseInteger("9223372036854775807", 0, INT64_MAX, &v));
  EXPECT_EQ(v, INT64_MAX);
}

TEST(ParseInteger, RefusesAnythingElseAndLeavesTheOutput) {
  for (const char* bad : {"", "20x6", "x", " 12", "12 ", "+12", "1e3", "0x10", "12.0",
                          "9223372036854775808", "-", "--1"}) {
    int64_t v = 7;
    EXPECT_FALSE(ParseInteger(bad, INT64_MIN, INT64_MAX, &v)) << bad;
    EXPECT_EQ(v, 7) << bad;
  }
  int64_t v = 7;
  EXPECT_FALSE(ParseInteger("1969", 1970, 9999, &v));
  EXPECT_FALSE(ParseInteger("10000", 1970, 9999, &v));
  EXPECT_EQ(v, 7);
}

TEST(ParseDuration, UnitsAndBareNumbers) {
  TimeUs v = 0;
  const TimeUs max = INT64_MAX;
  EXPECT_TRUE(ParseDuration("250ms", DurationUnit::kNone, 0, max, &v));
  EXPECT_EQ(v, 250'000);
  EXPECT_TRUE(ParseDuration("90s", DurationUnit::kNone, 0, max, &v));
  EXPECT_EQ(v, 90 * kUsPerSecond);
  EXPECT_TRUE(ParseDuration("30m", DurationUnit::kNone, 0, max, &v));
  EXPECT_EQ(v, 1800 * kUsPerSecond);
  EXPECT_TRUE(ParseDuration("1h", DurationUnit::kNone, 0, max, &v));
  EXPECT_EQ(v, 3600 * kUsPerSecond);
  EXPECT_TRUE(ParseDuration("2d", DurationUnit::kNone, 0, max, &v));
  EXPECT_EQ(v, 2 * 86400 * kUsPerSecond);
  EXPECT_TRUE(ParseDuration("30", DurationUnit::kDays, 0, max, &v));
  EXPECT_EQ(v, 30 * 86400 * kUsPerSecond);
  EXPECT_TRUE(ParseDuration("1000", DurationUnit::kMilliseconds, 0, max, &v));
  EXPECT_EQ(v, kUsPerSecond);
}

TEST(ParseDuration, RefusesMalformedNegativeAndOutOfRange) {
  const TimeUs max = INT64_MAX;
  for (const char* bad :
       {"", "h", "1", "-1h", "1x", "1 h", "1hh", "1.5h", "h1", "99999999999999d"}) {
    TimeUs v = 7;
    EXPECT_FALSE(ParseDuration(bad, DurationUnit::kNone, 0, max, &v)) << bad;
    EXPECT_EQ(v, 7) << bad;
  }
  TimeUs v = 7;
  EXPECT_FALSE(ParseDuration("0s", DurationUnit::kNone, 1, max, &v));
  EXPECT_FALSE(ParseDuration("31d", DurationUnit::kNone, 1, 30 * 86400 * kUsPerSecond, &v));
  EXPECT_EQ(v, 7);
}

}  // namespace
}  // namespace mailtrail
