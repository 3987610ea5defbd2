// ReplayJournal: `mailtrail replay --journal-file FILE` and `--journal`: the
// entries of journal files (or of the system journal) between two times, read
// once like log files (agent/replay/replay.h), records to `sink`.
#ifndef MAILTRAIL_AGENT_JOURNAL_JOURNAL_REPLAY_H_
#define MAILTRAIL_AGENT_JOURNAL_JOURNAL_REPLAY_H_

#include "agent/journal/journal_reader.h"
#include "agent/replay/line_stats.h"
#include "agent/replay/replay.h"
#include "agent/track/tracker.h"

namespace mailtrail {

// since/until: 0 for no bound; `until` is inclusive. Lines are counted in
// `counter`; records still open at the end are flushed as a replay's are.
// `read` (may be null): the reader's counters at the end (refused entries).
Status ReplayJournal(const JournalSource& source, TimeUs since, TimeUs until,
                     const ReplayOptions& options, RecordSink* sink, LineCounter* counter,
                     JournalCounters* read = nullptr);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_JOURNAL_JOURNAL_REPLAY_H_
