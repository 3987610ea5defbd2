// Proxy-header authentication: believed from the trusted proxies only.
#include "agent/web/proxy_auth.h"

#include <gtest/gtest.h>

namespace mailtrail::web {
namespace {

TEST(ProxyAuth, TheHeaderCountsOnlyFromATrustedProxy) {
  auto p = ParseProxyAuth("X-Remote-User", "127.0.0.2/32,2001:db8::/64", "olga");
  ASSERT_TRUE(p.ok()) << p.status().message();
  auto who = ProxyPrincipal(*p, "127.0.0.2", std::string("vic"));
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->name, "vic");
  EXPECT_EQ(who->role, Role::kViewer);
  who = ProxyPrincipal(*p, "2001:db8::7", std::string("olga"));
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->role, Role::kOperator);
  EXPECT_FALSE(ProxyPrincipal(*p, "127.0.0.1", std::string("olga"))) << "another address";
  EXPECT_FALSE(ProxyPrincipal(*p, "192.0.2.1", std::string("vic")));
  EXPECT_FALSE(ProxyPrincipal(*p, "not-an-ip", std::string("vic")));
  EXPECT_FALSE(ProxyPrincipal(*p, "127.0.0.2", std::nullopt)) << "no header";
  EXPECT_FALSE(ProxyPrincipal(*p, "127.0.0.2", std::string(""))) << "empty";
  EXPECT_FALSE(ProxyPrincipal(*p, "127.0.0.2", std::string("a b"))) << "not printable ASCII";
  EXPECT_FALSE(ProxyPrincipal(*p, "127.0.0.2", std::string(257, 'a'))) << "too long";
}

// The slow-head count leaves the proxies out by the same test.
TEST(ProxyAuth, TrustedProxiesAreTheConfiguredNetworks) {
  auto p = ParseProxyAuth("X-Remote-User", "127.0.0.2/32,2001:db8::/64", "");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(IsTrustedProxy(*p, "127.0.0.2"));
  EXPECT_TRUE(IsTrustedProxy(*p, "2001:db8::7"));
  EXPECT_FALSE(IsTrustedProxy(*p, "127.0.0.3"));
  EXPECT_FALSE(IsTrustedProxy(*p, "2001:db8:0:1::7"));
  EXPECT_FALSE(IsTrustedProxy(*p, ""));
  EXPECT_FALSE(IsTrustedProxy(*p, "not an address"));
}

TEST(ProxyAuth, OptionsAreChecked) {
  EXPECT_FALSE(ParseProxyAuth("X-Remote-User", "", "").ok()) << "no trusted address";
  EXPECT_FALSE(ParseProxyAuth("X Remote", "127.0.0.1", "").ok());
  EXPECT_FALSE(ParseProxyAuth("X-Remote-User", "proxy.example", "").ok());
  EXPECT_FALSE(ParseProxyAuth("X-Remote-User", "127.0.0.1", "bad user").ok());
}

}  // namespace
}  // namespace mailtrail::web
