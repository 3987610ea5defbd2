// SqliteStore's work bounds for the web console: a total that stops after
// about so many rows examined, and a page that stops too and says where to go
// on (docs/web.md, "The total" and "A page's work bound"). The work is
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

// SearchInSlices' first slice, read whatever its cost so that every page gets
// further than its cursor; each next slice is twice as long: a week is 14.
constexpr int64_t kFirstSliceSeconds = 60;
constexpr int64_t kLongestSliceSeconds = int64_t{1} << 40;
// SearchWithin's one query may take this share of the bound, the slices the
// rest: a search that stops there spends the bound once in all.
constexpr int64_t kOneQueryShare = 4;  // a quarter

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

// Most pages end well within the bound (an exact key, or matches that fill
// the page after a few rows) and run as one query. One stopped after some
// matches goes on after the last of them. One stopped before any match may
// be a scan of a window with none, or another index's rows sorted by time
// (`sender=<>`: every bounce of the window): it goes on in time slices.
Status SqliteStore::SearchWithin(
    const SearchQuery& q, int64_t work_rows,
    const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
    std::optional<SearchCursor>* resume) {
  resume->reset();
  const int64_t steps = StepsFor(work_rows), first_try = steps / kOneQueryShare;
  std::optional<SearchCursor> last;
  int64_t given = 0;
  Status st;
  bool stopped;
  {
    SqliteStepBudget budget(&db_, first_try);
    st = SearchWithCursor(q, [&](MessageRecord&& r, const SearchCursor& at) {
      last = at;
      ++given;
      fn(std::move(r), at);
    });
    stopped = budget.spent();
  }
  if (!stopped) return st;
  // Full, the search went on past its page only to read the rest of a chunk
  // of records (SearchFilteringRecords): the page stands.
  if (given >= q.limit) return Status::Ok();
  if (last) {
    *resume = last;
    return Status::Ok();
  }
  return SearchInSlices(q, steps - first_try, fn, resume);
}

// The window from `q`'s start in slices of growing length, each read through
// the index on first_seen (so a slice costs its own messages, not every row
// of another key), the first whatever its cost and the others within
// `steps`. Stopped in a slice, the search goes on after its last match there,
// or else after the slices read whole.
Status SqliteStore::SearchInSlices(
    const SearchQuery& q, int64_t steps,
    const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
    std::optional<SearchCursor>* resume) {
  auto span = TimeSpan();
  if (!span.ok()) return span.status();
  if (!*span) return Status::Ok();
  int64_t lo = (*span)->first, hi = (*span)->second;  // seconds
  if (q.since) lo = std::max(lo, *q.since / kUsPerSecond);
  if (q.after) lo = std::max(lo, q.after->first_seen / kUsPerSecond);
  if (q.until) hi = std::min(hi, *q.until / kUsPerSecond);
  // The index may wait in meta during a bulk load: the planner's choice then.
  auto indexed = db_.Prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'message_first_seen'");
  if (!indexed.ok()) return indexed.status();
  const int rc = indexed->Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.Error("find an index");
  time_index_only_ = rc == SQLITE_ROW;
  struct Reset {
    bool* flag;
    ~Reset() { *flag = false; }
  } reset{&time_index_only_};
  std::optional<SqliteStepBudget> budget;
  int64_t given = 0, width = kFirstSliceSeconds;
  for (int64_t from = lo; from < hi && given < q.limit;) {
    const int64_t to = hi - from <= width ? hi : from + width;
    SearchQuery slice = q;
    slice.since = std::max(q.since.value_or(INT64_MIN), from * kUsPerSecond);
    slice.until = std::min(q.until.value_or(INT64_MAX), to * kUsPerSecond);
    slice.limit = q.limit - given;
    std::optional<SearchCursor> last;
    Status st = SearchWithCursor(slice, [&](MessageRecord&& r, const SearchCursor& at) {
      last = at;
      ++given;
      fn(std::move(r), at);
    });
    if (budget && budget->spent()) {
      if (given < q.limit)
        *resume = last ? *last : SearchCursor{(from - 1) * kUsPerSecond, kRowAfterAll};
      return Status::Ok();
    }
    if (!st.ok()) return st;
    if (!budget) budget.emplace(&db_, steps);
    from = to;
    width = std::min(width * 2, kLongestSliceSeconds);
  }
  return Status::Ok();
}

}  // namespace mailtrail
