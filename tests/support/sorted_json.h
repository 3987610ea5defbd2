// Records as sorted JSON lines: compares two sets of records whatever their
// order, and prints readable differences.
#ifndef MAILTRAIL_TESTS_SUPPORT_SORTED_JSON_H_
#define MAILTRAIL_TESTS_SUPPORT_SORTED_JSON_H_

#include <algorithm>
#include <string>
#include <vector>

#include "agent/track/record_json.h"

namespace mailtrail {

inline std::vector<std::string> SortedJson(const std::vector<MessageRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) {
    std::string j;
    AppendRecordJson(r, &j);
    out.push_back(std::move(j));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_SORTED_JSON_H_
