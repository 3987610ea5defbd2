// Time slices of a search's window, in seconds: the part of the store's span
// a search leaves, one slice of it, and a read slice by slice. Shared by the
// bounded pages' slices (Store::SearchInSlices), MariaDB's sliced total
// (MysqlStore::CountInSlices) and its whole reads of a recipient key checked
// per message (MysqlStore::SearchWithCursor); docs/web.md, "A page's work
// bound".
#ifndef MAILTRAIL_AGENT_STORE_TIME_SLICES_H_
#define MAILTRAIL_AGENT_STORE_TIME_SLICES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "agent/store/search_filters.h"
#include "agent/store/store.h"

namespace mailtrail {

// [first, past last) whole seconds of first_seen.
using SecondsSpan = std::pair<int64_t, int64_t>;

// A bounded page or a total reads a long window in at most about this many
// slices, longer ones over a longer window (a small store over a year read
// a day a statement made 1,036 statements for a page: helper-87).
constexpr int64_t kMostSlices = 64;

// The seconds of `span` (Store::TimeSpan) that `q`'s since, until and cursor
// leave, or none. A window that ends within a second reaches into it (the
// stores compare whole seconds, so that finds nothing more today).
std::optional<SecondsSpan> SecondsToRead(const SecondsSpan& span, const SearchQuery& q);

// `q` within [from, to) seconds, and within its own window.
SearchQuery SliceOf(const SearchQuery& q, int64_t from, int64_t to);

// `q` by `read` (SqlPageFn: a search of one slice), slice after slice of
// `seconds` (longer over a long window: at most about kMostSlices) over what
// `span` leaves of it, oldest first, until q.limit records or the end: the
// records and order of `q` read whole.
Status ReadInSlices(const SecondsSpan& span, const SearchQuery& q, int64_t seconds,
                    const SqlPageFn& read, const CursorFn& fn);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_TIME_SLICES_H_
