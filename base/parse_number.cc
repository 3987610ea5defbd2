#include "base/parse_number.h"

#include <charconv>

namespace mailtrail {

bool ParseInteger(std::string_view text, int64_t lo, int64_t hi, int64_t* out) {
  if (text.empty() || text.front() == '+') return false;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool ParseDuration(std::string_view text, DurationUnit bare_unit, TimeUs lo, TimeUs hi,
                   TimeUs* out) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view suffix = text.substr(digits);
  int64_t unit = 0;
  if (suffix.empty())
    unit = static_cast<int64_t>(bare_unit);
  else if (suffix == "ms")
    unit = static_cast<int64_t>(DurationUnit::kMilliseconds);
  else if (suffix == "s")
    unit = static_cast<int64_t>(DurationUnit::kSeconds);
  else if (suffix == "m")
    unit = static_cast<int64_t>(DurationUnit::kMinutes);
  else if (suffix == "h")
    unit = static_cast<int64_t>(DurationUnit::kHours);
  else if (suffix == "d")
    unit = static_cast<int64_t>(DurationUnit::kDays);
  int64_t n = 0;
  // At most 100 years of any unit: the product cannot overflow.
  if (unit == 0 || !ParseInteger(text.substr(0, digits), 0, 100LL * 365 * 86400 * 1000, &n))
    return false;
  if (n > INT64_MAX / unit) return false;
  const TimeUs v = n * unit;
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace mailtrail
