// ReadCounters: smtpd's disconnect counters as the session end reads them.
#include "agent/track/session_counters.h"

#include <gtest/gtest.h>

namespace mailtrail {
namespace {

TEST(SessionCounters, SaysWhatSucceeded) {
  SessionCounters c = ReadCounters("ehlo=1 mail=2 rcpt=2 data=1/2 quit=1 commands=7/8");
  EXPECT_EQ(c.mail, 2);
  EXPECT_EQ(c.data, 1);
  EXPECT_FALSE(c.all_data);
  c = ReadCounters("ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5");
  EXPECT_EQ(c.data, 1);
  EXPECT_TRUE(c.all_data);
  // A callout: no DATA named, none sent.
  c = ReadCounters("ehlo=1 mail=1 rcpt=1 quit=1 commands=4");
  EXPECT_EQ(c.data, 0);
  EXPECT_FALSE(c.all_data);
  // BDAT counts chunks: it cannot say.
  c = ReadCounters("ehlo=1 mail=1 rcpt=1 bdat=3 quit=1 commands=7");
  EXPECT_EQ(c.mail, 1);
  EXPECT_EQ(c.data, -1);
  // No counters (an old Postfix), or names that only end alike.
  c = ReadCounters("");
  EXPECT_EQ(c.mail, -1);
  EXPECT_EQ(c.data, -1);
  c = ReadCounters("xmail=3 metadata=2");
  EXPECT_EQ(c.mail, -1);
  EXPECT_EQ(c.data, -1);
  c = ReadCounters("mail=1 data=x");
  EXPECT_EQ(c.data, -1);
}

}  // namespace
}  // namespace mailtrail
