// AmavisParts: a task's parts joined in order, by host, pid and task;
// bounded; a part without its first, or a first part again, drops the task.
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

TEST(AmavisParts, HeldTasksAndLinesAreBounded) {
  AmavisParts p;
  std::string whole;
  for (uint32_t pid = 0; pid < AmavisParts::kMaxTasks + 10; ++pid)
    p.Take(Part(SplitPart::kFirst, "x", 0, pid), &whole);
  EXPECT_EQ(p.held(), AmavisParts::kMaxTasks);
  EXPECT_EQ(p.dropped(), 10);
  // Old ones make room for a new one.
  p.Take(Part(SplitPart::kFirst, "x", AmavisParts::kMaxAge + 1, 100000), &whole);
  EXPECT_EQ(p.held(), 1u);
  // A last part after kMaxAge, or past kMaxBytes, is dropped with its task.
  EXPECT_FALSE(p.Take(Part(SplitPart::kLast, "y", 3 * AmavisParts::kMaxAge, 100000), &whole));
  const std::string big(AmavisParts::kMaxBytes, 'r');
  p.Take(Part(SplitPart::kFirst, "x", 0, 7), &whole);
  EXPECT_FALSE(p.Take(Part(SplitPart::kLast, big, 0, 7), &whole));
  EXPECT_EQ(p.held(), 0u);
}

}  // namespace
}  // namespace mailtrail
