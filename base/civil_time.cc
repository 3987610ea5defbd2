#include "base/civil_time.h"

#include <cctype>
#include <cstdio>

namespace mailtrail {

// Howard Hinnant's days_from_civil.
int64_t DaysFromCivil(int year, int month, int day) {
  const int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t EpochSeconds(int year, int month, int day, int hour, int minute, int second) {
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

namespace {
void CivilFromDays(int64_t z, int* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = static_cast<int>(yoe + era * 400 + (*month <= 2 ? 1 : 0));
}
}  // namespace

std::string FormatRfc3339(TimeUs t) {
  int64_t secs = t >= 0 ? t / kUsPerSecond : -((-t + kUsPerSecond - 1) / kUsPerSecond);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int y, m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  return buf;
}

bool ParseRfc3339(const std::string& text, TimeUs* out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return false;
  size_t pos = 10;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    int n2 = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &n2) != 3 || n2 != 8)
      return false;
    pos += 1 + 8;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  // A day the month has (Feb 31 is refused, not read as March 3).
  if (d > 28 && d > DaysFromCivil(mo == 12 ? y + 1 : y, mo % 12 + 1, 1) - DaysFromCivil(y, mo, 1))
    return false;
  int64_t offset = 0;
  if (pos < text.size()) {
    char sign = text[pos];
    if (sign == 'Z' && pos + 1 == text.size()) {
    } else if ((sign == '+' || sign == '-') && text.size() == pos + 6 && text[pos + 3] == ':') {
      // Two digits each, 00-23 and 00-59 (RFC 3339 time-numoffset): "+99:99"
      // was read as a shift of four days (helper-129).
      for (size_t k : {pos + 1, pos + 2, pos + 4, pos + 5})
        if (!std::isdigit(static_cast<unsigned char>(text[k]))) return false;
      const int oh = (text[pos + 1] - '0') * 10 + (text[pos + 2] - '0');
      const int om = (text[pos + 4] - '0') * 10 + (text[pos + 5] - '0');
      if (oh > 23 || om > 59) return false;
      offset = (sign == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else {
      return false;
    }
  }
  *out = (EpochSeconds(y, mo, d, h, mi, s) - offset) * kUsPerSecond;
  return true;
}

}  // namespace mailtrail
