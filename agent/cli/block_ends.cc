#include "agent/cli/block_ends.h"

#include "agent/detect/subject.h"

namespace mailtrail::cli {

StatusOr<int> SetBlockEndsByKey(Store& store, const std::string& key, TimeUs now, TimeUs end) {
  for (const std::string& k : {key, NormalizeSubject(key)}) {
    auto n = store.SetBlockEnds(k, now, end);
    if (!n.ok() || *n > 0) return n;
  }
  return 0;
}

}  // namespace mailtrail::cli
