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

// helper-129: "Invoice \u202E fdp.exe" showed as "Invoice exe.pdf".
TEST(HtmlEscape, BidiAndZeroWidthCharactersAreShownNotObeyed) {
  EXPECT_EQ(HtmlEscape("Invoice \u202E fdp.exe"), "Invoice &lt;U+202E&gt; fdp.exe");
  EXPECT_EQ(HtmlEscape("a\u2066b\u2069c\u200Bd\u061Ce\uFEFF"),
            "a&lt;U+2066&gt;b&lt;U+2069&gt;c&lt;U+200B&gt;d&lt;U+061C&gt;e&lt;U+FEFF&gt;");
  EXPECT_EQ(HtmlEscape("\u2010\u202F\u2070"), "\u2010\u202F\u2070") << "their neighbours stay";
}

// helper-151: the word joiner, the soft hyphen, U+180E and tag characters
// (a whole hidden text, four bytes each) were shown as nothing.
TEST(HtmlEscape, OtherInvisibleCharactersAreShownToo) {
  EXPECT_EQ(HtmlEscape("a\u2060b\u00ADc\u180Ed\u2028e"),
            "a&lt;U+2060&gt;b&lt;U+00AD&gt;c&lt;U+180E&gt;d&lt;U+2028&gt;e");
  EXPECT_EQ(HtmlEscape("x\U000E0041\U000E007Fy"), "x&lt;U+E0041&gt;&lt;U+E007F&gt;y");
  EXPECT_EQ(HtmlEscape("a\U000E0100b\U0001BCA0c\u180Fd"),
            "a&lt;U+E0100&gt;b&lt;U+1BCA0&gt;c&lt;U+180F&gt;d");
  EXPECT_EQ(HtmlEscape("\U0001F600\uFE0F"), "\U0001F600\uFE0F") << "emoji and their selectors stay";
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
  // The separators of other locales and of tab-separated imports are
  // quoted too.
  EXPECT_EQ(CsvCell("a;b"), "\"a;b\"");
  EXPECT_EQ(CsvCell("a\tb"), "\"a\tb\"");
}

// A spreadsheet splitting at ; or tab reads the quotes within a row as text:
// each piece it makes must not start a formula ("Invoice;=1+1;x" gave a
// cell "=1+1": helper-77). Nor may spaces before one hide it.
TEST(CsvCell, EveryPieceASpreadsheetMaySplitIsNeutralised) {
  EXPECT_EQ(CsvCell("Invoice;=1+1;x"), "\"Invoice;'=1+1;x\"");
  EXPECT_EQ(CsvCell("li;=2+3;@northwind.test"), "\"li;'=2+3;'@northwind.test\"");
  EXPECT_EQ(CsvCell("a\t+1"), "\"a\t'+1\"");
  EXPECT_EQ(CsvCell("a|-1"), "a|'-1");
  EXPECT_EQ(CsvCell("a, =1"), "\"a, '=1\"");
  EXPECT_EQ(CsvCell(" =1"), " '=1");
  EXPECT_EQ(CsvCell("a-b=c"), "a-b=c") << "within a piece nothing changes";
  // What a ';' spreadsheet makes of the row: no piece starts a formula.
  const std::string row = CsvCell("x") + "," + CsvCell("Invoice;=1+1;x") + "," + CsvCell("-2");
  size_t at = 0;
  while (at <= row.size()) {
    size_t end = row.find(';', at);
    if (end == std::string::npos) end = row.size();
    std::string piece = row.substr(at, end - at);
    piece.erase(0, piece.find_first_not_of(' '));
    EXPECT_TRUE(piece.empty() || std::string("=+-@").find(piece[0]) == std::string::npos) << piece;
    at = end + 1;
  }
}

TEST(UrlEncode, OnlyUnreservedCharactersStay) {
  EXPECT_EQ(UrlEncode("a@b.test"), "a%40b.test");
  EXPECT_EQ(UrlEncode("x y&z=<"), "x%20y%26z%3D%3C");
  EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UrlEncode("\xC3\xBC"), "%C3%BC");
}

}  // namespace
}  // namespace mailtrail::web
