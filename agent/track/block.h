// Block: one temporary block, as the outside world sees it (docs/record.md "Block").
// Plain data.
#ifndef MAILTRAIL_AGENT_TRACK_BLOCK_H_
#define MAILTRAIL_AGENT_TRACK_BLOCK_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/civil_time.h"
#include "base/status.h"

namespace mailtrail {

// What a block holds: one address, one network, or one normalised subject.
// In the order of the names, so that maps keyed by kind keep the order the
// strings had.
enum class BlockKind { kCidr, kIp, kSubject };

// The kind's name as the JSON and the stores spell it: "ip", "cidr", "subject".
const char* BlockKindName(BlockKind k);
// The kind named `name` (exactly as BlockKindName spells it); anything else is
// InvalidArgument "block kind must be ip, cidr or subject, not "..."". The one
// place a kind read from the store, the CLI or a web form is checked.
StatusOr<BlockKind> ParseBlockKind(std::string_view name);

struct Block {
  BlockKind kind = BlockKind::kIp;
  std::string key;                        // the IP, the CIDR, or the normalized subject
  std::vector<std::string> raw_subjects;  // subject: the forms seen, for enforcement
  std::string reason, rule, origin_host;
  TimeUs created = 0, expires = 0;
  std::vector<std::string> evidence;  // a few queue ids
  int strikes = 1;                    // how many times this key was blocked (escalation)
  // False for decisions taken while replaying old lines: recorded, never enforced
  // (docs/security.md rule 6).
  bool live = true;
  // Ended by hand (`blocks remove`): the store's mark, read back; such a
  // block was a mistake, and is no strike.
  bool removed = false;
};

// Which block a row is: the store's key (kind, key, created).
struct BlockId {
  BlockKind kind = BlockKind::kIp;
  std::string key;
  TimeUs created = 0;
  bool operator<(const BlockId& o) const {
    if (kind != o.kind) return kind < o.kind;
    if (created != o.created) return created < o.created;
    return key < o.key;
  }
};
inline BlockId IdOf(const Block& b) { return {b.kind, b.key, b.created}; }

// One JSON object (docs/record.md), without a newline.
void AppendBlockJson(const Block& b, std::string* out);

// A raw subject on one line: each run of CR/LF becomes one space (none next to
// other whitespace, as unfolding a header would). Stored subjects are joined by
// '\n', so a line break kept would split one subject into two rules.
std::string OneLine(std::string_view subject);

// The length of a (normalised) subject in characters (UTF-8 code points), for
// the minimum length of subject blocks.
size_t SubjectChars(std::string_view normalized);

// The list fields as stored: items joined by `sep` (subjects by '\n', which no
// log line holds; queue ids by ' ').
std::string JoinItems(const std::vector<std::string>& items, char sep);
std::vector<std::string> SplitItems(const std::string& text, char sep);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_BLOCK_H_
