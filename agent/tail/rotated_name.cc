// The names of a log's rotated files (file_stream.h: which files a scan reads).
#include "agent/tail/rotated_name.h"

#include <algorithm>
#include <string>

namespace mailtrail {

bool IsGzipName(std::string_view name) {
  return name.size() > 3 && name.substr(name.size() - 3) == ".gz";
}

// "mail.log.9" before "mail.log.10": runs of digits compare as numbers.
bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t ei = i, ej = j;
      while (ei < a.size() && a[ei] == '0') ++ei;  // leading zeros say nothing
      while (ej < b.size() && b[ej] == '0') ++ej;
      size_t ni = ei, nj = ej;
      while (ni < a.size() && digit(a[ni])) ++ni;
      while (nj < b.size() && digit(b[nj])) ++nj;
      if (ni - ei != nj - ej) return ni - ei < nj - ej;
      if (int c = a.compare(ei, ni - ei, b, ej, nj - ej); c != 0) return c < 0;
      i = ni;
      j = nj;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// logrotate's number of a rotated `log` (log.N or log.N.gz, N from 1 to
// 99999: the higher, the older); -1 for any other name (a date after a dot,
// dateformat .%Y%m%d, has more digits).
int64_t RotationNumber(const std::string& name, const std::string& log) {
  if (name.size() <= log.size() + 1 || name.compare(0, log.size(), log) != 0 ||
      name[log.size()] != '.')
    return -1;
  std::string n = name.substr(log.size() + 1);
  if (IsGzipName(n)) n.resize(n.size() - 3);
  if (n.empty() || n.size() > 5 || n.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stoll(n);
}

bool IsRotatedNameOf(const std::string& name, const std::string& log) {
  if (name.size() <= log.size() || name.compare(0, log.size(), log) != 0) return false;
  std::string_view rest(name);
  rest.remove_prefix(log.size());
  if (IsGzipName(name) && rest.size() >= 3) rest.remove_suffix(3);
  // A separator, then digits in groups: ".1", "-20261208", "-20261208-1733616000",
  // ".2026-12-08", ".20261208T101500" (newsyslog; a 'T' only between digits). Not
  // "mail.log.1.xz" (read as text it is garbage), ".1.gz.tmp" (a compressor's file
  // being written), ".1.bak", ".1~" (helper-145 B). logrotate numbers after a
  // dot; after a dash or an underscore comes a date, whose first group has six
  // digits or more ("-202612", "-20261208", "-1733616000"), or four and another
  // group ("-2026-12-08"): "postfix-2", "postfix-10025" are other instances'
  // logs, "postfix-2-20261208" one of theirs rotated (helper-147, -148).
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto separator = [](char c) { return c == '.' || c == '-' || c == '_'; };
  if (rest.size() < 2 || !separator(rest[0]) || !digit(rest[1]) || !digit(rest.back()))
    return false;
  for (size_t i = 1; i < rest.size(); ++i) {
    // rest.back() is a digit: rest[i + 1] exists
    if (!digit(rest[i]) && !separator(rest[i]) &&
        !(rest[i] == 'T' && digit(rest[i - 1]) && digit(rest[i + 1])))
      return false;
  }
  if (rest[0] == '.') return true;
  const size_t end = std::min(rest.find_first_not_of("0123456789", 1), rest.size());
  const size_t first = end - 1;  // the first group's digits
  return first >= 6 || (first == 4 && end < rest.size() && separator(rest[end]));
}

}  // namespace mailtrail
