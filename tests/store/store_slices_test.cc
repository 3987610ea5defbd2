// Store::SearchWithin's time slices when a store asks for short ones
// (Store::SliceSecondsFor; MariaDB does for a recipient key checked per
// message, whose statements cost something for each daily partition of
// their window: docs/web.md, "A page's work bound"). A SQLite store under
// a wrapper that asks for slices of a day: each statement reads at most a
// day, the slices follow each other, and the page is the page without them.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/forwarding_store.h"
#include "tests/support/store_backends.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

constexpr int64_t kDay = 86400;

class DaySlicedStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status SearchWithin(const SearchQuery& q, int64_t work_rows,
                      const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
                      std::optional<SearchCursor>* resume) override {
    return Store::SearchWithin(q, work_rows, fn, resume);  // the slicing under test
  }
  Status SearchWithCursor(
      const SearchQuery& q,
      const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) override {
    windows.emplace_back(q.since, q.until);
    return ForwardingStore::SearchWithCursor(q, fn);
  }
  StatusOr<std::optional<std::pair<int64_t, int64_t>>> TimeSpan() override {
    return real_store()->TimeSpan();
  }
  std::optional<int64_t> SliceSecondsFor(const SearchQuery&) const override { return kDay; }

  std::vector<std::pair<std::optional<TimeUs>, std::optional<TimeUs>>> windows;
};

class StoreSlices : public ::testing::Test, public StoreFixture {};

TEST_F(StoreSlices, AStoreAskingForDaySlicesReadsADayAtMostAStatement) {
  TempDir dir{"mt_store_slices"};
  auto s = OpenStore("sqlite:" + dir.File("t.db"), Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  constexpr int kDays = 10;
  std::vector<MessageRecord> batch;
  for (int i = 0; i < kDays * 24; ++i) {  // one an hour
    MessageRecord r = Sample("5S" + std::to_string(100000 + i));
    r.first_seen += static_cast<TimeUs>(i) * 3600 * kUsPerSecond;
    r.last_seen = r.first_seen;
    batch.push_back(std::move(r));
  }
  ASSERT_TRUE((*s)->Write(batch).ok());
  DaySlicedStore sliced(s->get());
  SearchQuery q;
  q.limit = kDays * 24 - 5;
  std::string whole, got;
  ASSERT_TRUE((*s)->Search(q, [&](MessageRecord&& r) { whole += r.qid + " "; }).ok());
  std::optional<SearchCursor> resume;
  ASSERT_TRUE(sliced
                  .SearchWithin(
                      q, 1'000'000'000,
                      [&](MessageRecord&& r, const SearchCursor&) { got += r.qid + " "; }, &resume)
                  .ok());
  EXPECT_EQ(got, whole);
  EXPECT_FALSE(resume.has_value());
  ASSERT_GT(sliced.windows.size(), static_cast<size_t>(kDays));
  for (size_t i = 0; i < sliced.windows.size(); ++i) {
    const auto& [since, until] = sliced.windows[i];
    ASSERT_TRUE(since && until) << "statement " << i << " has no window";
    EXPECT_LE(*until - *since, kDay * kUsPerSecond) << "statement " << i;
    if (i > 0) {
      EXPECT_EQ(*since, *sliced.windows[i - 1].second) << "a gap or an overlap at " << i;
    }
  }
}

// A recipient key beside a key of an index of its own (here the queue id)
// is one query through that index, on every store: in MariaDB's day slices
// a queue id's DSN read the store a day at a time (0.48 s, not 7 ms), and a
// sender's page stopped before its matches (helper-87). Alone, over more
// than a day, it is read in slices on MariaDB.
class DaysOfMail : public ::testing::TestWithParam<StoreBackend>, public StoreFixture {
 protected:
  static constexpr int kDays = 30, kPerDay = 100;
  // kDays days of kPerDay messages a minute apart, each with one recipient
  // whose DSN is 5.1.1, and no reject (whose DSN would match too).
  void SetUp() override {
    auto s = OpenStore(GetParam().url(dir_), Detail::kStandard, true);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    for (int i = 0; i < kDays * kPerDay; ++i) {
      MessageRecord r = Sample("5I" + std::to_string(100000 + i));
      r.first_seen += static_cast<TimeUs>(i / kPerDay) * kDay * kUsPerSecond +
                      static_cast<TimeUs>(i % kPerDay) * 60 * kUsPerSecond;
      r.last_seen = r.first_seen;
      r.recipients.resize(1);
      r.recipients[0].dsn = "5.1.1";
      r.reject.reset();
      batch_.push_back(std::move(r));
    }
    ASSERT_TRUE(store_->Write(batch_).ok());
  }

  TempDir dir_{"mt_store_days"};
  std::unique_ptr<Store> store_;
  std::vector<MessageRecord> batch_;
};

using IndexedKeySlices = DaysOfMail;

TEST_P(IndexedKeySlices, AnIndexedKeyBesideARecipientKeyIsReadThroughItsIndex) {
  Store* s = store_.get();
  std::vector<MessageRecord>& batch = batch_;
  SearchQuery q;
  q.dsn = "5.1.1";
  const bool sliced = s->SliceSecondsFor(q).has_value();
  EXPECT_EQ(sliced, std::string(GetParam().name) == "mysql");
  q.since = batch[0].first_seen;
  q.until = *q.since + kDay * kUsPerSecond;
  EXPECT_FALSE(s->SliceSecondsFor(q)) << "a day is one query";
  q.since.reset();
  q.until.reset();
  q.qid = "5I102903";  // day 29
  EXPECT_FALSE(s->SliceSecondsFor(q)) << "read through the queue id's index";
  int64_t n = 0;
  std::optional<SearchCursor> resume;
  ASSERT_TRUE(s->SearchWithin(
                   q, 400, [&](MessageRecord&&, const SearchCursor&) { ++n; }, &resume)
                  .ok());
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(resume.has_value()) << "the page stopped";
  auto total = s->CountMatchesUpTo(q, 100, 400);
  ASSERT_TRUE(total.ok()) << total.status().message();
  EXPECT_EQ(*total, (MatchCount{1, false}));
}

// A page of a key that matches nothing over many days stops near its
// bound, whatever its slices. MariaDB's were given what the bound had left
// by the session's Rows_read, which a scan of the time index does not move
// (about 1.3 a message where MariaDB examined 5.7), so each slice spent only
// its own LIMIT ... ROWS EXAMINED, and a page that found nothing read about
// four times its bound (0.3-0.7 s on a month's store, not about 0.1 s):
// here 1,700 messages for a bound of 2,400. MariaDB examines at least two
// rows a message (its entry in the time index, its recipient's key); SQLite's
// instructions for a message and its recipient are about a row's.
using RareKeySlices = DaysOfMail;

TEST_P(RareKeySlices, APageOfAKeyThatMatchesNothingStopsNearItsBound) {
  Store* s = store_.get();
  std::vector<MessageRecord>& batch = batch_;
  SearchQuery q;
  q.dsn = "5.9.9";
  q.limit = 100;
  constexpr int64_t kBound = 2400;
  int64_t n = 0;
  std::optional<SearchCursor> resume;
  ASSERT_TRUE(s->SearchWithin(
                   q, kBound, [&](MessageRecord&&, const SearchCursor&) { ++n; }, &resume)
                  .ok());
  EXPECT_EQ(n, 0);
  ASSERT_TRUE(resume.has_value()) << "the page read the whole store";
  int64_t read = 0;
  for (const MessageRecord& r : batch) read += r.first_seen <= resume->first_seen;
  const int64_t least_rows_a_message = std::string(GetParam().name) == "mysql" ? 2 : 1;
  EXPECT_LE(read, kBound / least_rows_a_message) << "messages the page read past";
}

// A whole read of such a key (an export by chunks, `mailtrail search`, a
// report's records) gives every match in time order: MariaDB reads it a day
// a statement (a year's DSN export as one took 9.2 s).
using WholeReadSlices = DaysOfMail;

TEST_P(WholeReadSlices, AWholeReadOfARecipientKeyGivesEveryMatchInOrder) {
  Store* s = store_.get();
  std::vector<MessageRecord>& batch = batch_;
  // Every 13th message, and 25 more in the very second a day begins (the
  // first of day 10's), written after: the slices' and the chunks' ends
  // fall among records of one second.
  constexpr size_t kDayTen = 10 * kPerDay;
  std::vector<MessageRecord> same_second;
  for (int i = 0; i < 25; ++i) {
    MessageRecord r = batch[kDayTen];
    r.qid = "5J" + std::to_string(100000 + i);
    r.recipients[0].dsn = "4.4.1";
    same_second.push_back(std::move(r));
  }
  std::string want;
  for (size_t i = 7; i < batch.size(); i += 13) {
    if (i > kDayTen && i - 13 < kDayTen) {
      for (const MessageRecord& r : same_second) want += r.qid + " ";
    }
    want += batch[i].qid + " ";
    batch[i].recipients[0].dsn = "4.4.1";
    batch[i].last_seen += kUsPerSecond;  // a later state of the record
  }
  ASSERT_EQ(kDayTen % 13, 12u) << "day 10's first message is no match of its own";
  ASSERT_TRUE(s->Write(batch).ok());
  ASSERT_TRUE(s->Write(same_second).ok());
  SearchQuery q;
  q.dsn = "4.4.1";
  q.limit = static_cast<int64_t>(batch.size() + same_second.size());
  std::string whole, summed, chunked;
  ASSERT_TRUE(s->Search(q, [&](MessageRecord&& r) { whole += r.qid + " "; }).ok());
  EXPECT_EQ(whole, want);
  ASSERT_TRUE(s->SearchForSummary(q, [&](MessageRecord&& r) { summed += r.qid + " "; }).ok());
  EXPECT_EQ(summed, want);
  q.limit = 7;  // as an export reads, a chunk after the last one's end
  for (int chunk = 0; chunk < 1000; ++chunk) {
    int64_t n = 0;
    ASSERT_TRUE(s->SearchWithCursor(q, [&](MessageRecord&& r, const SearchCursor& at) {
                   chunked += r.qid + " ";
                   q.after = at;
                   ++n;
                 }).ok());
    if (n < q.limit) break;
  }
  EXPECT_EQ(chunked, want);
}

INSTANTIATE_TEST_SUITE_P(Backends, IndexedKeySlices, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });
INSTANTIATE_TEST_SUITE_P(Backends, WholeReadSlices, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });
INSTANTIATE_TEST_SUITE_P(Backends, RareKeySlices, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
