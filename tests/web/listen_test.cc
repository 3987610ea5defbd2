// Where the console may listen: loopback always, elsewhere only with
// authentication; malformed addresses refused.
#include <gtest/gtest.h>

#include "agent/web/web_server.h"

namespace mailtrail::web {
namespace {

TEST(CheckListen, LoopbackAlwaysOtherAddressesOnlyWithAuthentication) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(CheckListen("127.0.0.1:8025", false, &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8025);
  ASSERT_TRUE(CheckListen("[::1]:0", false, &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_TRUE(CheckListen("127.5.6.7:8025", false, &host, &port).ok()) << "all of 127/8";
  for (const char* wide : {"0.0.0.0:8025", "[::]:8025", "192.0.2.10:8025", "[2001:db8::1]:80"}) {
    Status st = CheckListen(wide, false, &host, &port);
    EXPECT_FALSE(st.ok()) << wide;
    EXPECT_NE(st.message().find("no authentication is configured"), std::string::npos)
        << st.message();
    EXPECT_TRUE(CheckListen(wide, true, &host, &port).ok()) << wide;
  }
}

// DNS rebinding: without authentication only a Host that names this machine
// in a way no DNS answer can change is answered (helper-64 read the whole
// export from a page at http://rebind.attacker.test:18771).
TEST(HostIsUnrebindable, IpLiteralsAndLocalhostOnly) {
  for (const char* ok :
       {"", "127.0.0.1:8025", "127.0.0.1", "[::1]:8025", "[::1]", "localhost", "LOCALHOST:8025",
        "console.localhost:80", "localhost.:8025", "192.0.2.10:8025"})
    EXPECT_TRUE(HostIsUnrebindable(ok)) << ok;
  for (const char* bad : {"rebind.attacker.test:18771", "evil.example", "localhost.evil.test",
                          "127.0.0.1.nip.io:8025", "[::1", "[::1]x", "127.0.0.1:80x",
                          "127.0.0.1:1234567", "mylocalhost"})
    EXPECT_FALSE(HostIsUnrebindable(bad)) << bad;
}

TEST(CheckListen, MalformedAddressesAreRefused) {
  std::string host;
  int port = 0;
  for (const char* bad : {"", "8025", "localhost:8025", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x",
                          "127.0.0.1:65536", "127.0.0.1:123456", "[::1:8025"}) {
    Status st = CheckListen(bad, true, &host, &port);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.message().find("IP:PORT"), std::string::npos) << bad << ": " << st.message();
  }
}

}  // namespace
}  // namespace mailtrail::web
