// AmavisParts: a line's parts joined in order, one line per process;
// bounded; a part without its first, a first part again, or another record
// of the process between its parts drops the line.
#include "agent/track/amavis_parts.h"

#include <gtest/gtest.h>

#include <string>

namespace mailtrail {
namespace {

Event Part(SplitPart split, std::string_view text, TimeUs at = 0, uint32_t pid = 9,
           std::string_view task = "9-01") {
  Event ev;
  ev.kind = EventKind::kAmavisPart;
  ev.host = "mx";
  ev.pid = pid;
  ev.task = task;
  ev.split = split;
  ev.text = text;
  ev.time = at;
  return ev;
}

TEST(AmavisParts, ThreePartsMakeTheWholeLine) {
  AmavisParts p;
  std::string whole;
  EXPECT_FALSE(p.Take(Part(SplitPart::kFirst, "Passed CLEAN, <a> -> <b"), &whole));
  EXPECT_FALSE(p.Take(Part(SplitPart::kFirst, "other", 0, 10), &whole)) << "another process";
  EXPECT_FALSE(p.Take(Part(SplitPart::kMiddle, ">,<c"), &whole));
  EXPECT_TRUE(p.Take(Part(SplitPart::kLast, ">, Queue-ID: Q1"), &whole));
  EXPECT_EQ(whole, "(9-01) Passed CLEAN, <a> -> <b>,<c>, Queue-ID: Q1");
  EXPECT_EQ(p.held(), 1u);
  EXPECT_EQ(p.dropped(), 0);
}

TEST(AmavisParts, APartWithoutItsFirstOrAFirstAgainDropsTheTask) {
  AmavisParts p;
  std::string whole;
  EXPECT_FALSE(p.Take(Part(SplitPart::kLast, "...a forged line"), &whole));
  EXPECT_EQ(p.dropped(), 1);
  EXPECT_FALSE(p.Take(Part(SplitPart::kFirst, "one"), &whole));
  EXPECT_FALSE(p.Take(Part(SplitPart::kFirst, "two"), &whole));
  EXPECT_EQ(p.dropped(), 2) << "the first task's parts";
  EXPECT_TRUE(p.Take(Part(SplitPart::kLast, " end"), &whole));
  EXPECT_EQ(whole, "(9-01) two end");
}

TEST(AmavisParts, HeldLinesAndTheirBytesAreBounded) {
  AmavisParts p;
  std::string whole;
  for (uint32_t pid = 0; pid < AmavisParts::kMaxHeld + 10; ++pid)
    p.Take(Part(SplitPart::kFirst, "x", pid, pid), &whole);
  EXPECT_EQ(p.held(), AmavisParts::kMaxHeld);
  EXPECT_EQ(p.dropped(), 10) << "the oldest went";
  EXPECT_TRUE(p.Take(Part(SplitPart::kLast, "y", 300, 265), &whole)) << "the newest stayed";
  EXPECT_FALSE(p.Take(Part(SplitPart::kLast, "y", 300, 0), &whole)) << "the oldest went";
  // A last part after kMaxAge, or past kMaxBytes, is dropped with its line.
  EXPECT_FALSE(p.Take(Part(SplitPart::kLast, "y", 3 * AmavisParts::kMaxAge, 100), &whole));
  const std::string big(AmavisParts::kMaxBytes, 'r');
  p.Take(Part(SplitPart::kFirst, "x", 0, 100000), &whole);
  EXPECT_FALSE(p.Take(Part(SplitPart::kLast, big, 0, 100000), &whole));
}

// helper-126 F1: a syslog daemon that folds two identical parts into
// "message repeated", or one that loses a record, left a line short of a
// part; its escapes shifted and a Queue-ID forged inside the sender's
// address was read as the line's. Any other record of the process between
// its parts drops the line, and so does a part of another task.
TEST(AmavisParts, AnotherRecordOfTheProcessBetweenItsPartsDropsTheLine) {
  AmavisParts p;
  std::string whole;
  p.Take(Part(SplitPart::kFirst, "a"), &whole);
  p.Take(Part(SplitPart::kMiddle, "b"), &whole);
  Event repeated;
  repeated.host = "mx";
  repeated.pid = 9;
  p.Interrupt(repeated);
  EXPECT_FALSE(p.Take(Part(SplitPart::kLast, "c"), &whole));
  EXPECT_EQ(p.held(), 0u);
  p.Take(Part(SplitPart::kFirst, "a"), &whole);
  EXPECT_FALSE(p.Take(Part(SplitPart::kLast, "c", 0, 9, "9-02"), &whole)) << "another task";
  EXPECT_EQ(p.dropped(), 5) << "every part not read";
}

}  // namespace
}  // namespace mailtrail
