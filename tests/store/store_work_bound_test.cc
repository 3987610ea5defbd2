// The work bounds on every backend: Store::CountMatchesUpTo, a count that
// would examine more rows stops, says so, and gives a lower bound (within the
// bound it is exact, and the connection is sound afterwards; docs/web.md,
// "The total"); Store::SearchWithin, a page that stops and goes on without a
// gap or a repeat ("A page's work bound").
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "agent/store/store.h"
#include "tests/support/store_backends.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class WorkBound : public ::testing::TestWithParam<StoreBackend>, public StoreFixture {
 protected:
  // kMessages messages a second apart, every recipient x@example.test; one in
  // ten bounced, one
  // in ten with a scan score of 9 (a record filter).
  static constexpr int kMessages = 3000;
  void SetUp() override {
    auto s = OpenStore(GetParam().url(dir_), Detail::kStandard, true);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    std::vector<MessageRecord> batch;
    for (int i = 0; i < kMessages; ++i) {
      MessageRecord r = Sample("5A" + std::to_string(100000 + i));
      r.first_seen += i * kUsPerSecond;
      r.last_seen = r.first_seen;
      r.outcome = i % 10 == 3 ? Outcome::kBounced : Outcome::kDelivered;
      r.recipients.resize(1);
      r.recipients[0].address = "x@example.test";
      r.recipients[0].orig_address.clear();
      r.recipients[0].outcome = r.outcome;
      r.recipients[0].dsn = r.outcome == Outcome::kBounced ? "5.1.1" : "2.0.0";
      // A relay name per ten messages, and one more for the bounced ones.
      r.recipients[0].relay =
          i % 10 == 3 ? "in.bounced.test" : "mx" + std::to_string(i / 10) + ".example.test";
      r.scans[0].score = i % 10 == 7 ? 9 : 0;
      r.size = i;
      // Half the subjects are not UTF-8 (as a hostile client may send): MariaDB
      // warns for each one its CONVERT() meets.
      r.subject = (i % 2 ? "caf\xe9 report " : "weekly report ") + std::to_string(i);
      batch.push_back(std::move(r));
    }
    ASSERT_TRUE(store_->Write(batch).ok());
  }

  MatchCount Count(const SearchQuery& q, int64_t work_rows) {
    auto c = store_->CountMatchesUpTo(q, 100000, work_rows);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? *c : MatchCount{-1, false};
  }

  bool bounds_record_filters() const { return std::string(GetParam().name) == "sqlite"; }

  // Every match of `q`, oldest first, without a bound.
  std::string Whole(SearchQuery q) {
    q.limit = kMessages + 1;
    std::string got;
    EXPECT_TRUE(store_->Search(q, [&](MessageRecord&& r) { got += r.qid + " "; }).ok());
    return got;
  }
  // Every match of `q` by pages of `q.limit` under `work_rows`, as the console
  // pages (a full page goes on after its last record, a stopped one from where
  // it stopped); the number of stopped pages in `*stops`.
  std::string Paged(SearchQuery q, int64_t work_rows, int* stops) {
    std::string got;
    *stops = 0;
    for (int page = 0; page < 10 * kMessages; ++page) {
      std::optional<SearchCursor> last, resume;
      int64_t n = 0;
      Status st = store_->SearchWithin(
          q, work_rows,
          [&](MessageRecord&& r, const SearchCursor& at) {
            got += r.qid + " ";
            last = at;
            ++n;
          },
          &resume);
      EXPECT_TRUE(st.ok()) << st.message();
      const std::optional<SearchCursor> next = resume ? resume : n == q.limit ? last : std::nullopt;
      if (!next) return got;
      *stops += resume ? 1 : 0;
      EXPECT_TRUE(!q.after || std::tie(q.after->first_seen, q.after->row) <
                                  std::tie(next->first_seen, next->row))
          << "every page gets further";
      q.after = next;
    }
    ADD_FAILURE() << "paging did not end";
    return got;
  }

  // kMessages messages within 50 s (one time slice), one in ten of size
  // 50000 (a key without an index: every row is read), the others 100.
  StatusOr<std::unique_ptr<Store>> StoreWithinOneSlice(const TempDir& dir) {
    auto s = OpenStore(GetParam().url(dir), Detail::kStandard, true);
    if (!s.ok()) return s;
    std::vector<MessageRecord> batch;
    for (int i = 0; i < kMessages; ++i) {
      MessageRecord r = Sample("5B" + std::to_string(100000 + i));
      r.first_seen += (i * 50 / kMessages) * kUsPerSecond;
      r.last_seen = r.first_seen;
      r.size = i % 10 == 3 ? 50000 : 100;
      r.recipients.resize(1);
      batch.push_back(std::move(r));
    }
    if (Status st = (*s)->Write(batch); !st.ok()) return st;
    return s;
  }

  TempDir dir_{"mt_work_bound"};
  std::unique_ptr<Store> store_;
};

TEST_P(WorkBound, AScanStopsWithALowerBoundAndIsExactWithinIt) {
  SearchQuery bounced;
  bounced.outcomes = {Outcome::kBounced};
  EXPECT_EQ(Count(bounced, kCountWorkRows), (MatchCount{kMessages / 10, false}));
  const MatchCount part = Count(bounced, 150);
  EXPECT_TRUE(part.stopped) << part.n;
  EXPECT_GT(part.n, 0) << "the rows found before the bound are counted";
  EXPECT_LT(part.n, kMessages / 10);
  // The connection is sound afterwards: the bound was for that count only.
  EXPECT_EQ(Count(bounced, kCountWorkRows), (MatchCount{kMessages / 10, false}));
  SearchQuery all;
  all.limit = kMessages + 1;
  int64_t n = 0;
  ASSERT_TRUE(store_->Search(all, [&](MessageRecord&&) { ++n; }).ok());
  EXPECT_EQ(n, kMessages);
}

TEST_P(WorkBound, ManyWarningsDoNotHideAStop) {
  SearchQuery report;
  report.subject = "report";
  EXPECT_EQ(Count(report, kCountWorkRows), (MatchCount{kMessages, false}));
  const MatchCount part = Count(report, 400);
  EXPECT_TRUE(part.stopped) << part.n;
  EXPECT_LT(part.n, kMessages);
}

TEST_P(WorkBound, ARecipientCountStops) {
  SearchQuery x;
  x.recipient = "x@example.test";
  EXPECT_EQ(Count(x, kCountWorkRows), (MatchCount{kMessages, false}));
  const MatchCount part = Count(x, 150);
  EXPECT_TRUE(part.stopped);
  EXPECT_LT(part.n, kMessages);
}

TEST_P(WorkBound, TheCapIsNotAStop) {
  SearchQuery bounced;
  bounced.outcomes = {Outcome::kBounced};
  auto c = store_->CountMatchesUpTo(bounced, 10);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*c, (MatchCount{10, false}));
}

TEST_P(WorkBound, RecordFiltersStopOnSqliteOnly) {
  SearchQuery scored;
  scored.min_score = 5;
  EXPECT_EQ(Count(scored, kCountWorkRows), (MatchCount{kMessages / 10, false}));
  const MatchCount part = Count(scored, 150);
  if (bounds_record_filters()) {
    EXPECT_TRUE(part.stopped);
    EXPECT_LT(part.n, kMessages / 10);
  } else {
    // MariaDB: record filters are checked in C++, record by record, with no
    // work bound (docs/web.md says so).
    EXPECT_EQ(part, (MatchCount{kMessages / 10, false}));
  }
}

TEST_P(WorkBound, PagesStopAndGoOnWithoutGapsOrRepeats) {
  struct Case {
    const char* what;
    SearchQuery q;
  };
  SearchQuery bounced, none, last_five, scored, all_null_sender, relay, no_relay;
  bounced.outcomes = {Outcome::kBounced};
  relay.relay = "BOUNCED";  // in any case
  no_relay.relay = "nowhere";
  EXPECT_EQ(Whole(relay), Whole(bounced)) << "the bounced messages, and only they";
  none.outcomes = {Outcome::kDeferred};
  last_five.min_size = kMessages - 5;
  scored.min_score = 5;
  all_null_sender.sender = "";  // an index's every row, sorted by time
  all_null_sender.outcomes = {Outcome::kBounced};
  for (const Case& c : {Case{"bounced", bounced}, Case{"none", none}, Case{"last five", last_five},
                        Case{"scored", scored}, Case{"null sender", all_null_sender},
                        Case{"relay", relay}, Case{"no relay", no_relay}}) {
    SearchQuery q = c.q;
    q.limit = 50;
    int stops = 0;
    const std::string want = Whole(q);
    EXPECT_EQ(Paged(q, 150, &stops), want) << c.what;
    EXPECT_GT(stops, 0) << c.what << ": the bound stopped some pages";
    EXPECT_EQ(Paged(q, kCountWorkRows, &stops), want) << c.what;
    EXPECT_EQ(stops, 0) << c.what << ": within the default bound";
  }
}

// Whatever the bound, a page stops without an error and paging gives every
// match once: on MariaDB a bound that ran out inside a sort (1028) or an
// index merge (1030) is an error whose last warning says so. A record
// filter whose SQL part matches rows of no match (bounced, scored) stops
// too: the bound counts the rows every statement of the page read.
TEST_P(WorkBound, PagesStopAtAnyBoundWithoutAnError) {
  SearchQuery permanent, temporary, not_bounce, scored_bounced;
  permanent.dsn = "5.*";
  temporary.dsn = "4.*";
  not_bounce.is_bounce = false;  // every sample is from the null sender
  scored_bounced.outcomes = {Outcome::kBounced};
  scored_bounced.min_score = 5;
  struct Case {
    const char* what;
    SearchQuery q;
  };
  for (int64_t bound : {400, 2000, 5000}) {
    for (const Case& c :
         {Case{"5.*", permanent}, Case{"4.*", temporary}, Case{"not a bounce", not_bounce},
          Case{"scored bounced", scored_bounced}}) {
      SearchQuery q = c.q;
      q.limit = 50;
      int stops = 0;
      EXPECT_EQ(Paged(q, bound, &stops), Whole(q)) << c.what << " " << bound;
      // Every page of the record filter read at least 1,000 rows (a chunk).
      if (bound == 400 && c.q.min_score) {
        EXPECT_GT(stops, 0) << c.what;
      }
    }
  }
}

// A page of a record filter fills early in a chunk of records, and the bound
// runs out while the rest of the chunk is read: the page stands.
TEST_P(WorkBound, APageFullBeforeTheBoundStands) {
  SearchQuery scored;
  scored.min_score = 5;
  scored.limit = 5;
  std::string got;
  std::optional<SearchCursor> resume;
  Status st = store_->SearchWithin(
      scored, 3000, [&](MessageRecord&& r, const SearchCursor&) { got += r.qid + " "; }, &resume);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(got, "5A100007 5A100017 5A100027 5A100037 5A100047 ");
  EXPECT_FALSE(resume.has_value());
}

// A page stopped before any match goes on from the first second it did not
// read whole: a lone match is found wherever it lies against the slices.
TEST_P(WorkBound, ALoneMatchIsFoundWhereverItLies) {
  for (int64_t at = 0; at < 900; at += 3) {
    SearchQuery one;
    one.min_size = one.max_size = at;
    one.limit = 50;
    int stops = 0;
    EXPECT_EQ(Paged(one, 100, &stops), "5A" + std::to_string(100000 + at) + " ") << at;
  }
}

// A report's records (SearchFirstWithin), as the console's reports not
// made by the hour ask them: the first `limit` in time, stopped after about
// `work_rows` rows examined; the qids given, and whether it stopped.
std::pair<std::string, bool> Summarized(Store* store, SearchQuery q, int64_t limit,
                                        int64_t work_rows) {
  q.limit = limit;
  std::string got;
  bool stopped = false;
  Status st = store->SearchFirstWithin(
      q, work_rows, [&](MessageRecord&& r) { got += r.qid + " "; }, &stopped);
  EXPECT_TRUE(st.ok()) << st.message();
  return {got, stopped};
}

// A report's records are the search's first in time, whatever its index:
// on MariaDB an outcome, a recipient or a record filter sorted every match
// first, and a bound that ran out in the sort gave none (helper-79). Twice
// the web console's bound (80 rows a record: ReportWorkRows) is room for a
// report of a tenth of the messages, which went no further than the first
// query's quarter of the bound once that had found a match (helper-80);
// with more room, every one is the same.
TEST_P(WorkBound, AReportGivesTheFirstRecordsInTimeWhateverItsIndex) {
  SearchQuery all, bounced, x, scored, sized, null_sender, relay;
  bounced.outcomes = {Outcome::kBounced};
  relay.relay = "Bounced.TEST";
  x.recipient = "x@example.test";
  scored.min_score = 5;
  sized.min_size = 100;
  null_sender.sender = "";
  for (const auto& [what, q] :
       std::vector<std::pair<const char*, SearchQuery>>{{"all", all},
                                                        {"bounced", bounced},
                                                        {"recipient", x},
                                                        {"scored", scored},
                                                        {"sized", sized},
                                                        {"null sender", null_sender},
                                                        {"relay substring", relay}}) {
    std::string want = Whole(q);  // its first 101
    size_t end = 0;
    for (int i = 0; i < 101 && end != std::string::npos; ++i) end = want.find(' ', end + 1);
    want.resize(std::min(end + 1, want.size()));
    const auto [got, stopped] = Summarized(store_.get(), q, 101, 101 * 160);
    const auto n = std::count(got.begin(), got.end(), ' ');
    EXPECT_TRUE(want.compare(0, got.size(), got) == 0) << what << ": from " << got.substr(0, 18);
    EXPECT_TRUE(n == 101 || stopped) << what << ": " << n;
    EXPECT_GE(n, 30) << what << (stopped ? " (stopped)" : "");
    EXPECT_EQ(n, 101) << what << (stopped ? " (stopped)" : "")
                      << ": a tenth of the messages match, within 160 rows a record";
    EXPECT_EQ(Summarized(store_.get(), q, 101, 100 * kCountWorkRows).first, want) << what;
  }
}

// A report reads its first time slice within the bound too, whether its one
// query found matches or not: that slice was read whatever its cost (the
// pages' rule, so that a next page gets further), here a whole store in one
// minute (helper-82).
TEST_P(WorkBound, AReportGoesOnWithinItsBound) {
  TempDir dir{"mt_work_bound_minute"};
  auto s = StoreWithinOneSlice(dir);
  ASSERT_TRUE(s.ok()) << s.status().message();
  SearchQuery large;
  large.min_size = 50000;
  const auto [got, stopped] = Summarized(s->get(), large, 250, 250 * 4);
  EXPECT_TRUE(stopped);
  EXPECT_LT(std::count(got.begin(), got.end(), ' '), 250) << "the first slice was not bounded";
  // Read in time order, what the bound left room for is given: MariaDB
  // sorted each statement's matches (its message table is partitioned, and
  // the index on first_seen named no id before schema 13), and a bound cut
  // in the sort gave none.
  EXPECT_GT(std::count(got.begin(), got.end(), ' '), 0);
}

// A page of many records with a key that has no index of its own is read in
// time order from its first query: on MariaDB that query, given a LIMIT of a
// tenth of the store, scanned and sorted the table, the bound ran out in the
// sort, and the page went on in slices, its first read whatever its cost:
// here the whole store, unbounded (helper-83).
TEST_P(WorkBound, APageOfManyRecordsIsReadInTimeOrderWithinItsBound) {
  TempDir dir{"mt_work_bound_page"};
  auto s = StoreWithinOneSlice(dir);
  ASSERT_TRUE(s.ok()) << s.status().message();
  SearchQuery large;
  large.min_size = 50000;
  large.limit = kMessages / 10;
  int64_t n = 0;
  std::optional<SearchCursor> resume;
  ASSERT_TRUE((*s)->SearchWithin(
                      large, 4 * 400, [&](MessageRecord&&, const SearchCursor&) { ++n; }, &resume)
                  .ok());
  EXPECT_TRUE(resume.has_value()) << n << " records: the page read past its bound";
  EXPECT_GT(n, 0);
  EXPECT_LT(n, kMessages / 10);
}

// A recipient key checked per message reads the recipients of the message's
// own day only: MariaDB pruned no partition for the subquery's correlated
// time, and each message looked in every day's partition of rcpt, so a day's
// page stopped at its bound after a few of its messages (helper-83).
TEST_P(WorkBound, ARecipientKeyReadsOnlyItsMessagesDay) {
  TempDir dir{"mt_work_bound_days"};
  auto s = OpenStore(GetParam().url(dir), Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  constexpr int kDays = 30, kPerDay = 100;
  std::vector<MessageRecord> batch;
  for (int i = 0; i < kDays * kPerDay; ++i) {
    MessageRecord r = Sample("5D" + std::to_string(100000 + i));
    r.first_seen += static_cast<TimeUs>(i / kPerDay) * 86400 * kUsPerSecond +
                    static_cast<TimeUs>(i % kPerDay) * 60 * kUsPerSecond;
    r.last_seen = r.first_seen;
    r.recipients.resize(1);
    r.recipients[0].dsn = i % 10 == 3 ? "5.1.1" : "2.0.0";
    r.reject.reset();  // its DSN would match too
    batch.push_back(std::move(r));
  }
  ASSERT_TRUE((*s)->Write(batch).ok());
  SearchQuery day;
  day.dsn = "5.1.1";
  day.since = Sample("x").first_seen + 15LL * 86400 * kUsPerSecond;
  day.until = *day.since + 86400 * kUsPerSecond;
  day.limit = 100;
  int64_t n = 0;
  std::optional<SearchCursor> resume;
  ASSERT_TRUE((*s)->SearchWithin(
                      day, 4 * 1500, [&](MessageRecord&&, const SearchCursor&) { ++n; }, &resume)
                  .ok());
  EXPECT_EQ(n, kPerDay / 10) << "every match of the day";
  EXPECT_FALSE(resume.has_value()) << "within the bound";
  // Without a window, a page of the first 1,000 messages and the total of
  // all, each one statement. Before schema 14 each message looked in every
  // day's partition: the day's page gave 4 of 10, this page 21 of 100 and
  // the total 81 of 300.
  SearchQuery all;
  all.dsn = "5.1.1";
  all.limit = 100;
  n = 0;
  ASSERT_TRUE((*s)->SearchWithin(
                      all, 4 * 8000, [&](MessageRecord&&, const SearchCursor&) { ++n; }, &resume)
                  .ok());
  EXPECT_EQ(n, 100) << "a whole page";
  auto total = (*s)->CountMatchesUpTo(all, 100000, 10 * kDays * kPerDay);
  ASSERT_TRUE(total.ok()) << total.status().message();
  EXPECT_EQ(*total, (MatchCount{kDays * kPerDay / 10, false}));
  // A window of days that begins and ends inside one (counted by the day on
  // MariaDB): each message once, the bounds as the page's.
  all.since = day.since.value() - 12LL * 86400 * kUsPerSecond + 50 * 60 * kUsPerSecond;
  all.until = *all.since + 6LL * 86400 * kUsPerSecond - 20 * 60 * kUsPerSecond;
  int64_t within = 0;
  for (const MessageRecord& r : batch)
    within +=
        r.first_seen >= *all.since && r.first_seen < *all.until && r.recipients[0].dsn[0] == '5';
  total = (*s)->CountMatchesUpTo(all, 100000, 10 * kDays * kPerDay);
  ASSERT_TRUE(total.ok()) << total.status().message();
  EXPECT_EQ(*total, (MatchCount{within, false}));
}

// A report of a rare match stops at the bound, with nothing summed, and says
// so; within the bound it finds the match; either way the store is sound.
TEST_P(WorkBound, AReportOfARareMatchStopsAtTheBound) {
  SearchQuery last;
  last.min_size = kMessages - 1;
  const auto [none, stopped] = Summarized(store_.get(), last, 100, 500);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(none, "");
  const auto [one, whole] = Summarized(store_.get(), last, 100, kCountWorkRows);
  EXPECT_FALSE(whole);
  EXPECT_EQ(one, "5A102999 ");
  SearchQuery scored;  // a record filter: the SQL part is bounded too
  scored.min_score = 5;
  scored.min_size = kMessages - 5;
  EXPECT_TRUE(Summarized(store_.get(), scored, 100, 300).second);
  EXPECT_EQ(Summarized(store_.get(), scored, 100, kCountWorkRows).first, "5A102997 ");
  EXPECT_EQ(Count(last, kCountWorkRows), (MatchCount{1, false}));
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkBound, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
