// zstd for the agent's own blobs (events of a record, checkpoint states): level
// 1 by default, one compression context per thread, reused.
#ifndef MAILTRAIL_BASE_ZSTD_TEXT_H_
#define MAILTRAIL_BASE_ZSTD_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace mailtrail {

// One zstd frame holding `plain` (its size and a checksum recorded in the
// frame); empty when zstd fails (out of memory).
std::string ZstdCompress(std::string_view plain, int level = 1);

// True when `s` begins with zstd's frame magic number.
bool IsZstdFrame(std::string_view s);

// The plain bytes of one frame whose plain size is exactly `size`, at most
// `max_size`; false for anything else (damage, a checksum that does not match,
// another size, a bomb).
bool ZstdDecompress(std::string_view frame, size_t size, size_t max_size, std::string* plain);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_ZSTD_TEXT_H_
