#include "agent/web/report_cache.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace mailtrail::web {

namespace {

constexpr TimeUs kHour = Store::kSliceHour, kMinute = Store::kSliceMinute;

TimeUs HourOf(TimeUs t) { return t - ((t % kHour) + kHour) % kHour; }

// The records first seen in [since, until) of `host`, summed and sealed.
StatusOr<std::shared_ptr<const SummaryPart>> SumRecords(Store& store, std::optional<TimeUs> since,
                                                        std::optional<TimeUs> until,
                                                        const std::string& host) {
  SearchQuery q;
  q.since = since;
  q.until = until;
  if (!host.empty()) q.host = host;
  q.limit = INT64_MAX;
  Summary sum;
  if (Status st = store.SearchForSummary(q, [&](MessageRecord&& r) { sum.Add(r); }); !st.ok())
    return st;
  return SummaryPart::Seal(sum);
}

}  // namespace

StatusOr<Report> ReportCache::Make(const WithStore& with, int workers, TimeUs since,
                                   std::optional<TimeUs> until, const std::string& host, TimeUs now,
                                   size_t top, const Unkept& unkept) {
  // Hours are kept up to the window's end, or the end of the current hour.
  const TimeUs end = until ? *until : HourOf(now) + kHour;
  std::optional<StatusOr<std::vector<SliceStamp>>> read;
  if (Status st = with([&](Store& store) {
        read.emplace(store.SliceStamps(since, std::max(since, end), Store::kSliceHour));
        return Status::Ok();
      });
      !st.ok())
    return st;
  StatusOr<std::vector<SliceStamp>>& stamps = *read;
  const bool whole = !stamps.ok() || stamps->size() > max_window_hours_;
  if (!stamps.ok() && stamps.status().code() != Status::Code::kNotFound) return stamps.status();
  if (whole) {  // no stamps, or too long a window to keep
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counts_.wholes_summed;
    }
    return unkept();
  }
  // A partial hour at an edge, and the hour still being written (its stamp
  // changes with every record), by the minute. Hours after it (records of
  // a clock ahead) are kept whole: by the minute a long window of them
  // would be tens of thousands of slices.
  auto by_minute = [&](const SliceStamp& stamp) {
    const TimeUs from = std::max(stamp.start, since), to = std::min(stamp.start + kHour, end);
    return from != stamp.start || to != stamp.start + kHour || stamp.start == HourOf(now);
  };
  std::vector<SliceStamp> hours;
  for (const SliceStamp& stamp : *stamps)
    if (!by_minute(stamp)) hours.push_back(stamp);
  std::map<TimeUs, std::shared_ptr<const SummaryPart>> summed;
  if (Status st = SumHours(with, workers, host, hours, &summed); !st.ok()) return st;
  Parts parts;
  Status st = with([&](Store& store) -> Status {
    for (const SliceStamp& stamp : *stamps) {
      if (!by_minute(stamp)) {
        parts.push_back(summed.at(stamp.start));
        continue;
      }
      const TimeUs from = std::max(stamp.start, since), to = std::min(stamp.start + kHour, end);
      if (Status m = ByMinute(store, host, from, to, &parts); !m.ok()) return m;
    }
    // A window without an end: what lies past the current hour (a clock ahead
    // of ours), normally nothing, read through the first_seen index.
    if (!until) return Direct(store, host, std::max(since, end), std::nullopt, &parts);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return MergeParts(parts, top);
}

Status ReportCache::SumHours(const WithStore& with, int workers, const std::string& host,
                             const std::vector<SliceStamp>& stamps,
                             std::map<TimeUs, std::shared_ptr<const SummaryPart>>* summed) {
  std::vector<const SliceStamp*> todo;
  for (const SliceStamp& stamp : stamps) {
    if (auto part = Kept(Key{host, stamp.start, kHour}, stamp))
      (*summed)[stamp.start] = std::move(part);
    else
      todo.push_back(&stamp);
  }
  // Each worker takes the next hour and a connection for it. The stamps were
  // read before these records: a part is never older than its stamp.
  std::vector<std::shared_ptr<const SummaryPart>> got(todo.size());
  std::atomic<size_t> next{0};
  std::mutex failed_mu;
  Status failed;
  auto work = [&] {
    for (size_t i; (i = next++) < todo.size();) {
      Status st;
      // An exception (bad_alloc of a huge hour) must not leave a thread: it
      // would end the process (the agent too, when it serves the console),
      // where on one thread it cost the request a 500.
      try {
        st = with([&](Store& store) -> Status {
          auto part = SumRecords(store, todo[i]->start, todo[i]->start + kHour, host);
          if (!part.ok()) return part.status();
          got[i] = std::move(*part);
          return Status::Ok();
        });
      } catch (const std::exception& e) {
        st = Status::Unavailable(std::string("summing an hour: ") + e.what());  // a 500
      }
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(failed_mu);
        if (failed.ok()) failed = st;
        next = todo.size();  // the others stop after their hour
        return;
      }
    }
  };
  std::vector<std::thread> helpers;
  const size_t wanted = std::min<size_t>(static_cast<size_t>(std::max(workers, 1)), todo.size());
  helpers.reserve(wanted);  // no allocation while a thread runs
  for (size_t k = 1; k < wanted; ++k) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads: this one still sums every hour left
    }
  }
  work();
  for (std::thread& t : helpers) t.join();
  if (!failed.ok()) return failed;
  for (size_t i = 0; i < todo.size(); ++i) {
    Keep(Key{host, todo[i]->start, kHour}, Entry{*todo[i], got[i], 0});
    (*summed)[todo[i]->start] = got[i];
  }
  std::lock_guard<std::mutex> lock(mu_);
  counts_.hours_summed += static_cast<int64_t>(todo.size());
  return Status::Ok();
}

Status ReportCache::ByMinute(Store& store, const std::string& host, TimeUs from, TimeUs to,
                             Parts* parts) {
  auto stamps = store.SliceStamps(from, to, Store::kSliceMinute);
  if (!stamps.ok()) return stamps.status();
  for (const SliceStamp& stamp : *stamps) {
    const TimeUs a = std::max(stamp.start, from), b = std::min(stamp.start + kMinute, to);
    if (a != stamp.start || b != stamp.start + kMinute) {  // a partial minute at an edge
      if (Status st = Direct(store, host, a, b, parts); !st.ok()) return st;
      continue;
    }
    Status st;
    auto part = Slice(store, host, Store::kSliceMinute, stamp, &st);
    if (!st.ok()) return st;
    parts->push_back(std::move(part));
  }
  return Status::Ok();
}

Status ReportCache::Direct(Store& store, const std::string& host, std::optional<TimeUs> from,
                           std::optional<TimeUs> to, Parts* parts) {
  auto part = SumRecords(store, from, to, host);
  if (!part.ok()) return part.status();
  parts->push_back(std::move(*part));
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_.edges_summed;
  return Status::Ok();
}

std::shared_ptr<const SummaryPart> ReportCache::Slice(Store& store, const std::string& host,
                                                      TimeUs width, const SliceStamp& stamp,
                                                      Status* st) {
  const Key key{host, stamp.start, width};
  const bool hour = width == Store::kSliceHour;
  if (auto part = Kept(key, stamp)) return part;
  // The stamp was read before these records: if they changed since, the part
  // is newer than its stamp and is summed again next time, never the reverse.
  auto part = SumRecords(store, stamp.start, stamp.start + width, host);
  if (!part.ok()) {
    *st = part.status();
    return nullptr;
  }
  Keep(key, Entry{stamp, *part, 0});
  std::lock_guard<std::mutex> lock(mu_);
  ++(hour ? counts_.hours_summed : counts_.minutes_summed);
  return *part;
}

std::shared_ptr<const SummaryPart> ReportCache::Kept(const Key& key, const SliceStamp& stamp) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || !(it->second.stamp == stamp)) return nullptr;
  it->second.used = ++tick_;
  ++(std::get<2>(key) == Store::kSliceHour ? counts_.hours_reused : counts_.minutes_reused);
  return it->second.part;
}

void ReportCache::Keep(const Key& key, Entry entry) {
  // A slice without records of the host asked for is not kept: reports of
  // hosts that have none (cheap: their hours sum nothing) filled the cache
  // with empty hours and pushed out every useful one (helper-129: the real
  // host's report went from 0.04 to 0.50 s).
  if (entry.part->records() == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  entry.used = ++tick_;
  auto [it, added] = entries_.try_emplace(key);
  if (!added) counts_.bytes -= EntryBytes(it->first, it->second);
  counts_.bytes += EntryBytes(key, entry);
  it->second = std::move(entry);
  // Least recently used first (a scan: at most max_slices_ entries); the slice
  // just made stays even if it alone is over the bound (the request that made
  // it holds it anyway).
  while ((counts_.bytes > max_bytes_ || entries_.size() > max_slices_) && entries_.size() > 1) {
    auto oldest = entries_.end();
    for (auto e = entries_.begin(); e != entries_.end(); ++e)
      if (e != it && (oldest == entries_.end() || e->second.used < oldest->second.used)) oldest = e;
    counts_.bytes -= EntryBytes(oldest->first, oldest->second);
    entries_.erase(oldest);
  }
  counts_.slices_kept = entries_.size();
}

size_t ReportCache::EntryBytes(const Key& key, const Entry& e) {
  // The part, the host text of the key, and the map node with its pointers.
  return e.part->bytes() + std::get<0>(key).capacity() + 128;
}

ReportCache::Counts ReportCache::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

}  // namespace mailtrail::web
