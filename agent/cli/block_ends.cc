#include "agent/cli/block_ends.h"

#include <vector>

#include "agent/detect/subject.h"
#include "base/cidr.h"
#include "base/ip_address.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {
// An address or network as block keys are stored (block_guard.cc): one
// spelling per address, "2001:db8:1::5" for "2001:DB8:1:0::5", "192.0.2.9"
// for "::ffff:192.0.2.9".
std::string CanonicalAddressKey(const std::string& key) {
  if (key.find('/') == std::string::npos) {
    if (auto ip = IpAddress::Parse(key)) return ip->ToString();
  } else if (auto net = Cidr::Parse(key)) {
    return net->ToString();
  }
  return key;
}

// The key as typed, as an address is stored, as a subject is normalised.
std::vector<std::string> KeySpellings(const std::string& key) {
  return {key, CanonicalAddressKey(key), NormalizeSubject(key)};
}
}  // namespace

StatusOr<int> SetBlockEndsByKey(Store& store, const std::string& key, TimeUs now, TimeUs end) {
  for (const std::string& k : KeySpellings(key)) {
    auto n = store.SetBlockEnds(k, now, end);
    if (!n.ok() || *n > 0) return n;
  }
  return 0;
}

StatusOr<std::string> WhyNotExtended(Store& store, const std::string& key, TimeUs now) {
  auto active = store.LoadBlocks(now);
  if (!active.ok()) return active.status();
  for (const std::string& k : KeySpellings(key))
    for (const Block& b : *active)
      if (b.key == k && !b.live)
        return "the block of " + EscapeForLog(k, 200) +
               " is not live: it was decided on replayed lines and never enforced, so it is "
               "not extended; `mailtrail blocks add " +
               BlockKindName(b.kind) + " '" + EscapeForLog(k, 200) + "' --for 1h` blocks it";
  return "no active block of " + EscapeForLog(key, 200);
}

}  // namespace mailtrail::cli
