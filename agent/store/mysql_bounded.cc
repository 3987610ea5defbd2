// MysqlStore's part of Store::SearchWithin (store_bounded.cc): a page's bound
// is MariaDB's LIMIT ... ROWS EXAMINED on each page statement (SearchPage),
// each given what the bound has left (less the rows read since it began, by
// the session's Rows_read and Rows_tmp_read), and the slices read message
// through its index on first_seen.
// docs/web.md, "A page's work bound".
#include <algorithm>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

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
    store_->rows_read_mark_.reset();
  }
  bool spent() const override { return store_->rows_stopped_; }

 private:
  MysqlStore* store_;
};

std::unique_ptr<Store::WorkBound> MysqlStore::BoundWork(int64_t work_rows) {
  return std::make_unique<RowsBound>(this, work_rows);
}

// The rows read since the last mark (the recipients' statements between
// the pages' too) come off what the bound has left: the bound is shared by
// every statement of the search, as SQLite's is. Throws sql::SQLException.
void MysqlStore::SpendRowsRead() {
  const int64_t now = mysql::RowsRead(conn_.get());
  const int64_t read = rows_read_mark_ ? now - *rows_read_mark_ : 0;
  rows_read_mark_ = now;
  *rows_left_ = std::max<int64_t>(*rows_left_ - std::max<int64_t>(read, 0), 1);
}

bool MysqlStore::StoppedByBoundAfterError() {
  try {
    return conn_ && mysql::StoppedAtRowsExamined(conn_.get());
  } catch (const sql::SQLException&) {
    return false;  // the connection's own error is the answer
  }
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
