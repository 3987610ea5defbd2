// What `mailtrail blocks add` refuses before anything reaches the store: the
// networks the command line can know are protected (docs/security.md rule 4). The
// agent checks again whatever reaches it (block_manager.h), since a block may
// come from another machine sharing the store; this check only says no early,
// with the reason, to the admin who typed it.
#ifndef MAILTRAIL_AGENT_CLI_BLOCK_GUARD_H_
#define MAILTRAIL_AGENT_CLI_BLOCK_GUARD_H_

#include <optional>
#include <string>

#include "agent/blocks/allowlist.h"
#include "agent/config/config.h"
#include "agent/track/block.h"
#include "base/cidr.h"
#include "base/status.h"

namespace mailtrail::cli {

struct BlockGuard {
  // Loopback (all of it, every spelling), the never-client addresses, this
  // machine's addresses, Postfix's mynetworks (postconf's stdout), [blocks]
  // allow: each with its source, for the message.
  Allowlist allow;
  size_t min_subject_chars = 12;  // [blocks] min_subject_chars
  // [blocks] max_period: a stored block made further ahead of the clock (and
  // than a day) is not enforced (MadeTooFarAhead, block_manager.h).
  TimeUs max_period = 7 * 86400 * kUsPerSecond;
};

// Built from `config_path` (must load), or else the default configuration
// file when it can be read; `postfix_dir` overrides its postfix_config_dir.
// What cannot be read (postconf failing) is said on stderr and skipped.
StatusOr<BlockGuard> LoadBlockGuard(const std::optional<std::string>& config_path,
                                    const std::optional<std::string>& postfix_dir);

// The same from a configuration already loaded (the live agent's console).
BlockGuard MakeBlockGuard(const Config& c);

// "" when a block on `net` may be added; else why not ("203.0.113.0/24 is in
// mynetworks ...").
std::string ProtectedReason(const BlockGuard& guard, const Cidr& net);

// A block added by hand (`mailtrail blocks add`, the web console): `key`
// validated for its `kind` (ip, cidr, subject: the one place a kind typed by
// hand is parsed, ParseBlockKind) and checked against the guard.
// InvalidArgument says what is malformed; a refusal's message starts with
// "refused: " and says why.
StatusOr<Block> ManualBlock(const BlockGuard& guard, const std::string& kind,
                            const std::string& key, const std::string& reason, TimeUs now,
                            TimeUs period);

}  // namespace mailtrail::cli

#endif  // MAILTRAIL_AGENT_CLI_BLOCK_GUARD_H_
