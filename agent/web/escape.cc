#include "agent/web/escape.h"

#include <cstdint>
#include <cstdio>

namespace mailtrail::web {

namespace {
constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<uint8_t>(s[i]);
  size_t n = c < 0x80             ? 1
             : (c & 0xE0) == 0xC0 ? 2
             : (c & 0xF0) == 0xE0 ? 3
             : (c & 0xF8) == 0xF0 ? 4
                                  : 0;
  if (n == 0 || i + n > s.size()) return 0;
  if (n == 2 && c < 0xC2) return 0;  // overlong
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) return 0;
  if (n == 3) {
    const auto c1 = static_cast<uint8_t>(s[i + 1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return 0;  // overlong, surrogate
  }
  if (n == 4) {
    const auto c1 = static_cast<uint8_t>(s[i + 1]);
    if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90)) return 0;
  }
  return n;
}

// Characters that change how the text around them is shown, not what it
// says: bidirectional embeddings, overrides and isolates, zero-width ones
// and the Arabic letter mark. A subject "Invoice U+202E fdp.exe" showed as
// "Invoice exe.pdf", and a recipient's override reversed the page's own
// text after it (helper-129).
// Format and filler characters that show nothing: bidirectional controls,
// zero-width ones, the soft hyphen, the word joiner and invisible operators,
// Hangul and Mongolian fillers, interlinear annotations, musical format
// controls, tags (U+E0000-E007F: a whole hidden text), line and paragraph
// separators, the supplementary variation selectors (U+E0100-E01EF: they
// too can hide a text; U+FE00-FE0F stay: emoji need them). helper-151 found
// U+2060, U+00AD, U+180E and the tags shown as nothing, helper-153 the rest.
bool Invisible(uint32_t cp) {
  return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x206F) || cp == 0x061C ||
         cp == 0xFEFF || cp == 0x00AD || cp == 0x034F || cp == 0x115F || cp == 0x1160 ||
         cp == 0x17B4 || cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F) || cp == 0x3164 ||
         cp == 0xFFA0 || (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0x13430 && cp <= 0x1343F) ||
         (cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A) ||
         (cp >= 0xE0000 && cp <= 0xE007F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

uint32_t CodePoint(std::string_view s, size_t i, size_t n) {
  const auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(s[i + k])); };
  if (n == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (n == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}
}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (n > 1) {
      if (const uint32_t cp = CodePoint(s, i, n); Invisible(cp)) {
        char shown[24];
        std::snprintf(shown, sizeof shown, "&lt;U+%04X&gt;", static_cast<unsigned>(cp));
        out += shown;
      } else {
        out.append(s.substr(i, n));
      }
      i += n;
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((static_cast<uint8_t>(c) < 0x20 && c != '\t') || c == 0x7F)
          out += kReplacement;
        else
          out.push_back(c);
    }
    ++i;
  }
  return out;
}

std::string CsvCell(std::string_view s) {
  // A formula may start the cell, and every piece a spreadsheet splits it
  // into: one that splits at ; or tab (another locale's separator) reads a
  // quote within a row as text, so quoting alone protects nothing there
  // (helper-77: "Invoice;=1+1" gave a cell "=1+1"). Spaces before are
  // looked past (some trim them).
  auto formula = [](char c) {
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
  };
  auto separator = [](char c) {
    return c == ',' || c == ';' || c == '\t' || c == '|' || c == '\r' || c == '\n';
  };
  std::string v;
  bool piece_start = true;
  for (char c : s) {
    if (piece_start && c != ' ') {
      if (formula(c)) v.push_back('\'');
      piece_start = false;
    }
    v.push_back(c);
    if (separator(c)) piece_start = true;
  }
  // ; and tab too: spreadsheets of other locales split at them.
  if (v.find_first_of(",;\t\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q.push_back('"');
    q.push_back(c);
  }
  q.push_back('"');
  return q;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<uint8_t>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace mailtrail::web
