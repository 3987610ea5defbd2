// Compact encodings of a record's list fields in SQL columns. Pure functions.
// Every decoder accepts any bytes (a corrupt column yields what it can, never UB).
#ifndef MAILTRAIL_AGENT_STORE_SQLITE_CODEC_H_
#define MAILTRAIL_AGENT_STORE_SQLITE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/track/record.h"

namespace mailtrail {

// The dictionary's lookup key: 64-bit FNV-1a over the kind byte and the text.
int64_t DictHash(int kind, std::string_view text);

// Queue ids joined by ' ' (queue ids never hold spaces).
std::string JoinList(const std::vector<std::string>& v);
std::vector<std::string> SplitList(std::string_view s);

// "scanner\taction\tverdict\tscore\n" per scan (score empty when unknown).
std::string EncodeScans(const std::vector<ScanResult>& scans);
std::vector<ScanResult> DecodeScans(std::string_view s);

// "time_us\tprogram\ttext\n" per event (tabs/newlines in text escaped): its
// size as 4 little-endian bytes, then a zstd frame. DecodeEvents also reads the
// zlib stream that earlier versions wrote in place of the frame.
std::string EncodeEvents(const std::vector<RecordEvent>& events);
std::vector<RecordEvent> DecodeEvents(std::string_view blob);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_SQLITE_CODEC_H_
