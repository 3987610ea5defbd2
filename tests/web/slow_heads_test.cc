// SlowHeads (agent/web/slow_heads.h): each client's share of connections
// waiting for a slow head.
#include "agent/web/slow_heads.h"

#include <gtest/gtest.h>

#include "agent/web/bounded_server.h"

namespace mailtrail::web {
namespace {

TEST(SlowHeads, EachClientWaitsForItsShareAndNoMore) {
  SlowHeads heads(2, 100);
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
  SlowHeads heads(0, 100);
  EXPECT_FALSE(heads.Enter("192.0.2.1"));
  EXPECT_EQ(heads.waiting("192.0.2.1"), 0u);
}

TEST(SlowHeads, AnIpv6HostIsCountedByItsSlash64) {
  EXPECT_EQ(SlowHeadClient("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(SlowHeadClient("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(SlowHeadClient("2001:db8:1:2::1"), SlowHeadClient("2001:db8:1:2:ffff::9"));
  EXPECT_NE(SlowHeadClient("2001:db8:1:2::1"), SlowHeadClient("2001:db8:1:3::1"));
  EXPECT_EQ(SlowHeadClient("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(SlowHeadClient(""), "");
}

// Several addresses together: at most their share in all, so that whole
// requests still find workers (four addresses held all eight: helper-77).
TEST(SlowHeads, AllClientsTogetherWaitForTheirShare) {
  SlowHeads heads(2, 6);
  for (const char* c : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
    EXPECT_TRUE(heads.Enter(c));
    EXPECT_TRUE(heads.Enter(c));
  }
  EXPECT_FALSE(heads.Enter("127.0.0.5")) << "a fourth address, over the share in all";
  EXPECT_EQ(heads.waiting("127.0.0.5"), 0u);
  heads.Leave("127.0.0.2");
  EXPECT_TRUE(heads.Enter("127.0.0.5"));
}

TEST(SlowHeads, RoomIsWhatEnterWouldFind) {
  SlowHeads heads(2, 3);
  EXPECT_TRUE(heads.HasRoom("192.0.2.1"));
  ASSERT_TRUE(heads.Enter("192.0.2.1"));
  ASSERT_TRUE(heads.Enter("192.0.2.1"));
  EXPECT_FALSE(heads.HasRoom("192.0.2.1")) << "its share taken";
  EXPECT_TRUE(heads.HasRoom("192.0.2.2"));
  ASSERT_TRUE(heads.Enter("192.0.2.2"));
  EXPECT_FALSE(heads.HasRoom("192.0.2.3")) << "all clients' share taken";
  heads.Leave("192.0.2.1");
  EXPECT_TRUE(heads.HasRoom("192.0.2.1"));
  EXPECT_EQ(heads.waiting("192.0.2.3"), 0u) << "asking counts nothing";
}

// A client that may not wait for another slow head has a short grace: it
// would be refused after the grace anyway, and one reconnecting as fast as
// it was refused held a worker for the whole grace each time (200 ms).
// A trusted proxy's connections are never slow heads of their own.
TEST(HeadBoundedServer, AClientWithoutRoomForASlowHeadHasAShortGrace) {
  HeadLimits limits;
  limits.slow_per_client = 1;
  limits.slow_in_all = 6;
  ProxyAuth proxy;
  proxy.header = "X-Remote-User";
  proxy.trusted = {*Cidr::Parse("127.0.0.9/32")};
  HeadBoundedServer server(limits, &proxy);
  EXPECT_EQ(server.GraceFor("127.0.0.2"), limits.grace_ms);
  EXPECT_EQ(server.GraceFor("2001:db8::1"), limits.grace_ms);
  EXPECT_EQ(server.GraceFor("127.0.0.9"), limits.grace_ms);
  HeadLimits none = limits;
  none.slow_per_client = 0;
  HeadBoundedServer full(none, &proxy);
  EXPECT_EQ(full.GraceFor("127.0.0.2"), none.grace_when_full_ms);
  EXPECT_EQ(full.GraceFor("2001:db8::1"), none.grace_when_full_ms);
  EXPECT_EQ(full.GraceFor("127.0.0.9"), none.grace_ms) << "the trusted proxy";
  EXPECT_LT(none.grace_when_full_ms, none.grace_ms);
}

}  // namespace
}  // namespace mailtrail::web
