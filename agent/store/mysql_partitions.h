// MysqlPartitions: the daily RANGE partitions of `message` and `rcpt` (both on
// first_seen, always cut at the same bounds).
//
// Every partition is either a day ("d20261127": [midnight, next midnight) UTC)
// or a gap between days ("g20261127": below that date's midnight, above the
// partition before it), plus "pmax". Before a batch, Ensure() splits the gap
// that holds a day of the batch into (gap, day, gap): rows only ever go into
// daily partitions, so gaps stay empty and splitting them copies nothing.
// DropBefore() drops whole days: no giant DELETE.
// Several agents: the DDL runs under a named lock of the database's (LockName).
// The DDL waits for every open transaction that has read the table (a
// nightly `mysqldump --single-transaction`, a long report), and every later
// statement on the table waits behind it: so tomorrow's partition is made
// ahead (EnsureAhead), tried briefly and again later, and a day that must be
// made now waits kLockWaitSeconds at most and says why (helper-95 F5: at
// midnight such a reader made every agent "unavailable", "Lost connection").
#ifndef MAILTRAIL_AGENT_STORE_MYSQL_PARTITIONS_H_
#define MAILTRAIL_AGENT_STORE_MYSQL_PARTITIONS_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/civil_time.h"
#include "base/status.h"

namespace sql {
class Connection;
}

namespace mailtrail {

class MysqlPartitions {
 public:
  struct Range {
    std::string name;
    int64_t lo, hi;  // [lo, hi) in days since 1970-01-01; hi = INT64_MAX for pmax
  };

  // Makes sure that each of `days` has a partition of its own. DDL: call it
  // outside of a transaction (it commits implicitly).
  Status Ensure(sql::Connection* c, const std::set<int64_t>& days);
  // Tries to give `day` its partition ahead of its first record, waiting a
  // second at most for the table; else tries again kAheadRetry later (at the
  // first call after). Never an error: the day's first batch makes it if this
  // did not. `mono_now`: the caller's monotonic clock.
  void EnsureAhead(sql::Connection* c, int64_t day, TimeUs mono_now);
  // An ALTER may wait twice as long (measured: 6 s for 3 s), and the
  // session's read timeout is 10 s (MysqlStore::Options::timeout_seconds).
  static constexpr int kLockWaitSeconds = 2;
  static constexpr TimeUs kAheadRetry = 300 * kUsPerSecond;
  // Drops the partitions that hold only days before `day`; says how many messages
  // they held.
  StatusOr<int64_t> DropBefore(sql::Connection* c, int64_t day);
  // The partitions of `message`, lowest first.
  static StatusOr<std::vector<Range>> Read(sql::Connection* c);
  // Forgets what it knew (another agent may have dropped days).
  void Forget() { ready_.clear(); }

  // Pure: the partitions that replace `r` so that `day` (inside it) has its own.
  static std::vector<Range> Split(const Range& r, int64_t day);
  static std::string DayName(char prefix, int64_t day);
  // The SQL name of the lock the DDL runs under: the database's own.
  static std::string LockName();

 private:
  // Splits the partition that holds `day` (under the named lock) so that the
  // day has its own. Throws sql::SQLException.
  // `again`: a refusal by a layout another agent changed meanwhile is tried
  // once more on the new one.
  Status GiveDayItsPartition(sql::Connection* c, int64_t day, bool again = true);
  // Whether `table` has `day`'s own partition. Throws sql::SQLException.
  static bool HasDay(sql::Connection* c, const char* table, int64_t day);
  std::set<int64_t> ready_;  // days known to have their own partition
  TimeUs ahead_retry_at_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_MYSQL_PARTITIONS_H_
