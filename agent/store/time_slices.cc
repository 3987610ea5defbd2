#include "agent/store/time_slices.h"

#include <algorithm>

namespace mailtrail {

namespace {

// Whole seconds of a time, down and up (times before 1970 are negative).
int64_t SecondsDown(TimeUs t) { return t / kUsPerSecond - (t % kUsPerSecond < 0); }
int64_t SecondsUp(TimeUs t) { return t / kUsPerSecond + (t % kUsPerSecond > 0); }

}  // namespace

std::optional<SecondsSpan> SecondsToRead(const SecondsSpan& span, const SearchQuery& q) {
  auto [lo, hi] = span;
  if (q.since) lo = std::max(lo, SecondsDown(*q.since));
  if (q.after) lo = std::max(lo, SecondsDown(q.after->first_seen));
  if (q.until) hi = std::min(hi, SecondsUp(*q.until));
  if (lo >= hi) return std::nullopt;
  return SecondsSpan{lo, hi};
}

SearchQuery SliceOf(const SearchQuery& q, int64_t from, int64_t to) {
  SearchQuery slice = q;
  slice.since = std::max(q.since.value_or(INT64_MIN), from * kUsPerSecond);
  slice.until = std::min(q.until.value_or(INT64_MAX), to * kUsPerSecond);
  return slice;
}

Status ReadInSlices(const SecondsSpan& span, const SearchQuery& q, int64_t seconds,
                    const SqlPageFn& read, const CursorFn& fn) {
  const std::optional<SecondsSpan> window = SecondsToRead(span, q);
  if (!window) return Status::Ok();
  const auto [lo, hi] = *window;
  seconds = std::max({seconds, (hi - lo + kMostSlices - 1) / kMostSlices, int64_t{1}});
  int64_t given = 0;
  for (int64_t from = lo; from < hi && given < q.limit; from += seconds) {
    SearchQuery slice = SliceOf(q, from, std::min(from + seconds, hi));
    slice.limit = q.limit - given;
    Status st = read(slice, [&](MessageRecord&& r, const SearchCursor& at) {
      ++given;
      fn(std::move(r), at);
    });
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace mailtrail
