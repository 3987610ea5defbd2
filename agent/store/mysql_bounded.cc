// MysqlStore's part of Store::SearchWithin (store_bounded.cc): a page's bound
// is MariaDB's LIMIT ... ROWS EXAMINED on each page statement (SearchPage),
// each given what the bound has left (less the rows examined since it
// began, by the session's counters: mysql::RowsExamined), and the slices
// read message through its index on first_seen.
// docs/web.md, "A page's work bound".
#include <algorithm>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_search_sql.h"
#include "agent/store/mysql_store.h"
#include "agent/store/search_filters.h"
#include "agent/store/time_slices.h"

namespace mailtrail {

class MysqlStore::RowsBound : public WorkBound {
 public:
  RowsBound(MysqlStore* store, int64_t work_rows) : store_(store) {
    store_->rows_left_ = work_rows < 1 ? 1 : work_rows;
    store_->rows_stopped_ = false;
  }
  ~RowsBound() override {
    store_->rows_left_.reset();
    store_->rows_stopped_ = false;
    store_->rows_examined_mark_.reset();
  }
  bool spent() const override { return store_->rows_stopped_; }

 private:
  MysqlStore* store_;
};

std::unique_ptr<Store::WorkBound> MysqlStore::BoundWork(int64_t work_rows) {
  return std::make_unique<RowsBound>(this, work_rows);
}

// The rows examined since the last mark (the recipients' statements between
// the pages' too) come off what the bound has left: the bound is shared by
// every statement of the search, as SQLite's is. Throws sql::SQLException.
void MysqlStore::SpendRowsExamined() {
  const int64_t now = mysql::RowsExamined(conn_.get());
  const int64_t read = rows_examined_mark_ ? now - *rows_examined_mark_ : 0;
  rows_examined_mark_ = now;
  *rows_left_ = std::max<int64_t>(*rows_left_ - std::max<int64_t>(read, 0), 1);
}

bool MysqlStore::StoppedByBoundAfterError() {
  try {
    return conn_ && mysql::StoppedAtRowsExamined(conn_.get());
  } catch (const sql::SQLException&) {
    return false;  // the connection's own error is the answer
  }
}

// A DSN, relay or delay key is a subquery run for each message, which
// costs something for each daily partition its statement's window leaves
// (MysqlDialect; helper-85: a year's store counted a whole year's DSN in
// 15-17 s as one statement, 1.36 s in months). An outcome or has-bounce key
// runs it for mixed messages only. A search that also names a key of an
// index of its own (a sender, a recipient) runs it for that key's messages
// only, and is read through that index (helper-87: in slices, a queue id's
// DSN took 0.48 s, not 7 ms, and a sender's stopped before its matches).
std::optional<int64_t> MysqlStore::SliceSecondsFor(const SearchQuery& q) const {
  constexpr int64_t kDay = 86400;
  if (!ChecksRecipientsOfEveryMessage(q) || mysql::NamesAnIndexedKey(q) || q.recipient ||
      (q.since && q.until && *q.until - *q.since <= kDay * kUsPerSecond))
    return std::nullopt;
  return kDay;
}

// One statement, a UNION ALL of the window's slices, each with constant
// bounds (so each part's subquery skips the other days' partitions): its
// LIMIT ... ROWS EXAMINED bounds the whole, exactly as MariaDB counts, where
// a statement a slice would spend the bound by the session's counters
// (mysql::RowsExamined, within about a fifth of that). On the month's
// store a DSN's whole count took 0.61 s so, 2.0 s as one statement. At most
// kMostSlices parts: a longer window has longer ones. Throws
// sql::SQLException.
StatusOr<MatchCount> MysqlStore::CountInSlices(const SearchQuery& q, int64_t slice_seconds,
                                               int64_t cap, int64_t work_rows) {
  auto span = TimeSpan();
  if (!span.ok()) return span.status();
  const std::optional<SecondsSpan> window = *span ? SecondsToRead(**span, q) : std::nullopt;
  if (!window) return MatchCount{};
  auto [from, hi] = *window;
  const int64_t parts = std::min(kMostSlices, (hi - from + slice_seconds - 1) / slice_seconds);
  const int64_t width =
      ((hi - from + parts - 1) / parts + slice_seconds - 1) / slice_seconds * slice_seconds;
  std::string sql;
  std::vector<mysql::Param> params;
  for (; from < hi; from += width) {
    auto where = mysql::BuildWhere(SliceOf(q, from, from + width), &params, conn_.get());
    if (!where.ok()) return where.status();
    sql += (sql.empty() ? "" : " UNION ALL ") + std::string("SELECT 1 FROM message m") + *where;
  }
  return mysql::CountRows(conn_.get(),
                          sql + " LIMIT " + std::to_string(cap) + " ROWS EXAMINED " +
                              std::to_string(std::max<int64_t>(work_rows, 1)),
                          params);
}

Status MysqlStore::ReadInTimeOrder(bool on) {
  time_order_ = on;
  return Status::Ok();
}

StatusOr<std::optional<std::pair<int64_t, int64_t>>> MysqlStore::TimeSpan() {
  if (Status st = EnsureConnected(); !st.ok()) return st;
  try {
    std::unique_ptr<sql::ResultSet> rs(
        mysql::Query(conn_.get(), "SELECT MIN(first_seen), MAX(first_seen) FROM message"));
    if (!rs->next() || rs->isNull(1)) return std::optional<std::pair<int64_t, int64_t>>();
    return std::optional(std::pair<int64_t, int64_t>(rs->getInt64(1), rs->getInt64(2) + 1));
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "time span");
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
}

}  // namespace mailtrail
