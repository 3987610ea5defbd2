#include "agent/cli/block_ends.h"

#include "agent/detect/subject.h"
#include "base/cidr.h"
#include "base/ip_address.h"

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
}  // namespace

StatusOr<int> SetBlockEndsByKey(Store& store, const std::string& key, TimeUs now, TimeUs end) {
  for (const std::string& k : {key, CanonicalAddressKey(key), NormalizeSubject(key)}) {
    auto n = store.SetBlockEnds(k, now, end);
    if (!n.ok() || *n > 0) return n;
  }
  return 0;
}

}  // namespace mailtrail::cli
