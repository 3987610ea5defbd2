// LockedWait: how long a writer waits for a SQLite file another process holds
// locked (a `mailtrail db purge`'s one transaction, an sqlite3 shell; SqliteDb
// answers Status::Unavailable once SQLite's busy timeout has passed): up to
// kLimit of the given clock's time, trying again meanwhile. The writing verbs'
// open (agent/cli/store_args.cc) and a SQLite store's batches
// (SqliteStore::WriteBatch) keep this one rule; they waited on real clocks of
// their own before, and the give-up could not be tested (docs/install.md).
#ifndef MAILTRAIL_AGENT_STORE_LOCKED_WAIT_H_
#define MAILTRAIL_AGENT_STORE_LOCKED_WAIT_H_

#include "base/civil_time.h"
#include "base/clock.h"

namespace mailtrail {

class LockedWait {
 public:
  static constexpr TimeUs kLimit = 600 * kUsPerSecond;

  explicit LockedWait(const Clock& clock) : clock_(clock), since_(clock.MonotonicNow()) {}

  TimeUs waited() const { return clock_.MonotonicNow() - since_; }
  // After a try found the file locked: whether to try again (kLimit has not
  // passed since this wait began).
  bool TryAgain() const { return waited() < kLimit; }
  TimeUs left() const { return kLimit - waited(); }

 private:
  const Clock& clock_;
  const TimeUs since_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_LOCKED_WAIT_H_
