// ReportCache: the web console's reports made by the hour (docs/web.md,
// "Reports"). A day's report read every record of the day on each request
// (1.8 s for 123k records); now each whole UTC hour of the window is summed
// once, sealed (agent/report/summary_part.h) and kept while the store's stamp
// of that hour (Store::SliceStamps: its record count and a digest of its row
// ids) stays the same. The hours at the window's edges, and the hour still
// being written (the current one), are kept the same way by the minute, so
// that a window "to the second" sums only its two partial minutes again. A
// request reads the stamps, sums again only the slices that changed and the
// partial minutes, and merges.
//
// The answer is the one Summary over the whole window would give: a changed
// slice is summed again, never patched, and a stamp is read before its slice's
// records, so a part is never older than the stamp it is kept under. A window
// not made by the hour (a store without stamps, or more busy hours than
// kMaxHoursPerWindow) is made by the caller's `unkept`: the console's sum
// bounded by report_records (a month of a busy store, summed whole on each
// request, held a connection for minutes: helper-129).
#ifndef MAILTRAIL_AGENT_WEB_REPORT_CACHE_H_
#define MAILTRAIL_AGENT_WEB_REPORT_CACHE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "agent/report/summary_part.h"
#include "agent/store/store.h"
#include "base/status.h"

namespace mailtrail::web {

class ReportCache {
 public:
  // Sealed slices (hours and minutes) are kept up to about `max_bytes` and
  // `max_slices` of them (least recently used go first).
  explicit ReportCache(size_t max_bytes = kDefaultMaxBytes, size_t max_slices = kDefaultMaxSlices,
                       size_t max_window_hours = kMaxHoursPerWindow)
      : max_bytes_(max_bytes), max_slices_(max_slices), max_window_hours_(max_window_hours) {}
  static constexpr size_t kDefaultMaxBytes = size_t{256} << 20;
  static constexpr size_t kDefaultMaxSlices = 8192;
  // A window with more hours of records than this is not kept (it would push
  // every useful hour out): `unkept` makes its report.
  static constexpr size_t kMaxHoursPerWindow = 31 * 24;

  // Lends a connection to the store for one call (StoreAccess::With), from
  // any thread.
  using WithStore = std::function<Status(const std::function<Status(Store&)>&)>;
  using Unkept = std::function<StatusOr<Report>()>;

  // The report of the records first seen in [since, until) of syslog host
  // `host` ("" = every host): `now` says which hour is still being written
  // (kept by the minute), and bounds a window without an end (what lies past
  // its hour is summed directly). Whole hours not kept are summed by up to
  // `workers` threads at once, each on a connection of its own from `with`
  // (the first report of a day is a sum of 24 independent hours: on two
  // cores, about half the time); the rest on one connection.
  StatusOr<Report> Make(const WithStore& with, int workers, TimeUs since,
                        std::optional<TimeUs> until, const std::string& host, TimeUs now,
                        size_t top, const Unkept& unkept);
  // The same on one connection.
  StatusOr<Report> Make(Store& store, TimeUs since, std::optional<TimeUs> until,
                        const std::string& host, TimeUs now, size_t top, const Unkept& unkept) {
    return Make([&store](const std::function<Status(Store&)>& fn) { return fn(store); }, 1, since,
                until, host, now, top, unkept);
  }

  // For tests and the metrics of the cache.
  struct Counts {
    int64_t hours_summed = 0;    // whole hours summed from records (and kept)
    int64_t hours_reused = 0;    // whole hours taken from the cache
    int64_t minutes_summed = 0;  // minutes of edge and current hours summed (and kept)
    int64_t minutes_reused = 0;  // ... taken from the cache
    int64_t edges_summed = 0;    // partial minutes and the rest, summed directly
    int64_t wholes_summed = 0;   // windows not kept, made by `unkept`
    size_t bytes = 0, slices_kept = 0;
  };
  Counts counts() const;

 private:
  using Key = std::tuple<std::string, TimeUs, TimeUs>;  // host, slice start, width
  struct Entry {
    SliceStamp stamp;
    std::shared_ptr<const SummaryPart> part;
    uint64_t used = 0;
  };
  using Parts = std::vector<std::shared_ptr<const SummaryPart>>;
  // The records of [from, to) within one hour, by the minute: whole minutes
  // kept, partial ones summed directly.
  Status ByMinute(Store& store, const std::string& host, TimeUs from, TimeUs to, Parts* parts);
  Status Direct(Store& store, const std::string& host, std::optional<TimeUs> from,
                std::optional<TimeUs> to, Parts* parts);
  // A whole slice, from the cache while its stamp stands.
  std::shared_ptr<const SummaryPart> Slice(Store& store, const std::string& host, TimeUs width,
                                           const SliceStamp& stamp, Status* st);
  // The kept part of a slice whose stamp stands; null if none (counted as
  // reused when found).
  std::shared_ptr<const SummaryPart> Kept(const Key& key, const SliceStamp& stamp);
  // Sums the whole hours of `stamps` that are not kept, on up to `workers`
  // connections at once, into `summed` (by the hour's start).
  Status SumHours(const WithStore& with, int workers, const std::string& host,
                  const std::vector<SliceStamp>& stamps,
                  std::map<TimeUs, std::shared_ptr<const SummaryPart>>* summed);
  void Keep(const Key& key, Entry entry);

  static size_t EntryBytes(const Key& key, const Entry& e);

  const size_t max_bytes_, max_slices_, max_window_hours_;
  mutable std::mutex mu_;
  std::map<Key, Entry> entries_;
  uint64_t tick_ = 0;
  Counts counts_;
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_REPORT_CACHE_H_
