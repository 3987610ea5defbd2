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
      {"=?X-UNKNOWN?B?abc?= stays", "=?X-UNKNOWN?B?abc?= stays"},  // unknown charset: as is
      {"=?UTF-8?Q?bad=Z1?=", "=?UTF-8?Q?bad=Z1?="},
      {"=?UTF-8?B?/w==?=", "\xEF\xBF\xBD"},  // invalid UTF-8 -> U+FFFD
  };
  for (const auto& c : kCases) EXPECT_EQ(DecodeRfc2047(c.raw), c.want) << c.raw;
}

// The charsets of non-English newsletters, through iconv(3); only named
// ones (helper-93: a subject in ISO-8859-2 or KOI8-R never matched the
// UTF-8 of its auto-replies). A name off the list is not handed to iconv.
TEST(Rfc2047, KnowsItsCharsetsOnly) {
  std::string out;
  EXPECT_TRUE(CharsetToUtf8("ISO-8859-1*de", "\xE9", &out));  // RFC 2231 language ignored
  EXPECT_EQ(out, "\xC3\xA9");
  const struct {
    const char* charset;
    std::string bytes, utf8;
  } kCases[] = {
      {"ISO-8859-2",
       "\xB3\xF3"
       "d\xBC",
       "\xC5\x82\xC3\xB3"
       "d\xC5\xBA"},  // łódź
      {"koi8-r", "\xD0\xD2\xC9\xD7\xC5\xD4",
       "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"},  // привет
      {"windows-1251", "\xEF\xF0\xE8\xE2\xE5\xF2",
       "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"},
      {"ISO-2022-JP", "\x1B$B$3$s\x1B(B", "\xE3\x81\x93\xE3\x82\x93"},  // こん
      {"Shift_JIS", "\x82\xB1", "\xE3\x81\x93"},
      {"koi8-r", "a\xFF", "a\xD0\xAA"},
  };
  for (const auto& c : kCases) {
    std::string got;
    EXPECT_TRUE(CharsetToUtf8(c.charset, c.bytes, &got)) << c.charset;
    EXPECT_EQ(got, c.utf8) << c.charset;
  }
  std::string bad;
  EXPECT_TRUE(CharsetToUtf8("shift_jis", "\x82", &bad));  // a character cut off
  EXPECT_EQ(bad, "\xEF\xBF\xBD");
  out.clear();
  for (const char* unknown : {"x-unknown", "../../../tmp/evil", "UTF-7", "utf-16"})
    EXPECT_FALSE(CharsetToUtf8(unknown, "abc", &out)) << unknown;
  EXPECT_EQ(out, "");
  EXPECT_EQ(DecodeRfc2047("=?koi8-r?B?0NLJ18XU?= world"),
            "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 world");
}

// Postfix logs a folded header's line break as '?': between two encoded
// words it is whitespace to drop, elsewhere text (helper-93: "Großk üchen").
TEST(Rfc2047, AFoldBetweenEncodedWordsIsNoText) {
  EXPECT_EQ(DecodeRfc2047("=?utf-8?q?Gro=C3=9Fk?=? =?utf-8?q?=C3=BCchen?="),
            "Gro\xC3\x9F"
            "k\xC3\xBC"
            "chen");
  EXPECT_EQ(DecodeRfc2047("=?utf-8?q?a?=?\t=?utf-8?q?b?="), "ab");
  EXPECT_EQ(DecodeRfc2047("=?utf-8?q?Why?=? not"), "Why not");
  EXPECT_EQ(DecodeRfc2047("Why? not =?utf-8?q?b?="), "Why? not b");
  EXPECT_EQ(DecodeRfc2047("=?utf-8?q?Why?=?"), "Why?");
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
