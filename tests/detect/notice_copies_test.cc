// NoticeCopies: one notice in two of our logs, by its Message-ID, for
// kKeep of log time, in bounded memory.
#include "agent/detect/notice_copies.h"

#include <gtest/gtest.h>

#include <string>

namespace mailtrail {
namespace {

constexpr TimeUs kT0 = 1795780000LL * kUsPerSecond;

TEST(NoticeCopies, OursAreOneNoticeWithEachOtherAndWithOneFromOutside) {
  NoticeCopies c;
  EXPECT_FALSE(c.SeenFromTheOtherSide("a@x", /*ours=*/false, kT0));
  EXPECT_FALSE(c.SeenFromTheOtherSide("a@x", false, kT0 + 1)) << "two outside copies are two";
  EXPECT_TRUE(c.SeenFromTheOtherSide("a@x", true, kT0 + kUsPerSecond)) << "our MX's copy";
  EXPECT_TRUE(c.SeenFromTheOtherSide("a@x", true, kT0 + kUsPerSecond)) << "a second hop of ours";
  // One copy of ours does not make every later outside copy one (helper-115).
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(c.SeenFromTheOtherSide("a@x", false, kT0 + 3 * kUsPerSecond)) << i;
  // Ours first: the other hops of ours and one outside copy are it.
  EXPECT_FALSE(c.SeenFromTheOtherSide("m@x", true, kT0));
  EXPECT_TRUE(c.SeenFromTheOtherSide("m@x", true, kT0 + 1));
  EXPECT_TRUE(c.SeenFromTheOtherSide("m@x", false, kT0 + 2));
  EXPECT_FALSE(c.SeenFromTheOtherSide("m@x", false, kT0 + 3)) << "a forger's second";
  EXPECT_FALSE(c.SeenFromTheOtherSide("", true, kT0)) << "no Message-ID, no copy";
  EXPECT_FALSE(c.SeenFromTheOtherSide("b@x", true, kT0));
  EXPECT_FALSE(c.SeenFromTheOtherSide("b@x", false, kT0 + NoticeCopies::kKeep + 2))
      << "forgotten after kKeep";
  EXPECT_FALSE(c.SeenFromTheOtherSide("d@x", true, kT0));
  EXPECT_FALSE(c.SeenFromTheOtherSide("e@x", true, kT0 + NoticeCopies::kKeep + 1));
  EXPECT_FALSE(c.SeenFromTheOtherSide("d@x", false, kT0 + 14 * 60 * kUsPerSecond))
      << "older than kKeep though not swept yet";
  // Noted again, an id is kept from its last note.
  EXPECT_FALSE(c.SeenFromTheOtherSide("c@x", false, kT0));
  EXPECT_FALSE(c.SeenFromTheOtherSide("c@x", false, kT0 + NoticeCopies::kKeep));
  EXPECT_TRUE(c.SeenFromTheOtherSide("c@x", true, kT0 + NoticeCopies::kKeep + 10));
}

TEST(NoticeCopies, MemoryIsBounded) {
  NoticeCopies c;
  for (size_t i = 0; i < NoticeCopies::kMax + 5000; ++i)
    c.SeenFromTheOtherSide("id" + std::to_string(i), i % 2 == 0, kT0 + static_cast<TimeUs>(i));
  EXPECT_LE(c.remembered(), NoticeCopies::kMax + 1);
  EXPECT_GT(c.remembered(), NoticeCopies::kMax / 2);
  // id kMax + 4000 was noted as ours (an even number): its outside copy.
  EXPECT_TRUE(c.SeenFromTheOtherSide("id" + std::to_string(NoticeCopies::kMax + 4000), false,
                                     kT0 + static_cast<TimeUs>(NoticeCopies::kMax + 5000)))
      << "the newest are kept";
}

}  // namespace
}  // namespace mailtrail
