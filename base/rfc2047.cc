#include "base/rfc2047.h"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "base/text.h"
#include "base/utf8.h"

namespace mailtrail {

namespace {

// Windows-1252's 0x80-0x9F (0: unassigned).
constexpr std::array<uint16_t, 32> kCp1252 = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// The other charsets mail subjects are written in, converted by iconv(3):
// named from this list only, never as the sender wrote them (an iconv name
// may load a module of that name).
constexpr std::string_view kIconvCharsets[] = {
    "iso-8859-2",   "iso-8859-3",   "iso-8859-4",   "iso-8859-5",   "iso-8859-6",   "iso-8859-7",
    "iso-8859-8",   "iso-8859-9",   "iso-8859-10",  "iso-8859-13",  "iso-8859-14",  "iso-8859-16",
    "windows-1250", "windows-1251", "windows-1253", "windows-1254", "windows-1255", "windows-1256",
    "windows-1257", "windows-1258", "koi8-r",       "koi8-u",       "cp866",        "iso-2022-jp",
    "shift_jis",    "euc-jp",       "gb2312",       "gbk",          "gb18030",      "big5",
    "euc-kr",       "iso-2022-kr",  "tis-620",      "cp850"};

// `bytes` in `cs` (one of kIconvCharsets) appended as UTF-8, invalid input
// as U+FFFD; false, appending nothing, if iconv cannot open it.
bool IconvToUtf8(const std::string& cs, std::string_view bytes, std::string* out) {
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  std::string buf(bytes.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* put = buf.data();
  size_t put_left = buf.size();
  while (in_left > 0) {
    if (iconv(cd, &in, &in_left, &put, &put_left) != static_cast<size_t>(-1)) break;
    if (errno != EILSEQ && errno != EINVAL) break;  // E2BIG cannot happen: 4 bytes each
    if (put_left < 3) break;
    std::memcpy(put, "\xEF\xBF\xBD", 3);  // U+FFFD for the byte it could not read
    put += 3;
    put_left -= 3;
    ++in;
    --in_left;
  }
  iconv(cd, nullptr, nullptr, &put, &put_left);  // the shift state's end (ISO-2022-JP)
  iconv_close(cd);
  out->append(buf.data(), buf.size() - put_left);
  return true;
}

}  // namespace

bool CharsetToUtf8(std::string_view charset, std::string_view bytes, std::string* out) {
  std::string cs = AsciiLower(charset);
  if (size_t star = cs.find('*'); star != std::string::npos) cs.resize(star);  // RFC 2231 language
  if (cs == "utf-8" || cs == "utf8" || cs == "us-ascii") {
    out->append(bytes);
    return true;
  }
  const bool latin1 = cs == "iso-8859-1" || cs == "latin1";
  const bool latin9 = cs == "iso-8859-15";
  const bool cp1252 = cs == "windows-1252" || cs == "cp1252";
  if (!latin1 && !latin9 && !cp1252) {
    for (std::string_view known : kIconvCharsets)
      if (cs == known) return IconvToUtf8(cs, bytes, out);
    return false;
  }
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

namespace {

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
  if (!CharsetToUtf8(charset, bytes, &utf8)) return false;
  *out += utf8;
  *end = close + 2;
  return true;
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
    // Postfix logs a folded header's line break as '?' (printable()): after
    // an encoded word, "? =?..." is the whitespace between two (helper-93).
    if (last_encoded && raw[i] == '?' && i + 1 < raw.size() &&
        (raw[i + 1] == ' ' || raw[i + 1] == '\t')) {
      ++i;
      continue;
    }
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

}  // namespace mailtrail
