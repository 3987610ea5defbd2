// BlockManager: turns the detector's decisions into blocks, with the safety
// rules of docs/security.md (rules 4-6): allowlists win over everything (CIDRs: loopback and
// mynetworks by default; normalized subjects); caps on active blocks and on new
// blocks per minute (a decision over a cap is refused and said once per minute);
// escalation for repeat offenders (period x multiplier^(strikes-1), up to a
// maximum); expiry by log time. Decisions taken while replaying old lines make
// blocks with live=false: recorded, never enforced. Pure: time comes in.
#ifndef MAILTRAIL_AGENT_BLOCKS_BLOCK_MANAGER_H_
#define MAILTRAIL_AGENT_BLOCKS_BLOCK_MANAGER_H_

#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/blocks/allowlist.h"
#include "agent/blocks/strike_book.h"
#include "agent/detect/flood_detector.h"
#include "agent/track/block.h"
#include "base/cidr.h"
#include "base/log.h"

namespace mailtrail {

struct BlockPolicy {
  TimeUs period = 3600 * kUsPerSecond;
  double escalation = 2.0;
  TimeUs max_period = 7 * 86400 * kUsPerSecond;
  size_t max_active = 10000;
  int max_new_per_minute = 120;
  // Checked by overlap (allowlist.h); empty: loopback (127.0.0.0/8, ::1). The
  // addresses that are never clients (AlwaysProtected) are added in any case.
  std::vector<Cidr> allow_cidrs;
  std::vector<std::string> allow_subjects;  // normalized (NormalizeSubject)
  // A subject block needs this many characters once normalised: a short or
  // generic subject ("Re", "test") names no flood and would refuse everyone's mail.
  size_t min_subject_chars = 12;
  bool live = true;  // false: replaying old lines
  // Keep the ended blocks (history()): `detect` lists them; an agent that ran
  // for months kept every block it ever made in memory.
  bool keep_history = false;
  std::string origin_host;  // empty: the host that logged the deciding record
};

// A stored block made further ahead of `now` than `max_period` (no decision
// gives more) and a day: this clock is wrong (set back), or the deciding
// agent's is, and the block is not enforced until the clock is back within
// that of its creation. Read from the row alone, so the agent, `enforce
// --reconcile` and `blocks explain` agree (block_manager.cc says why).
bool MadeTooFarAhead(const Block& b, TimeUs now, TimeUs max_period);
// Why such a block is not enforced, for the log and `blocks explain`.
std::string MadeAheadReason(const Block& b, TimeUs now);

// The networks a BlockManager with `p` never blocks: p.allow_cidrs, or
// loopback when none are given, and what is never a client
// (AlwaysProtected). The detector counts no bounce from them.
std::vector<Cidr> NeverBlocked(const BlockPolicy& p);

class BlockManager {
 public:
  explicit BlockManager(BlockPolicy policy);

  // Applies a decision taken at log time d.at. Returns the block made (or
  // extended), or nullptr with `why_not` said.
  const Block* Apply(const Decision& d, std::string* why_not);
  // Adds a block by hand (`blocks add`): allowlists apply, caps do not.
  const Block* Add(Block b, std::string* why_not);
  // Ends the blocks whose time is up at `now` (they move to the history).
  void Expire(TimeUs now);
  // The wall clock went back by `by` (> 0), to `now`: every active block made
  // here (Apply, Add) keeps the time it had left, so its end moves back as
  // much (else it outlives its period by the step); so does every block made
  // here that ended (else its row is active again). Blocks restored from the
  // store were made on other clocks, or by an agent before this one, and are
  // left alone. Returns the rows to save again: the active blocks moved, and
  // the ended ones whose saved end is after `now`. A forward step is not
  // followed (block_clock.cc says why).
  std::vector<Block> ClockSteppedBack(TimeUs by, TimeUs now);
  // Takes saved blocks (at start; and those other agents decided, from a shared
  // store): those active at `now` become active, but for one made further
  // ahead of `now` than max_period and a day (MadeTooFarAhead); every other
  // one counts for its key's strikes. Returns the ones that were not active here before. A block
  // this agent's allowlist refuses never becomes active (so it is never enforced): counted in
  // not_enforced() and said once per key. A block active here that the store ends earlier (the same
  // kind, key and created; `blocks remove`) takes the store's end: ended now if that is past
  // (ended_by_store()).
  std::vector<Block> Restore(const std::vector<Block>& saved, TimeUs now);
  // `nets` join the allowlist as `source` (an address this machine gained
  // since the start). An active block of one ends here at `now` (no strike)
  // and is returned; one made here is saved with that end too, so that the
  // reconcile and the other agents of its store end it as well.
  std::vector<Block> AllowMore(const std::vector<Cidr>& nets, const std::string& source,
                               TimeUs now);
  // Decisions taken at a log time before `t` make blocks that are not live.
  void set_live_after(TimeUs t) { live_after_ = t; }

  bool IsBlocked(BlockKind kind, const std::string& key, TimeUs now) const;
  std::vector<Block> Active() const;
  // Where a start's read of the store must begin (LoadBlocks(t): the rows
  // ending after t): a block is a strike for max_period after its end, and
  // what ended before that changes no live decision. Not every row ever
  // made: that was the whole history, fleet-wide on MySQL, at each start
  // (helper-110: 373 MB kept after reading 150,000 rows).
  TimeUs RestoreFrom(TimeUs now) const { return now - p_.max_period; }
  // The blocks whose rows a refresh reads (Store::LoadRefresh): the active
  // ones, where an end the store has earlier ends them here; and those that
  // ended by their time within the last minute, so that a `blocks remove`
  // written in the seconds before the end still takes the strike back
  // (helper-120 F4: the refresh every 5 s missed it, and the next block of
  // the key lasted twice as long).
  std::vector<BlockId> RefreshIds() const;
  // The ended blocks, with BlockPolicy::keep_history (else empty).
  const std::vector<Block>& history() const { return history_; }
  // Decisions refused by a cap (each key once a minute of log time, not at
  // each bounce the detector decides it again), and by the allowlists.
  int64_t capped() const { return capped_; }
  // Changes whenever the active set does (for whoever mirrors it); never the
  // same in two managers (a reload's new one).
  uint64_t version() const { return version_; }
  int64_t allowlisted() const { return allowlisted_; }
  // Blocks from the store or by hand that this agent refuses to enforce (each
  // key counted once).
  int64_t not_enforced() const { return not_enforced_; }
  // Active blocks ended here because the store ended them earlier.
  int64_t ended_by_store() const { return ended_by_store_; }
  // The blocks that ended since the last call: their end came (Expire), or
  // the store moved it earlier (`blocks remove`, a shortening). The detector
  // decides their keys again (FloodDetector::NotTaken), else it took the
  // next flood as blocked until the end it had in log time: the old end
  // (helper-94), or hours on when the log's clock was ahead (helper-94 D).
  std::vector<Block> TakeEnded() { return std::exchange(ended_, {}); }
  // Active blocks changed here that the store must hear of (forms a flood
  // added to a block in force): saved again, `enforce --reconcile` and the
  // other agents read them (helper-116).
  std::vector<Block> TakeToSave() { return std::exchange(to_save_, {}); }
  // Keys remembered for their strikes or ends (swept: BlockManager::Expire).
  size_t remembered_keys() const { return strikes_.keys() + until_.size() + until_old_.size(); }
  // Subject decisions refused as shorter than min_subject_chars.
  int64_t short_subjects() const { return short_subjects_; }
  // Where a cap hit (at most once per minute of log time), a refusal and an
  // end by the store are said; default: stderr.
  Logger* log = &StderrLog();

 private:
  // Why `kind` `key` must not be blocked here ("" when it may be): the
  // allowlists, and (with `length`) the minimum length of a subject.
  std::string Refusal(BlockKind kind, const std::string& key, bool length = false) const;
  // Takes the earlier ends of `saved`; true if one of them is past.
  bool EndEarlier(const std::vector<Block>& saved, TimeUs now);
  // Says `what` once per key, at most 10 lines a minute (the detector decides
  // again on every later bounce; a store is read again every few seconds).
  void SayOnce(BlockKind kind, const std::string& key, const std::string& what, TimeUs now);
  bool Allowed(BlockKind kind, const std::string& key) const { return !Refusal(kind, key).empty(); }

  BlockPolicy p_;
  std::map<std::pair<BlockKind, std::string>, Block> active_;  // (kind, key)
  std::vector<Block> ended_;                                   // TakeEnded()
  std::vector<Block> to_save_;                                 // TakeToSave()
  using Key = std::pair<BlockKind, std::string>;
  // Repeat offenders (strike_book.h).
  StrikeBook strikes_;
  // The end of the latest block known for each key, by log time, also when it
  // was no longer active by the clock at Restore (an agent catching up reads
  // log times behind the clock): a decision before it is the block already
  // made, not a second strike with a doubled period. Only blocks that count:
  // one from old lines, never enforced, made a live flood before its end
  // "blocked already", and nothing blocked it (helper-117 F2); its end is in
  // until_old_, which only decisions from old lines respect.
  std::map<Key, TimeUs> until_, until_old_;
  std::vector<Block> history_;
  // The live blocks made here (Apply, Add): while active, and for two
  // max_periods after they ended by their time (at most kMaxEndedHere of
  // those, the latest ends kept). A clock stepped back moves their ends with
  // it (ClockSteppedBack), and a stored row of one is read with its end here
  // (EndHere): a row saved before a move holds an end the block had, and an
  // ended block's row an end that may be ahead of the clock again
  // (helper-149 F3).
  struct MadeHere {
    std::vector<std::pair<TimeUs, TimeUs>> moves;  // active: (an end it had, its end now)
    std::optional<Block> ended;                    // as it ended, its end moved since
    TimeUs saved_end = 0;                          // ended: the end its row holds
  };
  static constexpr size_t kMaxEndedHere = 10000;
  std::map<BlockId, MadeHere> made_here_;
  size_t ended_here_ = 0;  // entries of made_here_ with `ended`
  void MadeHereStarted(const Block& b);
  void MadeHereEnded(const Block& b);
  void SweepMadeHere(TimeUs before);
  TimeUs EndHere(const Block& b) const;
  std::vector<TimeUs> recent_;  // creation times within the last minute
  // Keys refused by a cap within the last minute, and when (CountCapped).
  void CountCapped(const std::pair<BlockKind, std::string>& id, TimeUs at);
  std::set<std::pair<BlockKind, std::string>> capped_recent_;
  std::deque<std::pair<TimeUs, std::pair<BlockKind, std::string>>> capped_order_;
  TimeUs next_expiry_ = 0;  // no block expires before this
  TimeUs next_sweep_ = 0;   // of what lapsed long ago (Expire)
  // Blocks ended by their time (Expire) within the last minute, oldest first.
  std::deque<std::pair<TimeUs, BlockId>> recently_ended_;
  TimeUs live_after_ = std::numeric_limits<TimeUs>::min();
  Allowlist allow_;
  std::set<std::pair<BlockKind, std::string>> said_;  // keys said once each
  int64_t capped_ = 0, allowlisted_ = 0, not_enforced_ = 0, short_subjects_ = 0;
  int64_t ended_by_store_ = 0;
  uint64_t version_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_BLOCKS_BLOCK_MANAGER_H_
