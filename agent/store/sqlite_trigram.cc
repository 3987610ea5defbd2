// The subject index's FTS5 queries (agent/store/sqlite_trigram.h).
#include "agent/store/sqlite_trigram.h"

#include <vector>

namespace mailtrail {

// An FTS5 query for the substring `needle`: one phrase, its quotes doubled.
// With the trigram tokenizer a phrase matches the texts that hold it
// anywhere, in any case (Unicode case folding, coarser than mt_lower's, so
// the messages it names include every one that instr(mt_lower(...)) takes).
std::string TrigramPhrase(const std::string& needle) {
  std::string out = "\"";
  for (char c : needle) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

namespace {
// Where each code point of `s` starts (and, last, s.size()); empty when `s`
// is not valid UTF-8 or holds a NUL (the trigram tokenizer stops at a NUL and
// joins stray continuation bytes to the character before: such a needle is
// searched by the scan).
std::vector<size_t> CodePointStarts(const std::string& s) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
    if (c == 0 || len == 0 || (len == 2 && c < 0xC2) || i + len > s.size()) return {};
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return {};
    starts.push_back(i);
    i += len;
  }
  starts.push_back(s.size());
  return starts;
}
}  // namespace

std::string TrigramTerms(const std::string& needle) {
  const std::vector<size_t> at = CodePointStarts(needle);
  if (at.size() < 4) return "";  // fewer than 3 code points
  const size_t n = at.size() - 1;
  std::string out;
  for (size_t i = 0;; i += 3) {
    if (i + 3 > n) i = n - 3;  // the last three, so that every one is covered
    if (!out.empty()) out += " AND ";
    out += TrigramPhrase(needle.substr(at[i], at[i + 3] - at[i]));
    if (i + 3 >= n) break;
  }
  return out;
}

}  // namespace mailtrail
