// SqliteStore's stamps of its records' time slices (Store::SliceStamps), which
// the web console's report cache keeps its parts under (docs/web.md,
// "Reports, by the hour"), and PRAGMA data_version, which tells a reader
// whether another connection has written since it last looked.
#include <vector>

#include "agent/store/sqlite_store.h"

namespace mailtrail {

StatusOr<std::vector<SliceStamp>> SqliteStore::SliceStamps(TimeUs since, TimeUs until,
                                                           TimeUs width) {
  // Per slice that has records (the next one found by an index seek, so a
  // window of years costs its busy hours, not its empty ones), one query on a
  // range of the first_seen index alone (it holds the row id): one GROUP BY
  // over the window would sort it.
  if (width != kSliceHour && width != kSliceMinute)
    return Status::InvalidArgument("slice stamps: a width of an hour or a minute");
  auto version = IntPragma("data_version");
  if (!version.ok()) return version.status();
  const int64_t data_version = *version;
  std::erase_if(stamps_seen_, [&](const StampsSeen& s) { return s.data_version != data_version; });
  for (const StampsSeen& s : stamps_seen_)
    if (s.since == since && s.until == until && s.width == width) return s.stamps;
  auto next = db_.Prepare("SELECT min(first_seen) FROM message WHERE first_seen >= ?1");
  if (!next.ok()) return next.status();
  auto st = db_.Prepare(
      "SELECT count(*), max(id), sum(id % 4294967291) FROM message"
      " WHERE first_seen >= ?1 AND first_seen < ?2");
  if (!st.ok()) return st.status();
  // A purge may let SQLite give the newest ids again: it is counted
  // (DeleteUnreferencedDictionary), and its count is part of every stamp.
  auto purges = db_.Prepare("SELECT value FROM meta WHERE key = 'dict_purges'");
  if (!purges.ok()) return purges.status();
  const int64_t generation = purges->Step() == SQLITE_ROW ? purges->Int(0) : 0;
  const int64_t w = width / kUsPerSecond;  // first_seen is in seconds
  std::vector<SliceStamp> out;
  const int64_t end = (until + kUsPerSecond - 1) / kUsPerSecond;
  int64_t from = since / kUsPerSecond;
  from -= ((from % w) + w) % w;
  while (from < end) {
    next->Reset();
    next->BindInt(1, from);
    if (next->Step() != SQLITE_ROW) return db_.Error("slice stamps");
    if (next->IsNull(0) || next->Int(0) >= end) break;
    const int64_t start = next->Int(0) - ((next->Int(0) % w) + w) % w;
    st->Reset();
    st->BindInt(1, start);
    st->BindInt(2, start + w);
    if (st->Step() != SQLITE_ROW) return db_.Error("slice stamps");
    out.push_back({start * kUsPerSecond, st->Int(0), st->Int(1), st->Int(2), generation});
    from = start + w;
  }
  if (stamps_seen_.size() == kStampsSeen) stamps_seen_.erase(stamps_seen_.begin());
  stamps_seen_.push_back({data_version, since, until, width, out});
  return out;
}

}  // namespace mailtrail
