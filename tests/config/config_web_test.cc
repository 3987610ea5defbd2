// [web]: every setting of `mailtrail web` as a key, each checked alone (at its
// own line) and together (at [web]'s line) by the rules the flags obey
// (agent/web/web_settings.h).
#include <gtest/gtest.h>

#include "agent/config/config.h"

namespace mailtrail {
namespace {

TEST(ConfigWeb, EverySettingIsRead) {
  auto c = ParseConfig(
      "[web]\n"
      "listen = \"0.0.0.0:8025\"\n"
      "auth_file = \"/etc/mailtrail/web-users\"\n"
      "proxy_header = \"X-Remote-User\"\n"
      "trusted_proxy = [\"127.0.0.2/32\", \"2001:db8::/64\"]\n"
      "proxy_operators = [\"olga\", \"ops@example.test\"]\n"
      "exports_per_minute = 3\n"
      "mmap_mb = 0\n"
      "writes = true\n"
      "audit = \"/var/lib/mailtrail/audit.db\"\n",
      "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->web.listen, "0.0.0.0:8025");
  EXPECT_EQ(c->web.auth_file, "/etc/mailtrail/web-users");
  EXPECT_EQ(c->web.proxy_header, "X-Remote-User");
  EXPECT_EQ(c->web.trusted_proxy, (std::vector<std::string>{"127.0.0.2/32", "2001:db8::/64"}));
  EXPECT_EQ(c->web.proxy_operators, (std::vector<std::string>{"olga", "ops@example.test"}));
  EXPECT_EQ(c->web.exports_per_minute, 3);
  EXPECT_EQ(c->web.mmap_mb, 0);
  EXPECT_TRUE(c->web.writes);
  EXPECT_EQ(c->web.audit, "/var/lib/mailtrail/audit.db");
}

TEST(ConfigWeb, TheDefaultsServeNothingAndWriteNothing) {
  auto c = ParseConfig("[web]\n", "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->web.listen, "");
  EXPECT_EQ(c->web.exports_per_minute, 20);
  EXPECT_EQ(c->web.mmap_mb, 2048);
  EXPECT_FALSE(c->web.writes);
  EXPECT_TRUE(c->web.trusted_proxy.empty());
}

TEST(ConfigWeb, AProxyAloneIsAuthenticationEnoughForWritesAndAWideListen) {
  auto c = ParseConfig(
      "[web]\nlisten = \"[::]:8025\"\nproxy_header = \"X-User\"\ntrusted_proxy = [\"::1\"]\n"
      "writes = true\naudit = \"a.db\"\n",
      "t.toml");
  EXPECT_TRUE(c.ok()) << c.status().message();
}

TEST(ConfigWeb, MistakesAreRefusedWithTheRuleAndTheLine) {
  const struct {
    const char* text;
    const char* want;
  } kCases[] = {
      // Each key alone, at its own line.
      {"[web]\nlisten = \"localhost:8025\"\n", "t.toml:2: listen (--listen) wants IP:PORT"},
      {"[web]\nlisten = \"127.0.0.1\"\n", "t.toml:2: listen (--listen) wants IP:PORT"},
      {"[web]\nproxy_header = \"X Remote\"\ntrusted_proxy = [\"127.0.0.1\"]\n",
       "t.toml:2: proxy_header (--proxy-header): letters, digits and '-'"},
      {"[web]\nproxy_header = \"X-U\"\ntrusted_proxy = [\"127.0.0.1\", \"proxy.example\"]\n",
       "t.toml:3: trusted_proxy (--trusted-proxy): not an address or network: proxy.example"},
      {"[web]\nproxy_header = \"X-U\"\ntrusted_proxy = [\"10.0.0.0/33\"]\n",
       "t.toml:3: trusted_proxy (--trusted-proxy): not an address or network: 10.0.0.0/33"},
      {"[web]\ntrusted_proxy = \"127.0.0.1\"\n",
       "t.toml:2: trusted_proxy must be a list of strings"},
      {"[web]\nproxy_header = \"X-U\"\ntrusted_proxy = [\"::1\"]\nproxy_operators = [\"a b\"]\n",
       "t.toml:4: proxy_operators (--proxy-operators): not a user name: a b"},
      {"[web]\nexports_per_minute = 0\n", "t.toml:2: exports_per_minute must be an integer from 1"},
      {"[web]\nmmap_mb = -1\n", "t.toml:2: mmap_mb must be an integer from 0"},
      {"[web]\nwrites = \"yes\"\n", "t.toml:2: writes must be true or false"},
      {"[web]\nwrite = true\n", "t.toml:2: unknown key 'write' in [web]"},
      // The rules between them, at [web]'s line.
      {"\n[web]\nlisten = \"0.0.0.0:8025\"\n",
       "t.toml:2: refusing to listen on 0.0.0.0:8025: not a loopback address and no "
       "authentication is configured"},
      {"[web]\nlisten = \"192.0.2.10:80\"\ntrusted_proxy = [\"::1\"]\n",
       "t.toml:1: trusted_proxy and proxy_operators (--trusted-proxy, --proxy-operators) need "
       "proxy_header"},
      {"[web]\nproxy_header = \"X-U\"\n",
       "t.toml:1: a proxy header needs the proxies' addresses (trusted_proxy, --trusted-proxy)"},
      {"[web]\nproxy_operators = [\"olga\"]\n", "t.toml:1: trusted_proxy and proxy_operators"},
      {"[web]\nwrites = true\naudit = \"a.db\"\n",
       "t.toml:1: writes (--writes) need auth_file or proxy_header"},
      {"[web]\nwrites = true\nauth_file = \"users\"\n",
       "t.toml:1: writes (--writes) need audit (--audit FILE)"},
  };
  for (const auto& k : kCases) {
    auto c = ParseConfig(k.text, "t.toml");
    ASSERT_FALSE(c.ok()) << k.text;
    EXPECT_EQ(c.status().message().rfind(k.want, 0), 0u)
        << "got " << c.status().message() << ", want " << k.want;
  }
}

TEST(ConfigWeb, ANonLoopbackListenWithAuthenticationIsAccepted) {
  auto c = ParseConfig("[web]\nlisten = \"0.0.0.0:8025\"\nauth_file = \"users\"\n", "t.toml");
  EXPECT_TRUE(c.ok()) << c.status().message();
}

}  // namespace
}  // namespace mailtrail
