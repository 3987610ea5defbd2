// Checkpoint: what the live agent stores with every batch of records, in the
// same transaction (Store::WriteBatch): where each log stands and the state of
// the messages still open. Restoring it resumes exactly: nothing lost, nothing
// doubled.
#ifndef MAILTRAIL_AGENT_RUN_CHECKPOINT_H_
#define MAILTRAIL_AGENT_RUN_CHECKPOINT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/tail/file_stream.h"
#include "base/status.h"

namespace mailtrail {

struct Checkpoint {
  struct Stream {
    std::string path;
    std::vector<StreamPosition> positions;  // rotated files first, current last
    int year = 0;                           // of its yearless timestamps
  };
  std::vector<Stream> streams;
  std::string tracker_state;  // MessageTracker::SaveState(): a JSON object
};

std::string EncodeCheckpoint(const Checkpoint& cp);
// Corruption for anything that is not a checkpoint this version wrote.
StatusOr<Checkpoint> DecodeCheckpoint(std::string_view bytes);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_CHECKPOINT_H_
