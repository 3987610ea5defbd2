// ReportCache (agent/web/report_cache.h) against the records themselves: on a
// store of the corpus's records spread over six hours and two syslog hosts, in
// SQLite and in a real MariaDB, a report made by the hour equals the Summary
// of every full record of the window, before and after records change; hours
// are reused while they stand and summed again when they change.
#include "agent/web/report_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <new>
#include <optional>

#include "agent/cli/store_args.h"
#include "agent/web/console_data.h"
#include "base/civil_time.h"
#include "tests/support/corpus_records.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/mariadb.h"
#include "tests/support/temp_dir.h"

namespace mailtrail::web {
namespace {

constexpr TimeUs kHour = 3600 * kUsPerSecond, kMinute = 60 * kUsPerSecond;

TimeUs At(const char* rfc3339) {
  TimeUs t = 0;
  EXPECT_TRUE(ParseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

class ReportCacheTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    // Corpora 01-03 as host "mx", 05-06 as host "mx2"; every message moved
    // 0-5 hours on by its queue id (a message keeps one identity).
    records_ = ReplayFiveCorpora(dir_, /*two_hosts=*/true);
    ASSERT_GT(records_.size(), 1000u);
    for (size_t i = 0; i < records_.size(); ++i) {
      MessageRecord& r = records_[i];
      const size_t shift = (r.qid.empty() ? i : std::hash<std::string>()(r.qid)) % 6;
      r.first_seen += static_cast<TimeUs>(shift) * kHour;
      r.last_seen += static_cast<TimeUs>(shift) * kHour;
    }
    const std::string url = std::string(GetParam()) == "mysql" ? TestMariaDb::Get().NewDatabase()
                                                               : "sqlite:" + dir_.File("store.db");
    StoreOptions o;
    o.agent_name = "report-cache";
    url_ = url;
    auto store = OpenStore(url, o);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Write(records_).ok());
  }

  // The report of every full record of the window, summed in one Summary.
  std::string Direct(TimeUs since, std::optional<TimeUs> until, const std::string& host) {
    SearchQuery q;
    q.since = since;
    q.until = until;
    if (!host.empty()) q.host = host;
    q.limit = INT64_MAX;
    Summary sum;
    EXPECT_TRUE(store_->Search(q, [&](MessageRecord&& r) { sum.Add(r); }).ok());
    EXPECT_GT(sum.records(), 0);
    return ReportJson(ReportOf(sum, 10));
  }

  std::string Cached(TimeUs since, std::optional<TimeUs> until, const std::string& host) {
    auto r = cache_.Make(*store_, since, until, host, now_, 10, NotKept());
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? ReportJson(*r) : "";
  }

  // For windows the cache keeps: made by the hour, never by `unkept`.
  static ReportCache::Unkept NotKept() {
    return []() -> StatusOr<Report> {
      ADD_FAILURE() << "a window the cache keeps was handed to unkept";
      return Status::IoError("unkept");
    };
  }

  TempDir dir_{"mt_report_cache"};
  std::string url_;
  std::vector<MessageRecord> records_;
  std::unique_ptr<Store> store_;
  ReportCache cache_;
  TimeUs now_ = At("2026-11-27T16:30:00Z");
};

TEST_P(ReportCacheTest, ReportsByTheHourEqualTheRecordsAndReuseHours) {
  struct Window {
    const char* since;
    const char* until;  // nullptr: none
    const char* host;
  } const kWindows[] = {
      {"2026-11-27T12:00:00Z", "2026-11-27T18:00:00Z", ""},     // whole hours
      {"2026-11-27T12:07:30Z", "2026-11-27T15:42:10Z", ""},     // partial hours at both ends
      {"2026-11-27T13:00:00Z", nullptr, ""},                    // no end: past "now" too
      {"2026-11-27T12:00:00Z", "2026-11-27T18:00:00Z", "mx2"},  // one host
      {"2026-11-27T11:00:00Z", "2026-11-27T17:13:00Z", "mx"},
  };
  for (const Window& w : kWindows) {
    SCOPED_TRACE(std::string(w.since) + " " + (w.until ? w.until : "-") + " " + w.host);
    const std::optional<TimeUs> until = w.until ? std::optional<TimeUs>(At(w.until)) : std::nullopt;
    const std::string want = Direct(At(w.since), until, w.host);
    EXPECT_EQ(Cached(At(w.since), until, w.host), want);
    const ReportCache::Counts first = cache_.counts();
    EXPECT_EQ(Cached(At(w.since), until, w.host), want);  // again: from the kept hours
    const ReportCache::Counts second = cache_.counts();
    EXPECT_EQ(second.hours_summed, first.hours_summed);
    EXPECT_GT(second.hours_reused, first.hours_reused);
  }
}

// A window with more busy hours than the cache keeps was summed whole,
// without a bound, on every request (a month: minutes, holding a store
// connection, helper-129): it goes to `unkept`, the console's bounded sum.
TEST_P(ReportCacheTest, AWindowLongerThanTheCacheKeepsIsMadeByUnkept) {
  ReportCache small(ReportCache::kDefaultMaxBytes, ReportCache::kDefaultMaxSlices,
                    /*max_window_hours=*/2);
  int unkept = 0;
  auto bounded = [&]() -> StatusOr<Report> {
    ++unkept;
    Report r;
    r.partial = true;
    return r;
  };
  auto whole = small.Make(*store_, At("2026-11-27T12:00:00Z"), At("2026-11-27T18:00:00Z"), "", now_,
                          10, bounded);
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  EXPECT_EQ(unkept, 1);
  EXPECT_TRUE(whole->partial);
  EXPECT_EQ(small.counts().wholes_summed, 1);
  // Two hours are kept: made by the hour, equal to the records.
  auto two = small.Make(*store_, At("2026-11-27T12:00:00Z"), At("2026-11-27T14:00:00Z"), "", now_,
                        10, bounded);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(unkept, 1);
  EXPECT_EQ(ReportJson(*two), Direct(At("2026-11-27T12:00:00Z"), At("2026-11-27T14:00:00Z"), ""));
}

// Reports of hosts that have no records keep nothing: they filled the cache
// with empty hours and pushed out the real host's (helper-129).
TEST_P(ReportCacheTest, AHostWithoutRecordsKeepsNothing) {
  const TimeUs since = At("2026-11-27T12:00:00Z"), until = At("2026-11-27T18:00:00Z");
  ReportCache small(ReportCache::kDefaultMaxBytes, /*max_slices=*/64);
  auto mx = small.Make(*store_, since, until, "mx", now_, 10, NotKept());
  ASSERT_TRUE(mx.ok());
  const size_t kept = small.counts().slices_kept;
  ASSERT_GT(kept, 0u);
  for (int i = 0; i < 20; ++i) {
    auto junk = small.Make(*store_, since, until, "junk" + std::to_string(i), now_, 10, NotKept());
    ASSERT_TRUE(junk.ok());
    EXPECT_EQ(junk->records, 0);
  }
  EXPECT_EQ(small.counts().slices_kept, kept);
  const ReportCache::Counts before = small.counts();
  ASSERT_TRUE(small.Make(*store_, since, until, "mx", now_, 10, NotKept()).ok());
  EXPECT_EQ(small.counts().hours_summed, before.hours_summed) << "mx's hours were still kept";
}

TEST_P(ReportCacheTest, ARewrittenRecordIsSeenAndOnlyItsHourIsSummedAgain) {
  const TimeUs since = At("2026-11-27T12:00:00Z"), until = At("2026-11-27T18:00:00Z");
  const std::string before = Cached(since, until, "");
  ASSERT_EQ(before, Direct(since, until, ""));
  // A delivered message of host mx2 bounces after all (a late line, live mode).
  MessageRecord changed;
  for (const MessageRecord& r : records_)
    if (r.host == "mx2" && !r.qid.empty() && r.outcome == Outcome::kDelivered &&
        r.recipients.size() == 1)
      changed = r;
  ASSERT_FALSE(changed.qid.empty());
  changed.is_update = true;
  changed.outcome = Outcome::kBounced;
  changed.recipients[0].outcome = Outcome::kBounced;
  changed.recipients[0].dsn = "5.1.1";
  ASSERT_TRUE(store_->Write({changed}).ok());
  const ReportCache::Counts first = cache_.counts();
  const std::string after = Cached(since, until, "");
  EXPECT_NE(after, before);
  EXPECT_EQ(after, Direct(since, until, ""));
  const ReportCache::Counts second = cache_.counts();
  EXPECT_EQ(second.hours_summed + second.minutes_summed,
            first.hours_summed + first.minutes_summed + 1);
}

// The hours at a window's edges, and the hour still being written, are kept
// by the minute: asked again, only the partial minutes at the edges are summed
// again, and a record rewritten in one of their minutes sums that minute alone.
TEST_P(ReportCacheTest, EdgeAndCurrentHoursAreKeptByTheMinute) {
  // Each edge of the window falls inside a minute with records on both of its
  // sides, in 13:00's hour and in 15:00's: those minutes are summed directly.
  std::vector<const MessageRecord*> hour13, hour15;
  for (const MessageRecord& r : records_) {
    if (r.first_seen / kHour == At("2026-11-27T13:00:00Z") / kHour) hour13.push_back(&r);
    if (r.first_seen / kHour == At("2026-11-27T15:00:00Z") / kHour) hour15.push_back(&r);
  }
  ASSERT_GT(hour13.size(), 10u);
  ASSERT_GT(hour15.size(), 10u);
  auto by_time = [](const MessageRecord* a, const MessageRecord* b) {
    return a->first_seen < b->first_seen;
  };
  std::sort(hour13.begin(), hour13.end(), by_time);
  std::sort(hour15.begin(), hour15.end(), by_time);
  // The second of a record that has an earlier one in its minute, at another
  // second: a cut there leaves records of the minute on both sides.
  auto cut_in_a_minute = [](const std::vector<const MessageRecord*>& rs, bool last) {
    std::optional<TimeUs> cut;
    for (size_t i = 1; i < rs.size(); ++i) {
      const TimeUs a = rs[i - 1]->first_seen / kUsPerSecond, b = rs[i]->first_seen / kUsPerSecond;
      if (a != b && a / 60 == b / 60 && (last || !cut)) cut = b * kUsPerSecond;
    }
    return cut;
  };
  const auto since_cut = cut_in_a_minute(hour13, false), until_cut = cut_in_a_minute(hour15, true);
  ASSERT_TRUE(since_cut && until_cut);
  const TimeUs since = *since_cut, until = *until_cut;
  const std::string want = Direct(since, until, "");
  EXPECT_EQ(Cached(since, until, ""), want);
  const ReportCache::Counts first = cache_.counts();
  EXPECT_GT(first.minutes_summed, 0);
  EXPECT_EQ(Cached(since, until, ""), want);
  const ReportCache::Counts second = cache_.counts();
  EXPECT_EQ(second.hours_summed, first.hours_summed);
  EXPECT_EQ(second.minutes_summed, first.minutes_summed);
  EXPECT_EQ(second.minutes_reused - first.minutes_reused, first.minutes_summed);
  EXPECT_EQ(second.edges_summed - first.edges_summed, 2);  // the two partial minutes

  // A message of a whole minute of the last hour, delivered after all.
  MessageRecord changed;
  for (const MessageRecord* r : hour15)
    if (!r->qid.empty() && r->first_seen / kMinute != until / kMinute &&
        r->first_seen / kMinute != since / kMinute && r->first_seen < until &&
        r->outcome != Outcome::kBounced)
      changed = *r;
  ASSERT_FALSE(changed.qid.empty());
  changed.is_update = true;
  changed.outcome = Outcome::kBounced;
  ASSERT_TRUE(store_->Write({changed}).ok());
  const std::string after = Cached(since, until, "");
  EXPECT_NE(after, want);
  EXPECT_EQ(after, Direct(since, until, ""));
  const ReportCache::Counts third = cache_.counts();
  EXPECT_EQ(third.hours_summed, second.hours_summed);
  EXPECT_EQ(third.minutes_summed, second.minutes_summed + 1);

  // The hour being written: now inside 15:00's hour, a window without an end.
  now_ = hour15.back()->first_seen + kMinute;
  const TimeUs from = At("2026-11-27T12:00:00Z");
  const std::string live = Cached(from, std::nullopt, "");
  EXPECT_EQ(live, Direct(from, std::nullopt, ""));
  const ReportCache::Counts fourth = cache_.counts();
  changed.outcome = Outcome::kExpired;
  ASSERT_TRUE(store_->Write({changed}).ok());
  EXPECT_EQ(Cached(from, std::nullopt, ""), Direct(from, std::nullopt, ""));
  const ReportCache::Counts fifth = cache_.counts();
  EXPECT_EQ(fifth.hours_summed, fourth.hours_summed);
  EXPECT_EQ(fifth.minutes_summed, fourth.minutes_summed + 1);
}

TEST_P(ReportCacheTest, RewritingTheNewestRecordChangesItsHoursStamp) {
  // The newest row: rewritten, it must not get its old id back (an id reused
  // would leave the hour's count, largest id and sum as they were).
  MessageRecord last = records_.back();
  for (auto it = records_.rbegin(); it != records_.rend() && last.qid.empty(); ++it) last = *it;
  ASSERT_FALSE(last.qid.empty());
  last.is_update = true;
  ASSERT_TRUE(store_->Write({last}).ok());  // now the newest row
  const TimeUs hour = last.first_seen - last.first_seen % kHour;
  auto before = store_->SliceStamps(hour, hour + kHour, kHour);
  ASSERT_TRUE(before.ok()) << before.status().message();
  ASSERT_EQ(before->size(), 1u);
  last.outcome = last.outcome == Outcome::kBounced ? Outcome::kDelivered : Outcome::kBounced;
  ASSERT_TRUE(store_->Write({last}).ok());
  auto after = store_->SliceStamps(hour, hour + kHour, kHour);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].records, (*before)[0].records);
  EXPECT_NE((*after)[0], (*before)[0]);
}

TEST_P(ReportCacheTest, ARecordWrittenByAnotherConnectionIsSeen) {
  // The live agent writes through its own connection while the console reads.
  const TimeUs since = At("2026-11-27T12:00:00Z"), until = At("2026-11-27T18:00:00Z");
  const std::string before = Cached(since, until, "");
  MessageRecord changed;
  for (const MessageRecord& r : records_)
    if (r.host == "mx" && !r.qid.empty() && r.outcome == Outcome::kDelivered) changed = r;
  ASSERT_FALSE(changed.qid.empty());
  changed.is_update = true;
  changed.outcome = Outcome::kExpired;
  {
    StoreOptions o;
    o.agent_name = "another-writer";
    auto writer = OpenStore(url_, o);
    ASSERT_TRUE(writer.ok()) << writer.status().message();
    ASSERT_TRUE((*writer)->Write({changed}).ok());
  }
  const std::string after = Cached(since, until, "");
  EXPECT_NE(after, before);
  EXPECT_EQ(after, Direct(since, until, ""));
}

// A connection of the test's lender: each summary it reads (an hour, a
// minute, an edge) waits, up to 30 s, until another summary runs at the same
// time, once; one at a time, the test fails (and takes 30 s).
class MeetingStore : public ForwardingStore {
 public:
  struct Meeting {
    std::mutex mu;
    std::condition_variable both_in;
    int in_summary = 0, most_in_summary = 0;
    bool met = false;
  };
  MeetingStore(Store* real, Meeting* m) : ForwardingStore(real), m_(m) {}
  Status SearchForSummary(const SearchQuery& q,
                          const std::function<void(MessageRecord&&)>& fn) override {
    {
      std::unique_lock<std::mutex> lock(m_->mu);
      m_->most_in_summary = std::max(m_->most_in_summary, ++m_->in_summary);
      if (m_->in_summary >= 2) m_->met = true, m_->both_in.notify_all();
      if (!m_->met &&
          !m_->both_in.wait_for(lock, std::chrono::seconds(30), [&] { return m_->met; }))
        m_->met = true;  // waited once: the rest go on
    }
    Status st = ForwardingStore::SearchForSummary(q, fn);
    std::lock_guard<std::mutex> lock(m_->mu);
    --m_->in_summary;
    return st;
  }

 private:
  Meeting* m_;
};

// The first report of a window sums two of its hours at once, each on a
// connection of its own.
TEST_P(ReportCacheTest, HoursNotKeptAreSummedOnSeveralConnectionsAtOnce) {
  auto access = StoreAccess::Open(3, [&] { return OpenStore(url_, cli::ReaderOptions()); });
  ASSERT_TRUE(access.ok()) << access.status().message();
  MeetingStore::Meeting meeting;
  const ReportCache::WithStore with = [&](const std::function<Status(Store&)>& fn) {
    return (*access)->With([&](Store& store) {
      MeetingStore meets(&store, &meeting);
      return fn(meets);
    });
  };
  const TimeUs since = At("2026-11-27T12:00:00Z"), until = At("2026-11-27T18:00:00Z");
  auto r = cache_.Make(with, 2, since, until, "", now_, 10, NotKept());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(ReportJson(*r), Direct(since, until, ""));
  EXPECT_GE(meeting.most_in_summary, 2) << "two hours summed at once";
  EXPECT_EQ(cache_.counts().hours_summed, 5) << "12:00-18:00 but 16:00, the current hour";
  // Again: every hour kept, nothing summed, the same report.
  auto again = cache_.Make(with, 2, since, until, "", now_, 10, NotKept());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(ReportJson(*again), ReportJson(*r));
  EXPECT_EQ(cache_.counts().hours_summed, 5);
}

// A failure on any connection, an error or an exception (a bad_alloc of a
// huge hour), is the answer, and ends no thread of the process; nothing of
// that request is kept, and the next request is right.
TEST_P(ReportCacheTest, AFailedHourIsTheAnswerAndNothingOfItIsKept) {
  const TimeUs since = At("2026-11-27T12:00:00Z"), until = At("2026-11-27T18:00:00Z");
  for (const bool thrown : {false, true}) {
    SCOPED_TRACE(thrown ? "an exception" : "an error");
    std::mutex one_at_a_time;  // store_ is one connection
    std::atomic<int> borrows{0};
    const ReportCache::WithStore failing = [&](const std::function<Status(Store&)>& fn) {
      std::lock_guard<std::mutex> lock(one_at_a_time);
      if (++borrows == 3) {
        if (thrown) throw std::bad_alloc();
        return Status::IoError("the store went away");
      }
      return fn(*store_);
    };
    auto r = cache_.Make(failing, 2, since, until, "", now_, 10, NotKept());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(thrown ? "summing an hour" : "the store went away"),
              std::string::npos)
        << r.status().message();
    EXPECT_EQ(cache_.counts().hours_summed, 0) << "no hour of a failed request is kept";
  }
  EXPECT_EQ(Cached(since, until, ""), Direct(since, until, ""));
}

TEST_P(ReportCacheTest, APurgeAndTheSameRecordsAgainChangeTheStamps) {
  // After a purge of everything, SQLite gives the same ids again in the same
  // order: only the purge count tells the new records from the old.
  const TimeUs since = At("2026-11-27T12:00:00Z"), until = At("2026-11-27T18:00:00Z");
  auto before = store_->SliceStamps(since, until, kHour);
  ASSERT_TRUE(before.ok()) << before.status().message();
  ASSERT_FALSE(before->empty());
  auto purged = store_->PurgeBefore(until / (86400 * kUsPerSecond) + 2);
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  ASSERT_GT(*purged, 0);
  ASSERT_TRUE(store_->Write(records_).ok());
  auto after = store_->SliceStamps(since, until, kHour);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < after->size(); ++i) {
    EXPECT_EQ((*after)[i].records, (*before)[i].records);
    EXPECT_NE((*after)[i], (*before)[i]);
  }
}

TEST_P(ReportCacheTest, TheCacheKeepsItsBoundsAndStillAnswersRight) {
  const TimeUs since = At("2026-11-27T12:00:00Z"), until = At("2026-11-27T18:00:00Z");
  const std::string want = Direct(since, until, "");
  ReportCache two_hours(ReportCache::kDefaultMaxBytes, 2);
  ReportCache one_byte(1);
  for (ReportCache* c : {&two_hours, &one_byte}) {
    for (int round = 0; round < 2; ++round) {
      auto r = c->Make(*store_, since, until, "", now_, 10, NotKept());
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(ReportJson(*r), want);
    }
    EXPECT_LE(c->counts().slices_kept, c == &two_hours ? 2u : 1u);
    EXPECT_GE(c->counts().hours_summed, 8);  // six hours, twice, all but what was kept
  }
  EXPECT_LE(one_byte.counts().bytes, size_t{64} << 20);
  // A window of more hours than a request may keep: AWindowLongerThanTheCacheKeepsIsMadeByUnkept.
}

TEST_P(ReportCacheTest, AWindowOfMillenniaCostsItsBusyHours) {
  // Years 1 to 9999: the stamps skip the empty hours (87 million of them).
  const TimeUs since = -62135596800LL * kUsPerSecond, until = 253402300799LL * kUsPerSecond;
  auto stamps = store_->SliceStamps(since, until, kHour);
  ASSERT_TRUE(stamps.ok()) << stamps.status().message();
  EXPECT_EQ(stamps->size(), 6u);
  EXPECT_EQ(Cached(since, until, ""), Direct(since, until, ""));
}

TEST_P(ReportCacheTest, StampsCountEachSlicesRecords) {
  for (const TimeUs width : {kHour, kMinute}) {
    SCOPED_TRACE(width);
    // From 12:30:30: the whole slice it falls in, from 12:00 or 12:30.
    auto stamps =
        store_->SliceStamps(At("2026-11-27T12:30:30Z"), At("2026-11-27T18:00:00Z"), width);
    ASSERT_TRUE(stamps.ok()) << stamps.status().message();
    ASSERT_FALSE(stamps->empty());
    std::map<TimeUs, int64_t> want;  // the records the store gives back, by slice
    SearchQuery q;
    q.since = width == kHour ? At("2026-11-27T12:00:00Z") : At("2026-11-27T12:30:00Z");
    q.until = At("2026-11-27T18:00:00Z");
    q.limit = INT64_MAX;
    ASSERT_TRUE(
        store_->Search(q, [&](MessageRecord&& r) { ++want[r.first_seen - r.first_seen % width]; })
            .ok());
    ASSERT_GT(want.size(), 3u);
    std::map<TimeUs, int64_t> got;
    for (const SliceStamp& s : *stamps) got[s.start] = s.records;
    EXPECT_EQ(got, want);
  }
  EXPECT_FALSE(store_->SliceStamps(0, kHour, 7 * kUsPerSecond).ok());  // not an hour or minute
}

INSTANTIATE_TEST_SUITE_P(Stores, ReportCacheTest, ::testing::Values("sqlite", "mysql"));

}  // namespace
}  // namespace mailtrail::web
