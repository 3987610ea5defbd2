#include "agent/detect/subject.h"

#include <cstdint>
#include <vector>

#include "base/rfc2047.h"
#include "base/utf8.h"

namespace mailtrail {

namespace {

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

// Prefixes that wrap the subject of the message a reply, a forward, a
// non-delivery notice, an auto-reply or a read receipt is about (lower case,
// without the trailing colon). Auto-replies and receipts come from the null
// sender too, and return no Message-ID: their subject is how they are known
// to answer our own mail (outbound.h).
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
                                          "non distribuable",
                                          "automatic reply",
                                          "auto",
                                          "autoreply",
                                          "auto reply",
                                          "auto-reply",
                                          "out of office",
                                          "out of office reply",
                                          "out of office autoreply",
                                          "abwesenheitsnotiz",
                                          "automatische antwort",
                                          "réponse automatique",
                                          "respuesta automática",
                                          "risposta automatica",
                                          "automatisch antwoord",
                                          "autosvar",
                                          "read",
                                          "gelesen",
                                          "lu",
                                          "leído",
                                          "letto",
                                          "gelezen",
                                          "läst"};

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
