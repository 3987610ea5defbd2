// The agent and a store that takes nothing for a while (a full spool, a
// MariaDB on a lock, a SQLite file another process holds): the reading
// pauses, and a stop waits as steps of the loop (docs/install.md, "A full
// spool"; helper-95, -102, -104).
#include <string>

#include "agent/run/agent.h"

namespace mailtrail {

bool Agent::StoreHasRoom(TimeUs now) {
  const bool room = writer_->HasRoom();
  if (room) {
    if (pause_said_)
      options_.log->Info("reading resumed after " +
                         std::to_string((now - paused_since_) / kUsPerSecond) + " s paused");
    paused_since_ = -1;
    pause_said_ = false;
    return true;
  }
  if (paused_since_ < 0) paused_since_ = now;
  // A pause of a second is the store catching up (a burst, a catch-up after a
  // restart); one that lasts is said, at most once in 10 minutes (a store
  // that is steadily slow pauses often: helper-102), and its end if said.
  const TimeUs paused = now - paused_since_;
  if (paused >= kPauseSaid && (last_pause_said_ < 0 || now - last_pause_said_ >= kPauseSaidAgain)) {
    options_.log->Warn(std::string(pause_said_ ? "reading still paused" : "reading paused") +
                       " for " + std::to_string(paused / kUsPerSecond) +
                       " s: the store has not taken the batches queued for it (its own "
                       "messages say why, if any: a store that is only slow says none); "
                       "nothing is lost, blocks still end on time");
    last_pause_said_ = now;
    pause_said_ = true;
  }
  return false;
}

void Agent::QueueFinalBatch(TimeUs mono_now) {
  final_queued_ = true;
  // Queue files read during a pause wait in the cache (Step): the open
  // records take them now, so that the final checkpoint keeps what the files
  // said, which are gone by the restart when their mail was delivered
  // (helper-108).
  if (options_.queue_hints) KeepQueueHints();
  final_status_ = Flush();
  if (options_.status_interval > 0) PublishStatus(mono_now);
}

StatusOr<bool> Agent::StepStop() {
  if (stopped_) return stop_status_.ok() ? StatusOr<bool>(true) : stop_status_;
  const TimeUs now = clock_->MonotonicNow();
  if (blocks_) blocks_->Expire(clock_->WallNow());
  if (!final_queued_ && writer_->HasRoom()) QueueFinalBatch(now);
  // Finish() joins the writer's thread: only once it has nothing left to do
  // (or stopped on an error), so that it does not wait.
  if (!final_queued_ || (!writer_->stats().idle && writer_->error().ok())) return false;
  if (Status st = Stop(); !st.ok()) return st;
  return true;
}

Status Agent::Stop() {
  if (stopped_) return stop_status_;
  if (!final_queued_) QueueFinalBatch(clock_->MonotonicNow());  // waits for room
  Status ws = writer_->Finish();
  stopped_ = true;
  stop_status_ = final_status_.ok() ? ws : final_status_;
  return stop_status_;
}

}  // namespace mailtrail
