// Numbers read back from the agent's own saved JSON (tracker states,
// checkpoints). nlohmann's get<int>() takes a float or an out-of-range integer
// with a cast, undefined behaviour for a double out of range: a damaged file
// must be refused instead, and a time far outside any log's must not overflow
// the sums the tracker makes with it.
#ifndef MAILTRAIL_AGENT_TRACK_JSON_NUMBER_H_
#define MAILTRAIL_AGENT_TRACK_JSON_NUMBER_H_

#include <cstdint>
#include <limits>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "base/civil_time.h"

namespace mailtrail {

// An integer of type T, as this version writes it. Anything else throws a
// json::exception, which the readers report as Corruption.
template <typename T>
T IntFromJson(const nlohmann::json& j) {
  static_assert(std::is_integral_v<T>);
  using Limits = std::numeric_limits<T>;
  bool fits = false;
  if (j.is_number_unsigned()) {
    fits = j.get<uint64_t>() <= static_cast<uint64_t>(Limits::max());
  } else if (j.is_number_integer()) {
    const int64_t v = j.get<int64_t>();
    if constexpr (std::is_signed_v<T>)
      fits = v >= static_cast<int64_t>(Limits::min()) && v <= static_cast<int64_t>(Limits::max());
    else
      fits = v >= 0 && static_cast<uint64_t>(v) <= static_cast<uint64_t>(Limits::max());
  }
  if (!fits) throw nlohmann::json::other_error::create(501, "not an integer of its type", &j);
  return j.get<T>();
}

// A log time in microseconds: any the parsers can produce, and none so far
// out that adding a grace period or a timeout to it could overflow.
inline TimeUs TimeFromJson(const nlohmann::json& j) {
  const TimeUs t = IntFromJson<TimeUs>(j);
  if (t < -kLogTimeLimit || t > kLogTimeLimit)
    throw nlohmann::json::other_error::create(501, "a time out of range", &j);
  return t;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_JSON_NUMBER_H_
