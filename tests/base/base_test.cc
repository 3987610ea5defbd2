#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "base/cidr.h"
#include "base/civil_time.h"
#include "base/ip_address.h"
#include "base/json_writer.h"
#include "base/queue_id.h"
#include "base/text.h"

namespace mailtrail {
namespace {

// Saved state reads back exactly: every double as the shortest text that
// parses to it, a negative zero included (it must not read as the integer 0).
TEST(JsonWriter, ExactNumbersKeepEveryBitThatMatters) {
  std::string out;
  JsonWriter w(&out);
  w.OpenArray();
  for (double v : {0.0, -0.0, 0.1, -2.5, 0.123456789, 1e300}) w.Exact(nullptr, v);
  w.Exact(nullptr, std::numeric_limits<double>::infinity());  // JSON has none: 0
  w.CloseArray();
  EXPECT_EQ(out, "[0,-0.0,0.1,-2.5,0.123456789,1e+300,0]");
}

TEST(CivilTime, FormatsAndParsesRfc3339) {
  const TimeUs t = EpochSeconds(2026, 11, 27, 11, 21, 18) * kUsPerSecond;
  EXPECT_EQ(FormatRfc3339(t), "2026-11-27T11:21:18Z");
  TimeUs back = 0;
  ASSERT_TRUE(ParseRfc3339("2026-11-27T11:21:18Z", &back));
  EXPECT_EQ(back, t);
  ASSERT_TRUE(ParseRfc3339("2026-11-27T12:21:18+01:00", &back));
  EXPECT_EQ(back, t);
  ASSERT_TRUE(ParseRfc3339("2026-11-27", &back));
  EXPECT_EQ(FormatRfc3339(back), "2026-11-27T00:00:00Z");
  for (const char* bad : {"", "2026-13-01", "2026-11-27T25:00:00Z", "yesterday", "2026-11-27T1"})
    EXPECT_FALSE(ParseRfc3339(bad, &back)) << bad;
  // A day the month does not have is refused, not moved into the next month
  // (helper-94: `search --until 2026-02-31` searched up to March 3).
  for (const char* bad : {"2026-02-29", "2026-02-31", "2026-04-31", "2100-02-29"})
    EXPECT_FALSE(ParseRfc3339(bad, &back)) << bad;
  for (const char* good : {"2028-02-29", "2000-02-29", "2026-01-31", "2026-12-31T23:59:59Z"})
    EXPECT_TRUE(ParseRfc3339(good, &back)) << good;
  // An offset is two digits 00-23, a colon and two digits 00-59 (helper-129).
  for (const char* bad :
       {"2026-11-27T11:00:00+99:99", "2026-11-27T11:00:00+24:00", "2026-11-27T11:00:00+01:60",
        "2026-11-27T11:00:00+ 1:00", "2026-11-27T11:00:00+-1:00", "2026-11-27T11:00:00+01:+0"})
    EXPECT_FALSE(ParseRfc3339(bad, &back)) << bad;
  ASSERT_TRUE(ParseRfc3339("2026-11-27T06:51:18-04:30", &back));
  EXPECT_EQ(back, t);
}

TEST(CivilTime, DaysFromCivilHandlesLeapYearsAndEpoch) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1) - DaysFromCivil(2000, 2, 28), 2);
  EXPECT_EQ(DaysFromCivil(2100, 3, 1) - DaysFromCivil(2100, 2, 28), 1);
}

// Dotted IPv4 takes a fast path of its own (most addresses of a log): it
// must take exactly what inet_pton takes, no more (leading zeros, parts over
// 255, five parts), checked on random strings of digits and dots.
TEST(IpAddress, TheDottedQuadFastPathAgreesWithInetPton) {
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789.";
  int agreed_ok = 0;
  for (int n = 0; n < 300000; ++n) {
    std::string t;
    const size_t len = 1 + rng() % 17;
    for (size_t i = 0; i < len; ++i) t += alphabet[rng() % alphabet.size()];
    if (n % 3 == 0) {  // most strings valid-looking: four parts
      t = std::to_string(rng() % 300) + "." + std::to_string(rng() % 300) + "." +
          (rng() % 5 == 0 ? "0" : "") + std::to_string(rng() % 300) + "." +
          std::to_string(rng() % 300);
    }
    unsigned char want[4];
    const bool pton = inet_pton(AF_INET, t.c_str(), want) == 1;
    const auto got = IpAddress::Parse(t);
    ASSERT_EQ(got.has_value() && got->is_v4(), pton) << t;
    if (pton) {
      ASSERT_EQ(got->Bytes(), std::string(reinterpret_cast<const char*>(want), 4)) << t;
      ++agreed_ok;
    }
  }
  EXPECT_GT(agreed_ok, 10000);
}

TEST(IpAddress, ParsesV4AndV6AndRejectsNames) {
  auto v4 = IpAddress::Parse("127.0.5.120");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->Bytes().size(), 4u);
  EXPECT_EQ(v4->ToString(), "127.0.5.120");
  auto v6 = IpAddress::Parse("ipv6:2001:db8::5");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->ToString(), "2001:db8::5");
  EXPECT_EQ(IpAddress::FromBytes(v6->Bytes())->ToString(), "2001:db8::5");
  for (const char* bad : {"", "unknown", "mail.example.test", "1.2.3", "1.2.3.4.5", "1.2.3.4 "})
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  // A NUL byte ends no text early: "66::<NUL>.x" is no address (inet_pton
  // read up to the NUL; org_domain_fuzz found it).
  EXPECT_FALSE(IpAddress::Parse(std::string_view("66::\0.x", 6)));
  EXPECT_FALSE(IpAddress::Parse(std::string_view("10.0.0.1\0", 9)));
  // An IPv4-mapped address is that IPv4 address (Postfix logs it so): one
  // host, one spelling, for block keys and allowlists alike.
  for (const char* mapped :
       {"::ffff:198.51.100.9", "::FFFF:c633:6409", "ipv6:::ffff:198.51.100.9"}) {
    auto m = IpAddress::Parse(mapped);
    ASSERT_TRUE(m) << mapped;
    EXPECT_TRUE(m->is_v4()) << mapped;
    EXPECT_EQ(m->ToString(), "198.51.100.9") << mapped;
  }
  EXPECT_EQ(IpAddress::Parse("2001:DB8:1:0::5")->ToString(), "2001:db8:1::5");
  EXPECT_EQ(Cidr::Parse("::ffff:198.51.100.0/120")->ToString(), "198.51.100.0/24");
  EXPECT_EQ(Cidr::Parse("::ffff:198.51.100.7")->ToString(), "198.51.100.7/32");
  EXPECT_FALSE(Cidr::Parse("::ffff:0.0.0.0/80")) << "wider than the mapped range";
  // In Postfix such a list entry matches nothing (clients arrive as IPv4); as
  // 0.0.0.0/0 it would allowlist every IPv4 client.
  EXPECT_FALSE(Cidr::Parse("::ffff:0:0/96"));
  EXPECT_FALSE(Cidr::Parse("::ffff:10.0.0.0/100"));
  EXPECT_EQ(Cidr::Parse("::ffff:10.0.0.0/104")->ToString(), "10.0.0.0/8");
}

TEST(QueueId, AcceptsShortAndLongIdsOnly) {
  EXPECT_TRUE(IsQueueId("91FEA10A305"));
  EXPECT_TRUE(IsQueueId("4jbXWM4s33z8CD0"));
  EXPECT_TRUE(IsQueueId("4PL3j0443nz30Ms"));
  EXPECT_FALSE(IsQueueId("NOQUEUE"));
  EXPECT_FALSE(IsQueueId("91fea10a305"));      // short ids are upper-case hex
  EXPECT_FALSE(IsQueueId("4jbXWM4s33a8CD0"));  // vowels never occur in long ids
  EXPECT_FALSE(IsQueueId("4jbXWM4s33x8CD0"));  // a long id has a 'z'
  EXPECT_EQ(QueueIdPrefixLength("91FEA10A305: removed"), 11u);
  EXPECT_EQ(QueueIdPrefixLength("4jbXWM4s33z8CD0: removed"), 15u);
  EXPECT_EQ(QueueIdPrefixLength("connect from x"), 0u);
  EXPECT_EQ(QueueIdPrefixLength("NOQUEUE: reject"), 0u);
  EXPECT_EQ(QueueIdPrefixLength("4jbXWM4s33a8CD0: removed"), 0u);    // a vowel
  EXPECT_EQ(QueueIdPrefixLength("4jbXWM4s33E8CD0: removed"), 0u);    // an upper-case vowel
  EXPECT_EQ(QueueIdPrefixLength("4jbXWM4s33z8CD0removed: x"), 0u);   // too long for either
  EXPECT_EQ(QueueIdPrefixLength("4JBXWM4S33Z8CD0: removed"), 0u);    // upper case: no 'z'
  EXPECT_EQ(QueueIdPrefixLength("ABCDE: removed"), 0u);              // too short
  EXPECT_EQ(QueueIdPrefixLength("91FEA10A305"), 0u);                 // no colon
  EXPECT_EQ(QueueIdPrefixLength("91FEA10A305123456789012: x"), 0u);  // too long
  // A short id is five hex digits of microseconds and the inode number in hex
  // (mail_queue.h, MQID_SH_ENCODE_INUM): 13 and more characters from inode
  // 2^28 on (XFS on a large disk), at most 5 + 16.
  for (const char* id : {"8D2F520000083", "8D2F5200000083A", "8D2F5FFFFFFFFFFFFFFFF"}) {
    EXPECT_TRUE(IsShortQueueId(id)) << id;
    EXPECT_EQ(QueueIdPrefixLength(std::string(id) + ": removed"), std::strlen(id)) << id;
  }
  EXPECT_EQ(QueueIdPrefixLength("8D2F5FFFFFFFFFFFFFFFF0: removed"), 0u);  // 22: too long
  // A long id's inode in base 51 takes up to 12 characters: 6 + 4 + 1 + 12.
  EXPECT_TRUE(IsLongQueueId("4jbXWM4s33z8CD0LMNPQRST"));
  EXPECT_FALSE(IsLongQueueId("4jbXWM4s33z8CD0LMNPQRSTV"));
  EXPECT_EQ(QueueIdPrefixLength("4jbXWM4s33z8CD0LMNPQRST: removed"), 23u);
}

// AsciiLower works eight bytes at a time: the same as byte by byte, on every
// byte value at every position (the bytes around 'A', 'Z' and 0x80 + them).
TEST(Text, AsciiLowerAgreesWithBytewise) {
  std::mt19937 rng(23);
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 40, ' ');
    for (char& c : text)
      c = static_cast<char>(rng() % 4 == 0 ? "@AZ[`az{\xC1\xDA"[rng() % 10] : rng());
    std::string want = text;
    for (char& c : want)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    ASSERT_EQ(AsciiLower(text), want);
  }
}

// The one-pass prefix scan agrees with the two definitions of an id.
TEST(QueueId, PrefixLengthAgreesWithIsQueueId) {
  std::mt19937 rng(23);
  const std::string alphabet = "0123456789ABCDEFGHUZaeknz";
  for (int round = 0; round < 20000; ++round) {
    std::string id(1 + rng() % 20, ' ');
    for (char& c : id) c = alphabet[rng() % alphabet.size()];
    const size_t want = IsQueueId(id) ? id.size() : 0;
    ASSERT_EQ(QueueIdPrefixLength(id + ": removed"), want) << id;
  }
}

TEST(Text, JsonEscapesControlAndInvalidUtf8) {
  std::string out;
  AppendJsonString(&out, std::string("a\"b\\c\n\x01\xff\xd0\x96", 10));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\xd0\x96\"");
}

TEST(Text, EscapeForLogCapsAndEscapes) {
  EXPECT_EQ(EscapeForLog("ok\x1b[31m"), "ok\\x1b[31m");
  EXPECT_EQ(EscapeForLog(std::string(300, 'a'), 10), "aaaaaaaaaa...");
}

TEST(Text, LowerUtf8LowersAsciiLatinGreekAndCyrillic) {
  EXPECT_EQ(LowerUtf8("Undelivered MAIL"), "undelivered mail");
  // ÄÖÜ É Ł Ž Ÿ ΣΟΦΊΑ ЖЁ  ->  äöü é ł ž ÿ σοφία жё
  EXPECT_EQ(LowerUtf8("\xc3\x84\xc3\x96\xc3\x9c \xc3\x89 \xc5\x81 \xc5\xbd \xc5\xb8 "
                      "\xce\xa3\xce\x9f\xce\xa6\xce\x8a\xce\x91 \xd0\x96\xd0\x81"),
            "\xc3\xa4\xc3\xb6\xc3\xbc \xc3\xa9 \xc5\x82 \xc5\xbe \xc3\xbf "
            "\xcf\x83\xce\xbf\xcf\x86\xce\xaf\xce\xb1 \xd0\xb6\xd1\x91");
  // Small letters, × and invalid or cut sequences stay as they are.
  EXPECT_EQ(LowerUtf8("\xc3\xa4\xc3\x97\xc3 \xff\xd0"), "\xc3\xa4\xc3\x97\xc3 \xff\xd0");
}

TEST(Text, TruncateUtf8NeverSplitsASequence) {
  EXPECT_EQ(TruncateUtf8("\xd0\x96\xd0\x96", 3), "\xd0\x96");
  EXPECT_EQ(TruncateUtf8("abc", 10), "abc");
}

}  // namespace
}  // namespace mailtrail
