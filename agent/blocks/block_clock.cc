// BlockManager and the wall clock: a clock stepped back while the agent runs
// (its blocks keep the time they had left), and stored blocks made too far
// ahead of this clock (docs/postfix.md, "Blocks end on time").
#include <algorithm>

#include "agent/blocks/block_manager.h"
#include "base/text.h"

namespace mailtrail {

// By this clock a block made after `now` lasts its period plus the gap: years
// for a clock set back to an old date at boot (a dead RTC, a restored virtual
// machine). No decision gives a block more than max_period, so one made further
// ahead than that, and than a day, says this clock is wrong, not that the block
// is long: it is not enforced until the clock is back within that of its
// creation. A smaller gap is not told from a row whose end an agent moved back
// when its clock stepped back while it ran (its creation stays ahead by up to
// the step), which must keep its end, nor from a fleet member's clock a few
// minutes ahead. Decided from the row alone, so every reader of the store (the
// agent at each refresh, `enforce --reconcile`) agrees, but for a block already
// active here (Restore), and `blocks explain` says so.
bool MadeTooFarAhead(const Block& b, TimeUs now, TimeUs max_period) {
  constexpr TimeUs kDay = 86400 * kUsPerSecond;
  return b.created > now && b.created - now > std::max(max_period, kDay);
}

std::string MadeAheadReason(const Block& b, TimeUs now) {
  return "made at " + FormatRfc3339(b.created) + ", " +
         std::to_string((b.created - now) / kUsPerSecond) +
         " s ahead of this clock, more than [blocks] max_period and a day (this clock set back, "
         "or the deciding agent's ahead)";
}

std::vector<Block> BlockManager::ClockSteppedBack(TimeUs by) {
  std::vector<Block> moved;
  if (by <= 0) return moved;
  for (auto& [id, b] : active_) {
    auto mine = made_here_.find(id);
    // Not live (old lines): a record, enforced nowhere, whose times stay.
    if (!b.live || mine == made_here_.end() || mine->second != b.created) continue;
    Moved& m = moved_back_[id];
    if (m.created != b.created) m = Moved{b.created, {}};
    // Every end it had before leads to the new one (a second step moves
    // the first one's too).
    for (auto& [old_end, new_end] : m.ends) new_end -= by;
    if (m.ends.size() < 16) m.ends.emplace_back(b.expires, b.expires - by);
    strikes_.MoveEnd(id, b.created, b.expires - by);
    b.expires -= by;
    if (auto it = until_.find(id); it != until_.end()) it->second -= by;
    moved.push_back(b);
  }
  for (auto& [id, b] : ended_here_) {
    b.expires -= by;
    strikes_.MoveEnd({id.kind, id.key}, b.created, b.expires);
    moved.push_back(b);
  }
  next_expiry_ = 0;  // Expire() looks at every block again
  if (!moved.empty()) ++version_;
  return moved;
}

TimeUs BlockManager::EndHere(const Block& b) const {
  // Ended here: its end as it was here, moved with the clock.
  if (auto e = ended_here_.find(IdOf(b)); e != ended_here_.end())
    return std::min(b.expires, e->second.expires);
  // Only a row holding an end this block had before a move is older than it;
  // any other end (the moved one saved, `blocks extend`, `blocks remove`) is
  // taken as written.
  auto it = moved_back_.find({b.kind, b.key});
  if (it == moved_back_.end() || it->second.created != b.created) return b.expires;
  for (const auto& [old_end, new_end] : it->second.ends)
    if (b.expires == old_end) return new_end;
  return b.expires;
}

}  // namespace mailtrail
