#include "agent/store/mysql_partitions.h"

#include <limits>

#include "agent/store/mysql_internal.h"
#include "base/civil_time.h"

namespace mailtrail {

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kSecondsPerDay = 86400;

std::string Bound(int64_t day) {
  return day == kMax ? "MAXVALUE" : std::to_string(day * kSecondsPerDay);
}

// Holds a MySQL named lock for its lifetime (released when the connection dies too).
class PartitionLock {
 public:
  explicit PartitionLock(sql::Connection* c) : c_(c) {}
  bool Acquire(int timeout_seconds) {
    held_ = mysql::GetLock(c_, MysqlPartitions::LockName(), timeout_seconds);
    return held_;
  }
  ~PartitionLock() {
    if (!held_) return;
    try {
      mysql::Query(c_, "SELECT RELEASE_LOCK(" + MysqlPartitions::LockName() + ")");
    } catch (const sql::SQLException&) {
      // The connection is gone, and the lock with it.
    }
  }

 private:
  sql::Connection* c_;
  bool held_ = false;
};
}  // namespace

std::string MysqlPartitions::LockName() { return mysql::PerDatabaseLock("mailtrail_partitions_"); }

std::string MysqlPartitions::DayName(char prefix, int64_t day) {
  if (day == kMax) return "pmax";
  const std::string date = FormatRfc3339(day * kSecondsPerDay * kUsPerSecond);  // YYYY-MM-DDT...
  return std::string(1, prefix) + date.substr(0, 4) + date.substr(5, 2) + date.substr(8, 2);
}

std::vector<MysqlPartitions::Range> MysqlPartitions::Split(const Range& r, int64_t day) {
  std::vector<Range> out;
  if (r.lo < day) out.push_back({DayName('g', day), r.lo, day});
  out.push_back({DayName('d', day), day, day + 1});
  if (day + 1 >= r.hi) return out;
  // A partition named for a day holds that day's rows, whatever lies below
  // it: the first one's lower bound is not written, so after a purge it
  // reaches down to any older day. Its day keeps its partition and its name.
  const int64_t last = r.hi - 1;
  const bool holds_its_day = r.hi != kMax && r.name == DayName('d', last);
  if (holds_its_day || r.hi == day + 2) {
    if (day + 1 < last) out.push_back({DayName('g', last), day + 1, last});
    out.push_back({DayName('d', last), last, r.hi});
  } else {
    out.push_back({r.hi == kMax ? "pmax" : DayName('g', r.hi), day + 1, r.hi});
  }
  return out;
}

StatusOr<std::vector<MysqlPartitions::Range>> MysqlPartitions::Read(sql::Connection* c) {
  std::vector<Range> out;
  try {
    auto rs = mysql::Query(
        c,
        "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'message'"
        " ORDER BY PARTITION_ORDINAL_POSITION");
    int64_t lo = std::numeric_limits<int64_t>::min();
    while (rs->next()) {
      const std::string desc = rs->getString(2);
      const int64_t hi = desc == "MAXVALUE" ? kMax : std::stoll(desc) / kSecondsPerDay;
      out.push_back({rs->getString(1), lo, hi});
      lo = hi;
    }
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "read partitions");
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("read partitions: ") + e.what());
  }
  if (out.empty()) return Status::Corruption("table message is not partitioned");
  return out;
}

bool MysqlPartitions::HasDay(sql::Connection* c, const char* table, int64_t day) {
  auto rs = mysql::Query(c, std::string("SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE "
                                        "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '") +
                                table + "' AND PARTITION_NAME = '" + DayName('d', day) + "'");
  return rs->next() && rs->getInt64(1) > 0;
}

Status MysqlPartitions::GiveDayItsPartition(sql::Connection* c, int64_t day, bool again) {
  auto parts = Read(c);
  if (!parts.ok()) return parts.status();
  for (const Range& r : *parts) {
    if (day < r.lo || day >= r.hi) continue;
    if (r.lo == day && r.hi == day + 1) break;  // already a day of its own
    std::string into;
    for (const Range& piece : Split(r, day)) {
      if (!into.empty()) into += ", ";
      into += "PARTITION " + piece.name + " VALUES LESS THAN (" + Bound(piece.hi) + ")";
    }
    // Per table, and read again after a refusal: another agent may have
    // split it meanwhile, one still on the server-wide lock name during an
    // upgrade (helper-124 L1: "duplicate partition name" stopped the run).
    for (const char* table : {"message", "rcpt"}) {
      if (HasDay(c, table, day)) continue;
      try {
        mysql::Execute(c, std::string("ALTER TABLE ") + table + " REORGANIZE PARTITION " + r.name +
                              " INTO (" + into + ")");
      } catch (const sql::SQLException& e) {
        if (HasDay(c, table, day)) continue;
        // It split another day of this range: the layout is read again, once.
        if (again && e.getErrorCode() != 1205) return GiveDayItsPartition(c, day, false);
        throw;
      }
    }
    break;
  }
  ready_.insert(day);
  return Status::Ok();
}

Status MysqlPartitions::Ensure(sql::Connection* c, const std::set<int64_t>& days) {
  std::set<int64_t> missing;
  for (int64_t d : days)
    if (!ready_.count(d)) missing.insert(d);
  if (missing.empty()) return Status::Ok();
  int64_t day = *missing.begin();
  try {
    PartitionLock lock(c);
    if (!lock.Acquire(60)) return Status::Unavailable("partitions: GET_LOCK timed out");
    mysql::LockWaitFor wait(c, kLockWaitSeconds);
    for (int64_t d : missing) {
      day = d;
      if (Status st = GiveDayItsPartition(c, d); !st.ok()) return st;
    }
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != 1205) return mysql::FromException(e, "add a daily partition");
    return Status::Unavailable(
        "add the daily partition of " + DayName('d', day).substr(1) +
        ": table message is held by another transaction (a backup, a long report) for more "
        "than " +
        std::to_string(kLockWaitSeconds) + " s; tried again");
  }
  return Status::Ok();
}

void MysqlPartitions::EnsureAhead(sql::Connection* c, int64_t day, TimeUs mono_now) {
  if (ready_.count(day) || mono_now < ahead_retry_at_) return;
  ahead_retry_at_ = mono_now + kAheadRetry;
  try {
    PartitionLock lock(c);
    if (!lock.Acquire(0)) return;  // another agent is at it
    mysql::LockWaitFor wait(c, 1);
    static_cast<void>(GiveDayItsPartition(c, day));  // not now: the day's first batch makes it
  } catch (const sql::SQLException&) {
    // The table is held, or the session gone: the day's first batch makes it.
  }
}

StatusOr<int64_t> MysqlPartitions::DropBefore(sql::Connection* c, int64_t day) {
  int64_t removed = 0;
  try {
    PartitionLock lock(c);
    if (!lock.Acquire(60)) return Status::Unavailable("partitions: GET_LOCK timed out");
    auto parts = Read(c);
    if (!parts.ok()) return parts.status();
    std::string names;
    int64_t below = 0;
    for (const Range& r : *parts) {
      if (r.hi == kMax || r.hi > day) break;
      if (!names.empty()) names += ',';
      names += r.name;
      below = r.hi;
    }
    if (!names.empty()) {
      auto rs = mysql::Query(
          c, "SELECT COUNT(*) FROM message WHERE first_seen < " + std::to_string(below * 86400));
      if (rs->next()) removed = rs->getInt64(1);
      // message first: a crash in between leaves unreachable recipients (dropped
      // by the next purge), never messages without their recipients.
      for (const char* table : {"message", "rcpt"})
        mysql::Execute(c, std::string("ALTER TABLE ") + table + " DROP PARTITION " + names);
    }
    // The hours before the cut counted again from their rows, where the count
    // differs (`changes` grows: a report cache's kept hour is never taken for
    // a later one). Asked of the rows, not of the partitions' names: a
    // partition named as a gap can hold rows (mailtrail before 2026-12-05 so
    // named the rest of a first partition split below its day), and a
    // writer of another process that still believes a dropped day's
    // partition exists writes into the next one. One range read of the
    // first_seen index below the cut (what the purge left there: usually
    // nothing), grouped, then joined: a sub-query per hour read the whole
    // index each time and held its rows' locks against the live writers.
    // This also mends a purge cut short between its DROP and here.
    const std::string cut = std::to_string(day * 86400);
    mysql::Execute(c,
                   "UPDATE message_hour h LEFT JOIN (SELECT first_seen DIV 3600 AS hour, id >> " +
                       std::to_string(mysql::kAgentShift) +
                       " AS agent, COUNT(*) AS n FROM message WHERE first_seen < " + cut +
                       " GROUP BY 1, 2) k ON k.hour = h.hour AND k.agent = h.agent"
                       " SET h.records = COALESCE(k.n, 0), h.changes = h.changes + 1"
                       " WHERE h.hour < " +
                       std::to_string(day * 24) + " AND h.records <> COALESCE(k.n, 0)");
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "drop partitions");
  }
  ready_.clear();
  return removed;
}

}  // namespace mailtrail
