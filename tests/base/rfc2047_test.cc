// RFC 2047 encoded words and their charsets, decoded to valid UTF-8 (base/rfc2047.h).
#include "base/rfc2047.h"

#include <gtest/gtest.h>

#include "base/utf8.h"

namespace mailtrail {
namespace {

TEST(Rfc2047, DecodesEncodedWords) {
  const struct {
    const char* raw;
    const char* want;
  } kCases[] = {
      {"=?UTF-8?B?0J/RgNC40LLQtdGCINC40Lcg0JzQvtGB0LrQstGL?=", "Привет из Москвы"},
      {"=?utf-8?q?Caf=C3=A9_ouvert?=", "Café ouvert"},
      {"=?ISO-8859-1?Q?Gr=FC=DFe?=", "Grüße"},
      {"=?iso-8859-15?Q?=A4uro?=", "€uro"},
      {"=?windows-1252?Q?=93quoted=94?=", "“quoted”"},
      {"=?UTF-8?B?YQ==?= =?UTF-8?B?Yg==?=", "ab"},  // the space between two words goes
      {"a =?UTF-8?B?Yg==?= c", "a b c"},
      {"=?KOI8-R?B?abc?= stays", "=?KOI8-R?B?abc?= stays"},  // unknown charset: as is
      {"=?UTF-8?Q?bad=Z1?=", "=?UTF-8?Q?bad=Z1?="},
      {"=?UTF-8?B?/w==?=", "\xEF\xBF\xBD"},  // invalid UTF-8 -> U+FFFD
  };
  for (const auto& c : kCases) EXPECT_EQ(DecodeRfc2047(c.raw), c.want) << c.raw;
}

TEST(Rfc2047, KnowsItsCharsetsOnly) {
  std::string out;
  EXPECT_TRUE(CharsetToUtf8("ISO-8859-1*de", "\xE9", &out));  // RFC 2231 language ignored
  EXPECT_EQ(out, "\xC3\xA9");
  EXPECT_FALSE(CharsetToUtf8("koi8-r", "abc", &out));
  EXPECT_EQ(out, "\xC3\xA9");
}

TEST(Utf8, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(ValidUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  std::string s;
  AppendUtf8(&s, 0x1F600);
  size_t i = 0;
  EXPECT_EQ(NextCodePoint(s, &i), 0x1F600u);
  EXPECT_EQ(i, 4u);
}

}  // namespace
}  // namespace mailtrail
