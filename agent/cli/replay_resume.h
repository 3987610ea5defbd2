// `mailtrail replay` of a log whose earlier part an earlier replay read: a
// message cut by the end of that log goes on from the record stored then
// (TrackerOptions::resume), so that two replays of a log cut inside messages
// store what one replay of the whole would (docs/install.md, "Replaying
// logs in parts").
#ifndef MAILTRAIL_AGENT_CLI_REPLAY_RESUME_H_
#define MAILTRAIL_AGENT_CLI_REPLAY_RESUME_H_

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "agent/store/store.h"
#include "agent/track/record.h"
#include "base/log.h"

namespace mailtrail::cli {

using ResumeFn =
    std::function<std::optional<MessageRecord>(std::string_view, std::string_view, TimeUs)>;

// Reads through `reader`, a connection of its own to the replay's store,
// opened before the replay wrote anything: none when the store was empty
// (nothing to go on with). The record taken for a line of time T is the
// latest of its host and queue id that arrived before the replay began and
// either was left open by its log (its end `open`; not `session`, a message
// whose session ended before it was queued, for good) or already covers T
// (the same log read again: what comes of it is kept as stored,
// idempotent), and whose last line is within `stale_after` of T (else one
// replay of the whole would have closed it as stale too). A store that
// cannot answer is said once (WarnCannotResume), and the message starts
// afresh.
StatusOr<ResumeFn> ResumeFromStore(std::shared_ptr<Store> reader, TimeUs stale_after, Logger* log);

// What the replay says, once, when it cannot read the records an earlier
// replay left open.
void WarnCannotResume(Logger* log, const Status& why);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_REPLAY_RESUME_H_
