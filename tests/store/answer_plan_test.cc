// PlanAnswerExchange (agent/store/answer_plan.h): presence judged by how long
// another agent's row stood still on this agent's own clock.
#include "agent/store/answer_plan.h"

#include <gtest/gtest.h>

#include <vector>

namespace mailtrail {
namespace {

constexpr TimeUs kS = kUsPerSecond;
constexpr TimeUs kT0 = 1000 * kS;  // the reader's monotonic clock at its first exchange

AnswerRequest Request(TimeUs mono_now, TimeUs window, const AnswerCursor& cursor = {}) {
  AnswerRequest r;
  r.agent = "mx";
  r.cursor = cursor;
  r.wall_now = 1795780000LL * kS;
  r.mono_now = mono_now;
  r.window = window;
  r.limit = 100;
  return r;
}

// The reader, reading `rows` at each of `times`: the last plan.
AnswerPlan ReadAt(const std::vector<TimeUs>& times, TimeUs window,
                  const std::vector<AnswerPresence>& rows, AnswerCursor* cursor) {
  AnswerPlan p;
  for (TimeUs t : times) {
    p = PlanAnswerExchange(Request(t, window, *cursor), rows);
    *cursor = p.cursor;
  }
  return p;
}

// The shortest window (60 s) is less than the refresh and the exchange
// delay: an agent writing its row each 62 s must never look gone.
TEST(AnswerPlan, TheGoneTimeIsSeveralRefreshesAtLeast) {
  AnswerCursor cursor;
  for (int i = 0; i < 10; ++i) {
    // Read as it changes, and again 60 s on, before its next change: it has
    // stood still for the window.
    const TimeUs t = kT0 + i * 62 * kS;
    const AnswerPlan p = ReadAt({t, t + 60 * kS}, 60 * kS, {{"relay", 1, 1000 + i}}, &cursor);
    ASSERT_TRUE(p.gone.empty()) << i;
    ASSERT_FALSE(p.alone) << i;
  }
  // Then it stands still: gone at three minutes from its last change.
  const TimeUs t = kT0 + 9 * 62 * kS;
  AnswerPlan p = ReadAt({t + 120 * kS, t + 179 * kS}, 60 * kS, {{"relay", 1, 1009}}, &cursor);
  EXPECT_TRUE(p.gone.empty());
  p = ReadAt({t + 180 * kS}, 60 * kS, {{"relay", 1, 1009}}, &cursor);
  ASSERT_EQ(p.gone.size(), 1u);
  EXPECT_TRUE(p.alone);
}

// A row first read is there, however old its wall time, until it stands
// still for the gone time; its read position is kept meanwhile.
TEST(AnswerPlan, ARowFirstReadIsThereUntilItStandsStill) {
  const std::vector<AnswerPresence> rows = {{"relay", 7, 1}};  // seen in 1970
  AnswerCursor cursor;
  AnswerPlan p = ReadAt({kT0}, 600 * kS, rows, &cursor);
  EXPECT_FALSE(p.alone);
  ASSERT_EQ(p.read.size(), 1u);
  EXPECT_EQ(p.read[0].after, 0);
  cursor.read["relay"] = 7;  // read all of it
  std::vector<TimeUs> minutes;
  for (int i = 1; i <= 9; ++i) minutes.push_back(kT0 + i * 60 * kS);
  p = ReadAt(minutes, 600 * kS, rows, &cursor);
  EXPECT_TRUE(p.gone.empty());
  EXPECT_EQ(cursor.heard.at("relay").stood, 540 * kS);
  p = ReadAt({kT0 + 600 * kS}, 600 * kS, rows, &cursor);
  ASSERT_EQ(p.gone.size(), 1u);
  EXPECT_EQ(p.gone[0].seq, 7);
  EXPECT_TRUE(p.read.empty());
  EXPECT_EQ(p.cursor.read.at("relay"), 7);
}

// Time not read (an outage, a restart) counts a minute at most; a clock that
// went back, nothing.
TEST(AnswerPlan, TimeNotReadCountsAMinuteAtMost) {
  const std::vector<AnswerPresence> rows = {{"relay", 7, 1}};
  AnswerCursor cursor;
  ReadAt({kT0, kT0 + 86400 * kS}, 600 * kS, rows, &cursor);
  EXPECT_EQ(cursor.heard.at("relay").stood, 60 * kS);
  ReadAt({kT0 - 3600 * kS}, 600 * kS, rows, &cursor);
  EXPECT_EQ(cursor.heard.at("relay").stood, 60 * kS);
  cursor.heard_at = 0;  // restarted: the stood times are in the state, not the clock
  ReadAt({5 * kS}, 600 * kS, rows, &cursor);
  EXPECT_EQ(cursor.heard.at("relay").stood, 60 * kS);
  ReadAt({65 * kS}, 600 * kS, rows, &cursor);
  EXPECT_EQ(cursor.heard.at("relay").stood, 120 * kS);
}

// A stood time from a broken or edited state: no overflow, and at most the
// gone time.
TEST(AnswerPlan, AHugeStoodTimeDoesNotOverflow) {
  AnswerCursor cursor;
  cursor.heard["relay"] = {1, 7, INT64_MAX - kS};
  cursor.heard_at = kT0;
  const AnswerPlan p =
      PlanAnswerExchange(Request(kT0 + 60 * kS, 600 * kS, cursor), {{"relay", 7, 1}});
  EXPECT_EQ(p.cursor.heard.at("relay").stood, 660 * kS);
  EXPECT_EQ(p.gone.size(), 1u);
}

// This agent's own row: written when new, moved on, or a minute old by the
// monotonic clock, whatever the wall clock does, always with a new value.
TEST(AnswerPlan, ItsOwnPresenceIsWrittenWhenItMustBe) {
  AnswerCursor said;
  said.said_at = kT0;
  const TimeUs wall = Request(0, 0).wall_now;
  const std::vector<AnswerPresence> me = {{"mx", 0, wall}};
  EXPECT_TRUE(PlanAnswerExchange(Request(kT0 + 59 * kS, 600 * kS), me).say_present)
      << "first after a start";
  EXPECT_TRUE(PlanAnswerExchange(Request(kT0, 600 * kS, said), {}).say_present) << "no row";
  EXPECT_FALSE(PlanAnswerExchange(Request(kT0 + 59 * kS, 600 * kS, said), me).say_present);
  AnswerPlan p = PlanAnswerExchange(Request(kT0 + 60 * kS, 600 * kS, said), me);
  EXPECT_TRUE(p.say_present);
  EXPECT_NE(p.seen, wall) << "the wall clock stood still: the row must still move";
  EXPECT_EQ(p.cursor.said_at, kT0 + 60 * kS);
  EXPECT_TRUE(PlanAnswerExchange(Request(kT0 - kS, 600 * kS, said), me).say_present);
  AnswerRequest r = Request(kT0 + kS, 600 * kS, said);
  r.mine.push_back({"", 0, "m\t1", 0, 1});
  // Alone, its rows are not written, and its row does not move.
  p = PlanAnswerExchange(r, {{"mx", 3, wall}});
  EXPECT_TRUE(p.alone);
  EXPECT_EQ(p.last, 3);
  EXPECT_FALSE(p.say_present);
  p = PlanAnswerExchange(r, {{"mx", 3, wall}, {"relay", 0, 0}});
  EXPECT_FALSE(p.alone);
  EXPECT_EQ(p.first, 3);
  EXPECT_EQ(p.last, 4);
  EXPECT_TRUE(p.say_present);
}

// Another incarnation of an agent's row (made anew: its old one was deleted,
// whoever deleted it) is read from its first row, wherever the reader
// stood; the same one is read on. A new row of this agent's own gets its
// wall clock as its incarnation; a row it has keeps its own.
TEST(AnswerPlan, AnotherIncarnationIsReadFromTheStart) {
  AnswerCursor cursor;
  cursor.read["relay"] = 1000;
  cursor.heard["relay"] = {5 * kS, 1000, 0, /*born=*/111};
  AnswerPlan p = PlanAnswerExchange(Request(kT0, 600 * kS, cursor), {{"relay", 1500, 9 * kS, 222}});
  ASSERT_EQ(p.read.size(), 1u);
  EXPECT_EQ(p.read[0].after, 0);
  EXPECT_EQ(p.cursor.heard.at("relay").born, 222);
  EXPECT_EQ(p.cursor.heard.at("relay").stood, 0);
  p = PlanAnswerExchange(Request(kT0, 600 * kS, cursor), {{"relay", 1500, 9 * kS, 111}});
  ASSERT_EQ(p.read.size(), 1u);
  EXPECT_EQ(p.read[0].after, 1000);
  const TimeUs wall = Request(0, 0).wall_now;
  EXPECT_EQ(PlanAnswerExchange(Request(kT0, 600 * kS), {}).born, wall);
  EXPECT_EQ(PlanAnswerExchange(Request(kT0, 600 * kS), {{"mx", 3, wall - kS, 77}}).born, 77);
}

}  // namespace
}  // namespace mailtrail
