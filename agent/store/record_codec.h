// A lossless binary encoding of MessageRecords (every field of
// agent/track/record_fields.h, the agent's own too), for the spool of batches
// that wait for an unreachable store. Pure functions; the
// decoder accepts any bytes (false on garbage, never UB).
#ifndef MAILTRAIL_AGENT_STORE_RECORD_CODEC_H_
#define MAILTRAIL_AGENT_STORE_RECORD_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "agent/track/record.h"

namespace mailtrail {

std::string EncodeRecords(const std::vector<MessageRecord>& records);
bool DecodeRecords(std::string_view data, std::vector<MessageRecord>* out);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_RECORD_CODEC_H_
