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

TEST(DictCache, GrowsAndTellsApartTextsThatShareTheirStart) {
  DictCache c(50000);
  auto text = [](int i) {  // prefixes of one another, and 8-byte-aligned lookalikes
    return std::string("user") + std::to_string(i) + "@example.org" + std::string(i % 13, 'x');
  };
  for (int i = 0; i < 20000; ++i) c.Insert(text(i), i + 1);
  c.Insert("", 777);
  c.Insert("12345678", 778);
  c.Insert("123456781", 779);
  EXPECT_EQ(c.size(), 20003u);
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(c.Find(text(i)), i + 1) << text(i);
  EXPECT_EQ(c.Find(""), 777);
  EXPECT_EQ(c.Find("12345678"), 778);
  EXPECT_EQ(c.Find("123456781"), 779);
  EXPECT_EQ(c.Find("1234567"), 0);
  EXPECT_EQ(c.Find("user1@example.or"), 0);
  EXPECT_EQ(c.Find(text(1) + "x"), 0);
  c.Insert(text(5), 12345);  // already there: keeps its id, counted once
  EXPECT_EQ(c.Find(text(5)), 6);
  EXPECT_EQ(c.size(), 20003u);
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
