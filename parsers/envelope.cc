#include "parsers/envelope.h"

#include "base/civil_time.h"

namespace mailtrail {

namespace {

int64_t Days(const ParseContext& ctx, int year, int month, int day) {
  auto& m = ctx.day_memo;
  if (m.year != year || m.month != month || m.day != day) {
    m = {year, month, day, DaysFromCivil(year, month, day)};
  }
  return m.days;
}

inline bool Digit(char c) { return c >= '0' && c <= '9'; }
inline int D2(const char* p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

// 1..12, or 0. The three letters packed in an integer: one compare per month.
int MonthFromName(std::string_view m) {
  static constexpr uint32_t kNames[] = {
      'J' << 16 | 'a' << 8 | 'n', 'F' << 16 | 'e' << 8 | 'b', 'M' << 16 | 'a' << 8 | 'r',
      'A' << 16 | 'p' << 8 | 'r', 'M' << 16 | 'a' << 8 | 'y', 'J' << 16 | 'u' << 8 | 'n',
      'J' << 16 | 'u' << 8 | 'l', 'A' << 16 | 'u' << 8 | 'g', 'S' << 16 | 'e' << 8 | 'p',
      'O' << 16 | 'c' << 8 | 't', 'N' << 16 | 'o' << 8 | 'v', 'D' << 16 | 'e' << 8 | 'c'};
  const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(m[0])) << 16 |
                     static_cast<uint32_t>(static_cast<unsigned char>(m[1])) << 8 |
                     static_cast<unsigned char>(m[2]);
  for (int i = 0; i < 12; ++i)
    if (v == kNames[i]) return i + 1;
  return 0;
}

bool Hms(std::string_view s, int* h, int* m, int* sec) {
  if (s.size() < 8 || !Digit(s[0]) || !Digit(s[1]) || s[2] != ':' || !Digit(s[3]) || !Digit(s[4]) ||
      s[5] != ':' || !Digit(s[6]) || !Digit(s[7]))
    return false;
  *h = D2(s.data());
  *m = D2(s.data() + 3);
  *sec = D2(s.data() + 6);
  return *h < 24 && *m < 60 && *sec <= 60;
}

// "Nov  7 11:21:14 " / "Nov 07 11:21:14 ": 16 bytes.
bool ParseBsdTime(std::string_view* s, const ParseContext& ctx, Event* ev) {
  if (s->size() < 16 || (*s)[3] != ' ' || (*s)[15] != ' ') return false;
  const int month = MonthFromName(s->substr(0, 3));
  if (month == 0) return false;
  const char d0 = (*s)[4], d1 = (*s)[5];
  if (!Digit(d1) || !(d0 == ' ' || Digit(d0))) return false;
  const int day = (d0 == ' ' ? 0 : (d0 - '0') * 10) + (d1 - '0');
  if (day < 1 || (*s)[6] != ' ') return false;
  if (day > 28) {  // does this month have that day (in this year)?
    const int next_year = month == 12 ? ctx.year + 1 : ctx.year, next_month = month % 12 + 1;
    if (day > DaysFromCivil(next_year, next_month, 1) - DaysFromCivil(ctx.year, month, 1))
      return false;
  }
  int h, m, sec;
  if (!Hms(s->substr(7, 8), &h, &m, &sec)) return false;
  ev->month = month;
  ev->time =
      (Days(ctx, ctx.year, month, day) * 86400 + h * 3600 + m * 60 + sec - ctx.utc_offset_seconds) *
      kUsPerSecond;
  s->remove_prefix(16);
  return true;
}

// "2026-11-27T12:10:10.028159+00:00 " (fraction optional, "Z" or +-hh:mm).
bool ParseRfc3339Time(std::string_view* s, const ParseContext& ctx, Event* ev) {
  const std::string_view t = *s;
  if (t.size() < 21 || t[4] != '-' || t[7] != '-' || t[10] != 'T') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!Digit(t[i])) return false;
  const int year = D2(t.data()) * 100 + D2(t.data() + 2);
  const int month = D2(t.data() + 5), day = D2(t.data() + 8);
  int h, m, sec;
  if (month < 1 || month > 12 || day < 1 || day > 31 || !Hms(t.substr(11, 8), &h, &m, &sec))
    return false;
  size_t i = 19;
  int64_t frac_us = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int64_t scale = 100000;
    while (i < t.size() && Digit(t[i])) {
      frac_us += (t[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  int64_t offset = 0;
  if (i < t.size() && t[i] == 'Z') {
    ++i;
  } else if (i + 6 <= t.size() && (t[i] == '+' || t[i] == '-') && Digit(t[i + 1]) &&
             Digit(t[i + 2]) && t[i + 3] == ':' && Digit(t[i + 4]) && Digit(t[i + 5])) {
    offset = (t[i] == '+' ? 1 : -1) * (D2(t.data() + i + 1) * 3600 + D2(t.data() + i + 4) * 60);
    i += 6;
  } else {
    return false;
  }
  if (i >= t.size() || t[i] != ' ') return false;
  ev->month = 0;
  ev->time =
      (Days(ctx, year, month, day) * 86400 + h * 3600 + m * 60 + sec - offset) * kUsPerSecond +
      frac_us;
  s->remove_prefix(i + 1);
  return true;
}

}  // namespace

bool ParseEnvelope(std::string_view line, const ParseContext& ctx, Event* ev) {
  ev->kind = EventKind::kUnparsable;
  std::string_view s = line;
  if (s.empty()) return false;
  if (Digit(s[0])) {
    if (!ParseRfc3339Time(&s, ctx, ev)) return false;
  } else if (!ParseBsdTime(&s, ctx, ev)) {
    return false;
  }
  // host
  const size_t sp = s.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return false;
  ev->host = s.substr(0, sp);
  s.remove_prefix(sp + 1);
  // tag: "prog[pid]: " or "prog: ", with no space in it: so the first space
  // after the host is the one of the first ": " (one memchr instead of two
  // searches; a space anywhere before it refuses the line, as it always did).
  const size_t sp2 = s.find(' ');
  if (sp2 == std::string_view::npos || sp2 < 2 || s[sp2 - 1] != ':') return false;
  const size_t colon = sp2 - 1;
  std::string_view tag = s.substr(0, colon);
  ev->message = s.substr(colon + 2);
  ev->pid = 0;
  if (tag.back() == ']') {
    const size_t open = tag.rfind('[');
    if (open == std::string_view::npos || open == 0) return false;
    uint32_t pid = 0;
    for (size_t i = open + 1; i + 1 < tag.size(); ++i) {
      if (!Digit(tag[i]) || pid > 100000000) return false;
      pid = pid * 10 + static_cast<uint32_t>(tag[i] - '0');
    }
    ev->pid = pid;
    tag = tag.substr(0, open);
  }
  ev->program = tag;
  const size_t slash = tag.rfind('/');
  ev->daemon = slash == std::string_view::npos ? tag : tag.substr(slash + 1);
  ev->kind = EventKind::kUnknown;
  return true;
}

}  // namespace mailtrail
