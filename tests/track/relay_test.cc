// ParseRelay: one reading of a delivery's relay= field for the tracker, the
// answer memory and the detector (agent/track/relay.h).
#include "agent/track/relay.h"

#include <gtest/gtest.h>

namespace mailtrail {
namespace {

TEST(Relay, OneReadingOfTheFieldForEveryQuestion) {
  using K = Relay::Kind;
  const struct {
    const char* relay;
    K kind;
    bool lmtp, another_mta, content_filter;
  } kCases[] = {
      {"", K::kNone, false, false, false},
      {"none", K::kNone, false, false, false},
      {"local", K::kTransport, false, false, false},
      {"virtual", K::kTransport, false, false, false},
      {"dovecot", K::kTransport, false, false, false},  // a pipe transport
      {"mx1.example.org[private/dovecot-lmtp]", K::kSocket, true, false, false},
      // LMTP over TCP: a port other than SMTP's, so a "filter" for the tracker
      // too (it asks only whether a reply or leg may come from there).
      {"mail.example.org[10.0.0.5]:24", K::kAddress, true, false, true},
      {"mx.remote.test[192.0.2.3]:25", K::kAddress, false, true, false},
      {"mx.remote.test[2001:db8::3]:25", K::kAddress, false, true, false},
      {"smtp.provider.test[198.51.100.4]:587", K::kAddress, false, true, false},
      {"127.0.0.1[127.0.0.1]:10024", K::kAddress, false, false, true},
      {"localhost[::1]:10024", K::kAddress, false, false, true},
      // A lab's "remote" MX on loopback port 25: mail sent to another MTA for
      // the answers, and a leg that may come back for the tracker.
      {"mx.remote.test[127.0.0.3]:25", K::kAddress, false, true, true},
      // amavis on another host: a filter for the tracker; the answer memory
      // takes any port but LMTP's (as before this reading was shared).
      {"amavis.example.org[10.0.0.9]:10024", K::kAddress, false, true, true},
  };
  for (const auto& c : kCases) {
    const Relay r = ParseRelay(c.relay);
    EXPECT_EQ(r.kind, c.kind) << c.relay;
    EXPECT_EQ(r.IsLmtp(), c.lmtp) << c.relay;
    EXPECT_EQ(r.IsAnotherMta(), c.another_mta) << c.relay;
    EXPECT_EQ(r.IsContentFilter(), c.content_filter) << c.relay;
  }
  const Relay r = ParseRelay("mx.remote.test[192.0.2.3]:25");
  EXPECT_EQ(r.host, "mx.remote.test");
  EXPECT_EQ(r.port, ":25");
  EXPECT_EQ(r.ip->ToString(), "192.0.2.3");
}

}  // namespace
}  // namespace mailtrail
