// The console's escaping of untrusted text: HTML, CSV cells, URLs.
#include "agent/web/escape.h"

#include <gtest/gtest.h>

namespace mailtrail::web {
namespace {

TEST(HtmlEscape, MarkupCharactersBecomeEntities) {
  EXPECT_EQ(HtmlEscape("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(HtmlEscape("a&b \"q\" 'a'"), "a&amp;b &quot;q&quot; &#39;a&#39;");
}

TEST(HtmlEscape, ControlCharactersAndBadUtf8BecomeReplacementCharacters) {
  EXPECT_EQ(HtmlEscape(std::string("a\x01z", 3)), "a\xEF\xBF\xBDz");
  EXPECT_EQ(HtmlEscape("a\xC3z"), "a\xEF\xBF\xBDz") << "truncated sequence";
  EXPECT_EQ(HtmlEscape("\xC0\xBC"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "overlong '<'";
  EXPECT_EQ(HtmlEscape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "surrogate";
  EXPECT_EQ(HtmlEscape("tab\tok"), "tab\tok");
}

TEST(HtmlEscape, ValidUtf8IsKept) { EXPECT_EQ(HtmlEscape("Grüße ✓ 😀"), "Grüße ✓ 😀"); }

TEST(CsvCell, FormulaStartsAreNeutralised) {
  EXPECT_EQ(CsvCell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(CsvCell("+1"), "'+1");
  EXPECT_EQ(CsvCell("-1"), "'-1");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvCell("\tx"), "\"'\tx\"");
  EXPECT_EQ(CsvCell("a=b"), "a=b") << "only the first character counts";
}

TEST(CsvCell, SeparatorsQuotesAndLineBreaksAreQuoted) {
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell(""), "");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("two\nlines"), "\"two\nlines\"");
  // The separators of other locales and of tab-separated imports: a
  // spreadsheet splitting at them read "=1+1" as a cell of its own, a
  // formula ("a;=1+1" in a ';' spreadsheet).
  EXPECT_EQ(CsvCell("a;=1+1"), "\"a;=1+1\"");
  EXPECT_EQ(CsvCell("a\t=1+1"), "\"a\t=1+1\"");
}

TEST(UrlEncode, OnlyUnreservedCharactersStay) {
  EXPECT_EQ(UrlEncode("a@b.test"), "a%40b.test");
  EXPECT_EQ(UrlEncode("x y&z=<"), "x%20y%26z%3D%3C");
  EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UrlEncode("\xC3\xBC"), "%C3%BC");
}

}  // namespace
}  // namespace mailtrail::web
