// Store::SearchWithin: a page of the web console whose work is bounded, for
// every store that has a bound (BoundWork: SQLite's virtual-machine
// instructions, MariaDB's rows examined). docs/web.md, "A page's work bound".
#include <algorithm>
#include <optional>
#include <utility>

#include "agent/store/store.h"
#include "agent/store/time_slices.h"

namespace mailtrail {

namespace {

// The slices' first, read whatever its cost so that every page gets further
// than its cursor; each next slice is twice as long: a week is 14.
constexpr int64_t kFirstSliceSeconds = 60;
constexpr int64_t kLongestSliceSeconds = int64_t{1} << 40;
// The one query may take this share of the bound, the slices the rest: a
// search that stops there spends the bound once in all.
constexpr int64_t kOneQueryShare = 4;  // a quarter

}  // namespace

// Most pages end well within the bound (an exact key, or matches that fill
// the page after a few rows) and run as one query. One stopped after some
// matches goes on after the last of them. One stopped before any match may
// be a scan of a window with none, or another index's rows sorted by time
// (`sender=<>`: every bounce of the window): it goes on in time slices.
Status Store::SearchWithin(const SearchQuery& q, int64_t work_rows, const CursorFn& fn,
                           std::optional<SearchCursor>* resume) {
  return SearchBounded(q, work_rows, fn, resume, /*to_the_bound=*/false);
}

// A page ends at the one query's last match when it stopped there (it has
// records to show, and its next page goes on); a report's records go on in
// time slices from there, up to the bound: it ended with a quarter of the
// bound spent (helper-80). A report has no next page to get further: its
// first slice is within the bound too (a page's is read whatever it costs),
// so its work is the bound's, whatever the store (helper-82).
Status Store::SearchBounded(const SearchQuery& q, int64_t work_rows, const CursorFn& fn,
                            std::optional<SearchCursor>* resume, bool to_the_bound) {
  resume->reset();
  if (SliceSecondsFor(q))
    return SearchInSlices(q, work_rows, fn, resume, /*bound_first=*/to_the_bound);
  const int64_t first_try = std::max<int64_t>(work_rows / kOneQueryShare, 1);
  std::optional<SearchCursor> last;
  int64_t given = 0;
  Status st;
  bool stopped;
  {
    std::unique_ptr<WorkBound> bound = BoundWork(first_try);
    st = SearchWithCursor(q, [&](MessageRecord&& r, const SearchCursor& at) {
      last = at;
      ++given;
      fn(std::move(r), at);
    });
    stopped = bound && bound->spent();
  }
  if (!stopped) return st;
  // Full, the search went on past its page only to read the rest of a chunk
  // of records (SearchFilteringRecords): the page stands.
  if (given >= q.limit) return Status::Ok();
  if (last && !to_the_bound) {
    *resume = last;
    return Status::Ok();
  }
  SearchQuery rest = q;
  if (last) {
    rest.after = last;
    rest.limit = q.limit - given;
  }
  return SearchInSlices(rest, std::max<int64_t>(work_rows - first_try, 1), fn, resume,
                        /*bound_first=*/to_the_bound);
}

// As a page is read, the records whole, but to the bound: the first matches
// in time whatever the search's index (one whose index is not in time order,
// or a recipient's, or a record filter, sorted its matches first, and a bound
// that ran out in the sort gave none: helper-79).
Status Store::SearchFirstWithin(const SearchQuery& q, int64_t work_rows,
                                const std::function<void(MessageRecord&&)>& fn, bool* stopped) {
  std::optional<SearchCursor> resume;
  Status st = SearchBounded(
      q, work_rows, [&](MessageRecord&& r, const SearchCursor&) { fn(std::move(r)); }, &resume,
      /*to_the_bound=*/true);
  *stopped = resume.has_value();
  return st;
}

// The window from `q`'s start in slices of growing length, each read in time
// order (so a slice costs its own messages, not every row of another key),
// the first whatever its cost (so that a search gets further) unless
// `bound_first` (it did already), the others within `work_rows`. Stopped in
// a slice, the search goes on after its last match there, or else after the
// slices read whole.
Status Store::SearchInSlices(const SearchQuery& q, int64_t work_rows, const CursorFn& fn,
                             std::optional<SearchCursor>* resume, bool bound_first) {
  auto span = TimeSpan();
  if (!span.ok()) return span.status();
  const std::optional<SecondsSpan> window = *span ? SecondsToRead(**span, q) : std::nullopt;
  if (!window) return Status::Ok();
  const auto [lo, hi] = *window;
  if (Status st = ReadInTimeOrder(true); !st.ok()) return st;
  struct Reset {
    Store* store;
    ~Reset() { static_cast<void>(store->ReadInTimeOrder(false)); }
  } reset{this};
  std::unique_ptr<WorkBound> bound;
  if (bound_first) bound = BoundWork(work_rows);
  // No more than about kMostSlices of them over a long window, whatever the
  // store asks: a small store over a year read one a day (helper-87: 1,036
  // statements for a page of 1,048 messages over 325 days).
  const int64_t longest = std::max(SliceSecondsFor(q).value_or(kLongestSliceSeconds),
                                   (hi - lo + kMostSlices - 1) / kMostSlices);
  int64_t given = 0, width = std::min(kFirstSliceSeconds, longest);
  for (int64_t from = lo; from < hi && given < q.limit;) {
    const int64_t to = hi - from <= width ? hi : from + width;
    SearchQuery slice = SliceOf(q, from, to);
    slice.limit = q.limit - given;
    std::optional<SearchCursor> last;
    Status st = SearchWithCursor(slice, [&](MessageRecord&& r, const SearchCursor& at) {
      last = at;
      ++given;
      fn(std::move(r), at);
    });
    if (bound && bound->spent()) {
      // Nothing in this slice: after the slices read whole, or where it began.
      if (given < q.limit)
        *resume = last                    ? *last
                  : from == lo && q.after ? *q.after
                                          : SearchCursor{(from - 1) * kUsPerSecond, kRowAfterAll};
      return Status::Ok();
    }
    if (!st.ok()) return st;
    if (!bound) bound = BoundWork(work_rows);
    from = to;
    width = std::min(width * 2, longest);
  }
  return Status::Ok();
}

}  // namespace mailtrail
