#include "agent/detect/subject.h"

#include <array>
#include <cstdint>
#include <vector>

namespace mailtrail {

namespace {

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | cp >> 6));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | cp >> 12));
    out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | cp >> 18));
    out->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads one UTF-8 code point at s[*i] and moves past it; U+FFFD (one byte
// consumed) for anything invalid: overlong, surrogate, truncated.
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  const unsigned char c = static_cast<unsigned char>(s[*i]);
  if (c < 0x80) {
    ++*i;
    return c;
  }
  const int n = (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 0;
  if (n == 0 || *i + n >= s.size()) {
    ++*i;
    return 0xFFFD;
  }
  uint32_t cp = c & (0x3F >> n);
  for (int k = 1; k <= n; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = cp << 6 | (cc & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*i;
    return 0xFFFD;
  }
  *i += n + 1;
  return cp;
}

std::string ValidUtf8(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) AppendUtf8(&out, NextCodePoint(s, &i));
  return out;
}

// Windows-1252's 0x80-0x9F (0: unassigned).
constexpr std::array<uint16_t, 32> kCp1252 = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  return out;
}

// Bytes of `charset` -> UTF-8; false for a charset it does not know.
bool ToUtf8(std::string_view charset, std::string_view bytes, std::string* out) {
  std::string cs = Lower(charset);
  if (size_t star = cs.find('*'); star != std::string::npos) cs.resize(star);  // RFC 2231 language
  if (cs == "utf-8" || cs == "utf8" || cs == "us-ascii") {
    out->append(bytes);
    return true;
  }
  const bool latin1 = cs == "iso-8859-1" || cs == "latin1";
  const bool latin9 = cs == "iso-8859-15";
  const bool cp1252 = cs == "windows-1252" || cs == "cp1252";
  if (!latin1 && !latin9 && !cp1252) return false;
  for (unsigned char c : bytes) {
    uint32_t cp = c;
    if (cp1252 && c >= 0x80 && c < 0xA0) cp = kCp1252[c - 0x80] ? kCp1252[c - 0x80] : 0xFFFD;
    if (latin9) {
      switch (c) {
        case 0xA4:
          cp = 0x20AC;
          break;
        case 0xA6:
          cp = 0x0160;
          break;
        case 0xA8:
          cp = 0x0161;
          break;
        case 0xB4:
          cp = 0x017D;
          break;
        case 0xB8:
          cp = 0x017E;
          break;
        case 0xBC:
          cp = 0x0152;
          break;
        case 0xBD:
          cp = 0x0153;
          break;
        case 0xBE:
          cp = 0x0178;
          break;
        default:
          break;
      }
    }
    AppendUtf8(out, cp);
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool DecodeB(std::string_view in, std::string* out) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos) return false;
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>(acc >> bits & 0xFF));
    }
  }
  return true;
}

bool DecodeQ(std::string_view in, std::string* out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '_') {
      out->push_back(' ');
    } else if (in[i] == '=') {
      if (i + 2 >= in.size() || HexValue(in[i + 1]) < 0 || HexValue(in[i + 2]) < 0) return false;
      out->push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

// One encoded word at raw[pos] ("=?cs?E?text?="): its decoded UTF-8 and its end.
bool EncodedWord(std::string_view raw, size_t pos, std::string* out, size_t* end) {
  if (raw.compare(pos, 2, "=?") != 0) return false;
  const size_t q1 = raw.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 + 2 >= raw.size() || raw[q1 + 2] != '?') return false;
  const size_t close = raw.find("?=", q1 + 3);
  if (close == std::string_view::npos || close - pos > 200) return false;  // RFC: 75
  const std::string_view charset = raw.substr(pos + 2, q1 - pos - 2);
  const char enc = raw[q1 + 1];
  const std::string_view text = raw.substr(q1 + 3, close - q1 - 3);
  std::string bytes;
  const bool ok = (enc == 'B' || enc == 'b')   ? DecodeB(text, &bytes)
                  : (enc == 'Q' || enc == 'q') ? DecodeQ(text, &bytes)
                                               : false;
  if (!ok) return false;
  std::string utf8;
  if (!ToUtf8(charset, bytes, &utf8)) return false;
  *out += utf8;
  *end = close + 2;
  return true;
}

// Lower-case of one code point, for the scripts subjects mostly use.
uint32_t LowerCodePoint(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) return cp + 32;  // Latin-1
  if (cp >= 0x100 && cp <= 0x17F && cp % 2 == 0 && cp != 0x130)
    return cp + 1;                                                // Latin Ext-A (most)
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 32;  // Greek
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;                 // Cyrillic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  return cp;
}

bool IsWordChar(uint32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp >= 0x80 || cp == '@' ||
         cp == '#' || cp == '.' || cp == '-' || cp == '_';
}

// Prefixes that wrap the subject of the message a reply, a forward or a
// non-delivery notice is about (lower case, without the trailing colon).
constexpr std::string_view kPrefixes[] = {"re",
                                          "fw",
                                          "fwd",
                                          "aw",
                                          "wg",
                                          "sv",
                                          "vs",
                                          "antw",
                                          "tr",
                                          "rif",
                                          "r",
                                          "enc",
                                          "res",
                                          "undeliverable",
                                          "undelivered",
                                          "undeliverable mail",
                                          "non remis",
                                          "non recapitabile",
                                          "unzustellbar",
                                          "nicht zustellbar",
                                          "onbestelbaar",
                                          "no entregado",
                                          "no se puede entregar",
                                          "returned mail",
                                          "delivery failure",
                                          "delivery failed",
                                          "failure notice",
                                          "mail delivery failed",
                                          "delivery status notification (failure)",
                                          "недоставлено",
                                          "не доставлено",
                                          "non délivré",
                                          "non distribuable"};

// Strips "prefix:" (any case, optional space before the colon) repeatedly.
std::string_view StripPrefixes(std::string_view s) {
  bool again = true;
  while (again) {
    again = false;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    for (std::string_view p : kPrefixes) {
      if (s.size() <= p.size() || s.substr(0, p.size()) != p) continue;
      size_t i = p.size();
      while (i < s.size() && s[i] == ' ') ++i;
      if (i < s.size() && s[i] == ':') {
        s.remove_prefix(i + 1);
        again = true;
        break;
      }
    }
  }
  return s;
}

}  // namespace

std::string DecodeRfc2047(std::string_view raw) {
  std::string out;
  size_t i = 0;
  bool last_encoded = false;
  size_t pending_space = 0;  // whitespace after an encoded word, not yet copied
  while (i < raw.size()) {
    size_t end;
    std::string word;
    if (raw[i] == '=' && EncodedWord(raw, i, &word, &end)) {
      if (!last_encoded && pending_space) out.append(raw.substr(i - pending_space, pending_space));
      out += word;
      i = end;
      last_encoded = true;
      pending_space = 0;
      continue;
    }
    if (raw[i] == ' ' || raw[i] == '\t') {
      ++pending_space;
      ++i;
      continue;
    }
    if (pending_space) out.append(raw.substr(i - pending_space, pending_space));
    pending_space = 0;
    last_encoded = false;
    out.push_back(raw[i++]);
  }
  if (pending_space) out.append(raw.substr(raw.size() - pending_space));
  return ValidUtf8(out);
}

std::string NormalizeSubject(std::string_view raw, size_t cap) {
  const std::string decoded = DecodeRfc2047(raw.substr(0, 4 * cap + 1000));
  // Lower case, word characters kept, everything else one space.
  std::string lower;
  for (size_t i = 0; i < decoded.size();) {
    const uint32_t cp = LowerCodePoint(NextCodePoint(decoded, &i));
    if (IsWordChar(cp)) {
      AppendUtf8(&lower, cp);
    } else if (cp == ':') {
      lower.push_back(':');
    } else if (!lower.empty() && lower.back() != ' ') {
      lower.push_back(' ');
    }
  }
  std::string_view s = StripPrefixes(lower);
  // Tokens: an address -> "@", a token with digits that is a number or a hex id
  // (or mixes letters and 3+ digits) -> "#".
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find_first_of(" :", pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view tok = s.substr(pos, end - pos);
    pos = end + 1;
    while (!tok.empty() && (tok.front() == '.' || tok.front() == '-' || tok.front() == '_'))
      tok.remove_prefix(1);
    while (!tok.empty() && (tok.back() == '.' || tok.back() == '-' || tok.back() == '_'))
      tok.remove_suffix(1);
    if (tok.empty()) continue;
    int digits = 0;
    bool hex = true;
    for (char c : tok) {
      digits += c >= '0' && c <= '9';
      hex &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    std::string_view put = tok;
    if (tok.find('@') != std::string_view::npos) {
      put = "@";
    } else if (digits == static_cast<int>(tok.size()) || (hex && digits > 0 && tok.size() >= 8) ||
               digits >= 3) {
      put = "#";
    }
    if (!out.empty()) out.push_back(' ');
    out.append(put);
    if (out.size() >= cap) break;
  }
  if (out.size() > cap) {
    size_t cut = cap;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

}  // namespace mailtrail
