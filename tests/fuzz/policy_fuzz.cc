// libFuzzer target: any bytes through the policy reader, in two pieces cut at
// the first byte's value, and every request answered. The reader's caps must
// hold (nothing kept beyond a line), and nothing may crash or leak.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "actions/policy/policy_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t cut = data[0] % size;
  mailtrail::PolicyTable table;
  table.ips = {"198.51.100.7"};
  table.networks = {*mailtrail::Cidr::Parse("2001:db8::/32")};
  mailtrail::PolicyReader reader;
  std::vector<mailtrail::PolicyRequest> out;
  reader.Feed(in.substr(0, cut), &out);
  reader.Feed(in.substr(cut), &out);
  if (reader.pending() > mailtrail::PolicyReader::kMaxLine) std::abort();
  for (const auto& q : out) {
    if (q.attributes.size() > mailtrail::PolicyReader::kMaxAttributes) std::abort();
    const std::string a =
        mailtrail::PolicyAnswer(q, table, {"450 4.7.1 blocked", "550 5.7.1 bounce"});
    if (a.rfind("action=", 0) != 0) std::abort();
  }
  return 0;
}
