// libFuzzer target: any bytes as a host name or mail domain through
// OrgDomain (agent/detect/outbound.cc), which hands log text to libidn2 and
// libpsl. The organisation is bounded and is its own organisation, and
// nothing may crash or leak.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/detect/outbound.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string org = mailtrail::OrgDomain(in);
  if (org.size() > 255) std::abort();                  // a longer name is none
  if (mailtrail::OrgDomain(org) != org) std::abort();  // an organisation is its own
  return 0;
}
