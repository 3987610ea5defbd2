// A record as the checkpoint keeps an open message (MessageTracker::SaveState):
// a JSON object of every field of agent/track/record_fields.h, named as there,
// without those at their default (empty text, no value, false, empty list). A
// field missing from a saved state reads as its default, so a state saved
// before a field existed still loads. Internal format: docs/record.md is the
// contract of records as `search` prints them.
#ifndef MAILTRAIL_AGENT_TRACK_RECORD_STATE_H_
#define MAILTRAIL_AGENT_TRACK_RECORD_STATE_H_

#include <nlohmann/json_fwd.hpp>

#include "agent/track/record.h"
#include "base/json_writer.h"

namespace mailtrail {

void WriteRecordState(JsonWriter* w, const MessageRecord& r);
// Throws nlohmann::json::exception on a value of the wrong type or range (the
// tracker's LoadState reports it as Corruption).
MessageRecord RecordFromState(const nlohmann::json& j);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_RECORD_STATE_H_
