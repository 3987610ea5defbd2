// libFuzzer target: any bytes as a Postfix queue file. The reader must return
// an error or a result within its caps, never read out of bounds or loop.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "parsers/queue_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mailtrail::QueueFileLimits limits;
  limits.max_records = 100000;
  limits.max_headers = 50;
  limits.max_header_bytes = 1024;
  limits.max_recipients = 100;
  limits.max_attributes = 50;
  auto q = mailtrail::ParseQueueFile(std::string_view(reinterpret_cast<const char*>(data), size),
                                     limits);
  if (!q.ok()) return 0;
  if (q->headers.size() > limits.max_headers || q->recipients.size() > limits.max_recipients ||
      q->attributes.size() > limits.max_attributes || q->records > limits.max_records)
    std::abort();
  for (const auto& [name, value] : q->headers)
    if (value.size() > limits.max_header_bytes) std::abort();
  q->LooksLikeBounce();
  return 0;
}
