// MysqlStore's part of Store::SearchWithin (store_bounded.cc): a page's bound
// is MariaDB's LIMIT ... ROWS EXAMINED on each page statement (SearchPage),
// each given what the bound has left (less the rows the statements before
// returned), and the slices read message through its index on first_seen.
// docs/web.md, "A page's work bound".
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
  }
  bool spent() const override { return store_->rows_stopped_; }

 private:
  MysqlStore* store_;
};

std::unique_ptr<Store::WorkBound> MysqlStore::BoundWork(int64_t work_rows) {
  return std::make_unique<RowsBound>(this, work_rows);
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
