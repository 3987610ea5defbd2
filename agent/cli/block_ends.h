// Ending and extending blocks by hand: `mailtrail blocks remove|extend` and
// the web console's write routes share this, so both accept the same keys.
#ifndef MAILTRAIL_AGENT_CLI_BLOCK_ENDS_H_
#define MAILTRAIL_AGENT_CLI_BLOCK_ENDS_H_

#include <string>

#include "agent/store/store.h"
#include "base/civil_time.h"
#include "base/status.h"

namespace mailtrail::cli {

// Moves the end of the blocks of `key` active at `now` to `end` (`now` ends
// them) and says how many: `key` as typed (an IP, a network, a normalised
// subject), else as a subject typed the way it was sent ("Undeliverable
// Mail:" finds "undeliverable mail"). Each is one store statement
// (Store::SetBlockEnds), and removed blocks are marked so: an extend racing
// a `blocks remove` never revives the removed block, whichever read its
// clock first. Only live blocks are extended: one decided on replayed lines
// was never enforced, and a later end would not enforce it (helper-94).
StatusOr<int> SetBlockEndsByKey(Store& store, const std::string& key, TimeUs now, TimeUs end);

// Why extending `key` at `now` moved no block, for the admin: no active
// block of it, or only one that is not live (and how to block it instead).
StatusOr<std::string> WhyNotExtended(Store& store, const std::string& key, TimeUs now);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_BLOCK_ENDS_H_
