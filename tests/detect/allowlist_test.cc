// The allowlist's sources beyond the configuration: a real `postconf` reading a
// real main.cf, and this machine's addresses.
#include "agent/blocks/allowlist.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

bool Covers(const std::vector<Cidr>& nets, const char* ip) {
  for (const Cidr& c : nets)
    if (c.Contains(*IpAddress::Parse(ip))) return true;
  return false;
}

TEST(Allowlist, MynetworksAsPostconfPrintsThem) {
  std::vector<std::string> skipped;
  auto nets = ParseMynetworks(
      "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128, 192.0.2.0/24 hash:/etc/postfix/net"
      " mx.example.test /etc/postfix/more",
      &skipped);
  EXPECT_TRUE(Covers(nets, "127.3.4.5"));
  EXPECT_TRUE(Covers(nets, "::1"));
  EXPECT_TRUE(Covers(nets, "192.0.2.200"));
  EXPECT_FALSE(Covers(nets, "198.51.100.1"));
  EXPECT_EQ(skipped.size(), 3u) << "a table, a host name and a file are not networks";
}

TEST(Allowlist, RealPostconfReadsMainCf) {
  TempDir dir("mt_postconf");
  std::ofstream(dir.File("main.cf")) << "compatibility_level = 3.7\n"
                                        "mynetworks = 192.0.2.0/24, [2001:db8::]/32\n";
  auto value = PostconfMynetworks(dir.path().string());
  ASSERT_TRUE(value.ok()) << value.status().message();
  // No master.cf here: postconf warns on stderr, and a warning's words must
  // not pass for mynetworks entries.
  std::vector<std::string> skipped;
  auto nets = ParseMynetworks(*value, &skipped);
  EXPECT_EQ(*value, "192.0.2.0/24, [2001:db8::]/32\n");
  EXPECT_TRUE(skipped.empty()) << "got " << skipped.size() << " skipped entries, want 0";
  EXPECT_TRUE(Covers(nets, "192.0.2.9"));
  EXPECT_TRUE(Covers(nets, "2001:db8::5"));
  EXPECT_FALSE(PostconfMynetworks(dir.File("missing")).ok());
  EXPECT_FALSE(PostconfMynetworks(dir.path().string(), "/nonexistent/postconf").ok());
}

TEST(Allowlist, OwnAddressesIncludeLoopback) { EXPECT_TRUE(Covers(OwnAddresses(), "127.0.0.1")); }

}  // namespace
}  // namespace mailtrail
