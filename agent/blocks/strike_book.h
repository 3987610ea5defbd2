// StrikeBook: a block manager's repeat offenders. Each key's blocks that
// count as strikes (when each was made, its strikes, its end); a decision's
// strikes are the most of those that ended within max_period before it. That
// is what a start reads from the store's rows (BlockManager::Restore), so a
// running agent and a restarted one give the next block the same period.
// One count and one end per key could not be undone: a removal moved the
// strike before it forward, or took a live strike away with a hand block
// (helper-117); a block from old lines kept an older strike alive (helper-115
// F4). Pure: times come in.
#ifndef MAILTRAIL_AGENT_BLOCKS_STRIKE_BOOK_H_
#define MAILTRAIL_AGENT_BLOCKS_STRIKE_BOOK_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/track/block.h"

namespace mailtrail {

class StrikeBook {
 public:
  using Key = std::pair<BlockKind, std::string>;
  static constexpr size_t kMaxPerKey = 16;  // the earliest end goes first

  explicit StrikeBook(TimeUs max_period) : max_period_(max_period) {}

  // The most strikes of `id`'s blocks made by `at` that ended after
  // at - max_period (a decision from old lines counts no later block); 0: none.
  int At(const Key& id, TimeUs at) const;
  // `b` counts as a strike of `id` (again, from its row: its strikes, its end).
  void Count(const Key& id, const Block& b);
  // The block of `id` made at `created` is no strike (removed by hand).
  void Forget(const Key& id, TimeUs created);
  // Its end moved (a shortening, a clock step back).
  void MoveEnd(const Key& id, TimeUs created, TimeUs end);
  // Forgets the blocks that ended before `before`, and keys left with none:
  // a key of every flood ever blocked stayed in memory, up to 16 blocks each,
  // for as long as the agent ran (helper-122).
  void Sweep(TimeUs before);
  size_t keys() const { return keys_.size(); }

 private:
  struct Counted {
    TimeUs created = 0;
    int strikes = 0;
    TimeUs end = 0;
  };
  TimeUs max_period_;
  std::map<Key, std::vector<Counted>> keys_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_BLOCKS_STRIKE_BOOK_H_
