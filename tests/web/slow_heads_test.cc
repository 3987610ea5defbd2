// SlowHeads (agent/web/slow_heads.h): each client's share of connections
// waiting for a slow head.
#include "agent/web/slow_heads.h"

#include <gtest/gtest.h>

namespace mailtrail::web {
namespace {

TEST(SlowHeads, EachClientWaitsForItsShareAndNoMore) {
  SlowHeads heads(2);
  EXPECT_TRUE(heads.Enter("192.0.2.1"));
  EXPECT_TRUE(heads.Enter("192.0.2.1"));
  EXPECT_FALSE(heads.Enter("192.0.2.1")) << "a third slow head of one client";
  EXPECT_TRUE(heads.Enter("192.0.2.2")) << "another client has its own share";
  EXPECT_EQ(heads.waiting("192.0.2.1"), 2u);
  heads.Leave("192.0.2.1");
  EXPECT_TRUE(heads.Enter("192.0.2.1")) << "one left: room for one";
  heads.Leave("192.0.2.1");
  heads.Leave("192.0.2.1");
  heads.Leave("192.0.2.2");
  EXPECT_EQ(heads.waiting("192.0.2.1"), 0u);
  heads.Leave("192.0.2.9");  // never entered: nothing happens
  EXPECT_EQ(heads.waiting("192.0.2.9"), 0u);
}

TEST(SlowHeads, NoneWithAShareOfZero) {
  SlowHeads heads(0);
  EXPECT_FALSE(heads.Enter("192.0.2.1"));
  EXPECT_EQ(heads.waiting("192.0.2.1"), 0u);
}

}  // namespace
}  // namespace mailtrail::web
