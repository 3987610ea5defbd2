// SqliteStore's work bounds for the web console: a total that stops after
// about so many rows examined, and the bound of a page (Store::SearchWithin,
// store_bounded.cc), which stops too and says where to go on (docs/web.md,
// "The total" and "A page's work bound"). The work is
// counted in SQLite's virtual-machine instructions (SqliteStepBudget), so
// where a search stops does not depend on the machine's load (only, a
// little, on the store's cached answers, such as a common domain's).
#include <algorithm>
#include <optional>
#include <utility>

#include "agent/store/search_filters.h"
#include "agent/store/sqlite_store.h"

namespace mailtrail {

namespace {

// A scan in time order with the console's conditions ran 16-22 instructions
// per message row on the 7-day store (docs/benchmarks.md, "Pages and totals
// with a work bound").
constexpr int64_t kStepsPerRow = 20;

int64_t StepsFor(int64_t work_rows) {
  return work_rows > INT64_MAX / kStepsPerRow ? INT64_MAX : work_rows * kStepsPerRow;
}

}  // namespace

StatusOr<MatchCount> SqliteStore::CountMatchesUpTo(const SearchQuery& q, int64_t cap,
                                                   int64_t work_rows) {
  SqliteStepBudget budget(&db_, StepsFor(work_rows));
  MatchCount c;
  Status st = HasRecordFilters(q) ? CountBySearch(q, cap, &c.n) : CountBySql(q, cap, &c.n);
  c.stopped = budget.spent();
  if (!st.ok() && !c.stopped) return st;
  return c;
}

StatusOr<std::optional<std::pair<int64_t, int64_t>>> SqliteStore::TimeSpan() {
  auto span = db_.Prepare(
      "SELECT (SELECT min(first_seen) FROM message), (SELECT max(first_seen) FROM message)");
  if (!span.ok()) return span.status();
  if (span->Step() != SQLITE_ROW) return db_.Error("time span");
  if (span->IsNull(0)) return std::optional<std::pair<int64_t, int64_t>>();
  return std::optional(std::pair(span->Int(0), span->Int(1) + 1));
}

// The page's bound: SqliteStepBudget's instructions for `work_rows` rows.
class SqliteStore::StepBound : public WorkBound {
 public:
  StepBound(SqliteDb* db, int64_t steps) : budget_(db, steps) {}
  bool spent() const override { return budget_.spent(); }

 private:
  SqliteStepBudget budget_;
};

std::unique_ptr<Store::WorkBound> SqliteStore::BoundWork(int64_t work_rows) {
  return std::make_unique<StepBound>(&db_, StepsFor(work_rows));
}

// The index may wait in meta during a bulk load: the planner's choice then.
Status SqliteStore::ReadInTimeOrder(bool on) {
  if (!on) {
    time_index_only_ = false;
    return Status::Ok();
  }
  auto indexed = db_.Prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'message_first_seen'");
  if (!indexed.ok()) return indexed.status();
  const int rc = indexed->Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.Error("find an index");
  time_index_only_ = rc == SQLITE_ROW;
  return Status::Ok();
}

}  // namespace mailtrail
