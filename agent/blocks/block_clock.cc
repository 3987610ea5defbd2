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

// Only steps back are followed. A step forward that is no suspend (seen
// against CLOCK_BOOTTIME) is as often a virtual machine resumed or restored
// from a snapshot, whose clocks stood still while days went by: moving its
// blocks' ends forward would keep them those days too long. So a wrong step
// forward, put right later, ends the blocks made before it early, and they
// stay ended (helper-150 #2): the side on which no legitimate server is
// refused longer than its period; a flood that goes on is blocked again.
std::vector<Block> BlockManager::ClockSteppedBack(TimeUs by, TimeUs now) {
  std::vector<Block> moved;
  if (by <= 0) return moved;
  for (auto& [id, b] : active_) {
    auto mine = made_here_.find(IdOf(b));
    if (mine == made_here_.end() || mine->second.ended) continue;
    auto& moves = mine->second.moves;
    // Every end it had before leads to the new one (a second step moves
    // the first one's too).
    for (auto& [old_end, new_end] : moves) new_end -= by;
    if (moves.size() < 16) moves.emplace_back(b.expires, b.expires - by);
    strikes_.MoveEnd(id, b.created, b.expires - by);
    b.expires -= by;
    if (auto it = until_.find(id); it != until_.end()) it->second -= by;
    moved.push_back(b);
  }
  // The ended ones all move (their strikes with them), but only a row whose
  // end is after `now` would read as active: the rest are not saved again.
  for (auto& [id, made] : made_here_) {
    if (!made.ended) continue;
    // Its key is "blocked already" until its end: that end moves too, or a
    // new flood of the key was refused for the length of the step
    // (helper-153 F5).
    if (auto u = until_.find({id.kind, id.key});
        u != until_.end() && u->second == made.ended->expires)
      u->second -= by;
    made.ended->expires -= by;
    strikes_.MoveEnd({id.kind, id.key}, id.created, made.ended->expires);
    if (made.saved_end <= now) continue;
    made.saved_end = made.ended->expires;
    moved.push_back(*made.ended);
  }
  next_expiry_ = 0;  // Expire() looks at every block again
  if (!moved.empty()) ++version_;
  return moved;
}

TimeUs BlockManager::EndHere(const Block& b) const {
  auto it = made_here_.find(IdOf(b));
  if (it == made_here_.end()) return b.expires;
  // Ended here: its end as it was here, moved with the clock.
  if (it->second.ended) return std::min(b.expires, it->second.ended->expires);
  // Only a row holding an end this block had before a move is older than it;
  // any other end (the moved one saved, `blocks extend`, `blocks remove`) is
  // taken as written.
  for (const auto& [old_end, new_end] : it->second.moves)
    if (b.expires == old_end) return new_end;
  return b.expires;
}

void BlockManager::MadeHereStarted(const Block& b) {
  MadeHere& made = made_here_[IdOf(b)];
  if (made.ended) --ended_here_;
  made = MadeHere{};
}

void BlockManager::MadeHereEnded(const Block& b) {
  auto it = made_here_.find(IdOf(b));
  if (it == made_here_.end() || it->second.ended) return;
  // Full: the tenth that ended first goes, not the newest (a step back
  // brings back the recently ended, helper-150 #2); a tenth at once, so
  // that a full memory is not scanned at every end.
  if (ended_here_ >= kMaxEndedHere) {
    std::vector<TimeUs> ends;
    for (const auto& [id, made] : made_here_)
      if (made.ended) ends.push_back(made.ended->expires);
    auto cut = ends.begin() + ends.size() / 10;
    std::nth_element(ends.begin(), cut, ends.end());
    SweepMadeHere(*cut + 1);
  }
  it->second = MadeHere{{}, b, b.expires};  // no row holds an end from before a move now
  ++ended_here_;
}

void BlockManager::SweepMadeHere(TimeUs before) {
  for (auto it = made_here_.begin(); it != made_here_.end();) {
    const MadeHere& made = it->second;
    // An active block replaced in the store by another of its key (a longer
    // one by hand) is no longer here to end.
    const auto active = active_.find({it->first.kind, it->first.key});
    const bool gone = made.ended
                          ? made.ended->expires < before
                          : active == active_.end() || active->second.created != it->first.created;
    if (!gone) {
      ++it;
      continue;
    }
    if (made.ended) --ended_here_;
    it = made_here_.erase(it);
  }
}

}  // namespace mailtrail
