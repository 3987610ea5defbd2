// Why a block exists and what it does: the rule, strike and decision, each
// subject form with the header_checks line enforcement writes for it and what
// that refuses, whether this machine would refuse to enforce it (protected
// networks, too short a subject, made too far ahead of its clock), and its evidence messages from
// the store. One source for `mailtrail blocks explain` and the web console's explain
// (/blocks/explain, /api/v1/blocks/explain), so the two cannot disagree.
#ifndef MAILTRAIL_AGENT_CLI_BLOCK_EXPLAIN_H_
#define MAILTRAIL_AGENT_CLI_BLOCK_EXPLAIN_H_

#include <optional>
#include <string>
#include <vector>

#include "agent/cli/block_guard.h"
#include "agent/store/store.h"
#include "agent/track/block.h"
#include "base/status.h"

namespace mailtrail::cli {

struct BlockExplanation {
  Block block;
  bool active = false;
  struct SubjectForm {
    std::string raw;           // as seen in the log
    std::string header_check;  // the line enforcement writes
    std::string matches;       // what that line refuses
  };
  std::vector<SubjectForm> subjects;
  // Why this machine would not enforce it; empty: it would.
  std::string not_enforced;
  struct Evidence {
    std::string qid;
    std::optional<MessageRecord> record;  // nullopt: not in the store
    std::string error;                    // the store's error, if any
  };
  std::vector<Evidence> evidence;
};

// Every block (active or ended) whose key is `key` or, for subjects, its
// normalised form; none: an empty list.
StatusOr<std::vector<BlockExplanation>> ExplainBlocks(Store& store, const BlockGuard& guard,
                                                      const std::string& key, TimeUs now);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_BLOCK_EXPLAIN_H_
