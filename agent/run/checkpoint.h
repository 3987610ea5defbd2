// Checkpoint: what the live agent stores with every batch of records, in the
// same transaction (Store::WriteBatch): where each log stands and the state of
// the messages still open. Restoring it resumes exactly: nothing lost, nothing
// doubled.
//
// The store keeps a checkpoint as parts (CheckpointUpdate): the first holds the
// tracker's whole state, each later one where the logs stand then and the
// tracker's changes since the part before (MessageTracker::SaveChanges).
//
// A part is JSON: {"v":2,"seq":N,"streams":[...],"detector":{...},"tracker":{...}}.
// A tracker state of 4 KiB or more is compressed instead: the same object with
// "tracker_zstd": its plain size in place of "tracker", a newline, and the zstd
// frame. Either way the streams are in the first line.
//
// Version 2 (2026-12) added the flood detector's state (FloodDetector::
// SaveState), absent when the part does not carry it: "detector", or when it
// is 4 KiB or more "detector_zstd": [plain size, frame size] with its frame
// right after the newline, before the tracker's. Version 1 parts (no detector)
// are read as ever.
//
// A stream's "month" and "last" (2026-12; absent before, and ignored by the
// versions before) say where its year stood: the month and time of the last
// yearless line read.
//
// A part of an agent reading the systemd journal also holds "journal": the
// cursor of the last entry read (2026-12; absent otherwise, and read as such
// by the versions before, which only had files).
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
    // The month and time of the last yearless line (DatedLineParser::Resume);
    // 0: none, or a checkpoint from before 2026-12 ("month", "last").
    int month = 0;
    int64_t last_time = 0;
  };
  std::vector<Stream> streams;
  // Reading the journal: the cursor of the last entry read, "" when none was
  // (the next start reads from its head). Meaningful only with journal_read.
  std::string journal_cursor;
  bool journal_read = false;
  std::string tracker_state;  // SaveState() or SaveChanges(): a JSON object
  // FloodDetector::SaveState(), whole; empty: this part does not carry one.
  std::string detector_state;
  // Counts the parts an agent wrote: no two parts are the same bytes (the spool
  // recognises the last part the primary holds by them).
  int64_t seq = 0;
};

std::string EncodeCheckpoint(const Checkpoint& cp);
// Corruption for anything that is not a checkpoint this version wrote.
StatusOr<Checkpoint> DecodeCheckpoint(std::string_view bytes);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_CHECKPOINT_H_
