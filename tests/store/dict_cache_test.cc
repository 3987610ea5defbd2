#include "agent/store/dict_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace mailtrail {
namespace {

TEST(DictCache, FindsWhatItHoldsAndNothingElse) {
  DictCache c(4);
  c.Insert("a@x", 1);
  c.Insert("b@x", 2);
  EXPECT_EQ(c.Find("a@x"), 1);
  EXPECT_EQ(c.Find("b@x"), 2);
  EXPECT_EQ(c.Find("c@x"), 0);
  EXPECT_FALSE(c.dropped());
}

TEST(DictCache, HotEntriesSurviveGenerationTurnovers) {
  DictCache c(4);
  c.Insert("hot", 99);
  for (int i = 0; i < 100; ++i) {
    c.Insert("cold" + std::to_string(i), i + 1);
    ASSERT_EQ(c.Find("hot"), 99) << "after " << i;  // a hit in the old generation promotes it
  }
  EXPECT_TRUE(c.dropped());
  EXPECT_LE(c.size(), 8u);
  EXPECT_EQ(c.Find("cold0"), 0);
}

TEST(DictCache, BloomFilterNeverForgetsAndRarelyLies) {
  DictCache c(16);
  for (int i = 0; i < 1000; ++i) c.Insert("seen" + std::to_string(i), i + 1);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(c.MaybeSeen("seen" + std::to_string(i)));
  int false_positives = 0;
  for (int i = 0; i < 100000; ++i) false_positives += c.MaybeSeen("new" + std::to_string(i));
  EXPECT_LT(false_positives, 100);  // 2 bits of 8M set per text: ~0 expected at this fill
  c.Clear();
  EXPECT_FALSE(c.MaybeSeen("seen1"));
  EXPECT_FALSE(c.dropped());
}

}  // namespace
}  // namespace mailtrail
