// MessageTracker, when records end: the timers after a removal, a session's
// end and a delete, the stale sweep by each host's own clock, and the end of
// the input (see tracker.cc for the lines that start and change records).
#include <algorithm>
#include <iterator>
#include <vector>

#include "agent/track/tracker.h"
#include "agent/track/tracker_internal.h"

namespace mailtrail {

using track_internal::kSessionIdle;
using track_internal::kSweepEvery;

void MessageTracker::Schedule(Pending p, bool after_delete) {
  // In order of due: RunDue looks at the fronts only. Almost always the
  // last; a host whose clock is behind another's schedules earlier ones
  // (helper-112: its timer waited for another host's).
  std::deque<Pending>& q = after_delete ? waits_after_delete_ : pending_;
  auto at = q.end();
  while (at != q.begin() && std::prev(at)->due > p.due) --at;
  q.insert(at, std::move(p));
}

void MessageTracker::BouncedByCleanup(const Event& ev, Open* o) {
  // cleanup bounced maildrop mail itself and deletes its queue file
  // (cleanup_bounce.c), with no `removed` line before Postfix 3.10: closed
  // as a removal is, its other recipients' lines within the grace (logged
  // in the same loop). Its record kept no recipient and stayed open
  // (helper-111).
  if (ev.status != "bounced" || o->queued || o->removed) return;
  o->removed = true;
  Schedule({now_ + options_.grace, KeyOf(ev, ev.qid), o->generation, false});
}

void MessageTracker::RunDue(TimeUs now) {
  while (AnyDue(now)) {
    // The earlier of the two fronts.
    const bool from_deletes =
        pending_.empty() || pending_.front().due > now ||
        (!waits_after_delete_.empty() && waits_after_delete_.front().due < pending_.front().due);
    std::deque<Pending>& from = from_deletes ? waits_after_delete_ : pending_;
    Pending p = std::move(from.front());
    from.pop_front();
    auto it = records_.find(p.key);
    if (it == records_.end() || it->second.generation != p.generation) continue;
    const Open& o = it->second;
    if (!p.session_end && o.removed) {
      Close(p.key, RecordEnd::kRemoved);
    } else if (p.session_end && !o.queued && !o.held && !o.removed) {
      Close(p.key, RecordEnd::kSession);
    }
  }
}

namespace {
// A record to close, ordered by when it was last seen, then by age.
struct Victim {
  TimeUs last_seen;
  uint64_t generation;
  RecordKey key;
  bool operator<(const Victim& o) const {
    return last_seen != o.last_seen ? last_seen < o.last_seen : generation < o.generation;
  }
};
}  // namespace

// Held, and in Postfix's queue: qmgr named it, pickup or postsuper did, or
// its DATA was accepted: the session's counters said so, or cleanup read its
// content (message-id=) and nothing but the HOLD refused it (helper-101: one
// DATA refused in the session took the wait from a held message beside it;
// a state saved before the flag was kept has the message-id).
bool MessageTracker::InTheHoldQueue(const Open& o) {
  if (!o.held) return false;
  if (o.queued || o.accepted) return true;
  return o.rec.message_id && !(o.rec.reject && !IsHoldAction(o.rec.reject->action));
}

void MessageTracker::SweepStale(TimeUs now) {
  last_sweep_ = now;
  std::vector<Victim> victims;
  // Held mail in the queue is not stale: the hold queue has no lifetime, and
  // postsuper(1) advises releasing mail held for long with -r (helper-92: a
  // week's hold made two records). Only the bound on open records closes it.
  // A hold of a message Postfix never queued (RSET, a lost connection, a
  // milter's reject after its HOLD) goes stale as before (helper-100).
  // By each host's own clock: in a fleet's log one host's line a week ahead
  // (a wrong clock) ended every other host's messages (helper-94).
  for (const auto& [key, o] : records_)
    if (o.rec.last_seen + options_.stale_after < HostNow(key.host) && !InTheHoldQueue(o))
      victims.push_back({o.rec.last_seen, o.generation, key});
  if (records_.size() - victims.size() >= options_.max_open) {
    // Over the bound: close the least recently seen tenth as stale.
    std::vector<Victim> all;
    all.reserve(records_.size());
    for (const auto& [key, o] : records_) all.push_back({o.rec.last_seen, o.generation, key});
    const size_t n = std::max<size_t>(1, all.size() / 10);
    std::nth_element(all.begin(), all.begin() + static_cast<long>(n - 1), all.end());
    all.resize(n);
    victims = std::move(all);
  }
  std::sort(victims.begin(), victims.end());
  for (const auto& v : victims) Close(v.key, RecordEnd::kStale);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.last_seen + kSessionIdle < HostNow(it->first.host) ||
        sessions_.size() > options_.max_open) {
      EndSession(&it->second, now);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

void MessageTracker::Tick(TimeUs log_now) {
  if (log_now <= now_) return;
  now_ = log_now;
  // The clock runs for every host, those of a loaded state too.
  if (host_now_.size() < hosts_.size()) host_now_.resize(hosts_.size(), 0);
  for (TimeUs& t : host_now_) t = std::max(t, log_now);
  if (AnyDue(now_)) RunDue(now_);
  if (now_ - last_sweep_ >= kSweepEvery) SweepStale(now_);
}

void MessageTracker::FlushAll() {
  amavis_parts_.DropAll();
  // Sessions still open at the end of the input have not ended: their NOQUEUE
  // rejects are complete records, their messages stay open (in flight).
  for (auto& [key, s] : sessions_) {
    // Those before a message's client= line too: the session's end would
    // have told whose they are (helper-112: they were lost).
    for (auto& b : s.before_client) Emit(std::move(*b.rejects), RecordEnd::kSession);
    s.before_client.clear();
    FlushNoqueue(&s, RecordEnd::kSession);
  }
  sessions_.clear();
  RunDue(INT64_MAX);
  // In the order the messages appeared: deterministic output.
  std::vector<Victim> open;
  open.reserve(records_.size());
  for (const auto& [key, o] : records_) open.push_back({0, o.generation, key});
  std::sort(open.begin(), open.end());
  for (const auto& v : open) Close(v.key, RecordEnd::kOpen);
}

}  // namespace mailtrail
