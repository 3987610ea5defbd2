// The JSON form of a record: one object per line, exactly the contract of
// docs/record.md (extra fields allowed, none renamed or dropped).
#ifndef MAILTRAIL_AGENT_TRACK_RECORD_JSON_H_
#define MAILTRAIL_AGENT_TRACK_RECORD_JSON_H_

#include <string>

#include "agent/track/record.h"

namespace mailtrail {

// Appends the record as one JSON object (no newline).
void AppendRecordJson(const MessageRecord& r, std::string* out);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_RECORD_JSON_H_
