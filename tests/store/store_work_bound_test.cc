// Store::CountMatchesUpTo's work bound, on every backend: a count that would
// examine more rows stops, says so, and gives a lower bound; within the bound
// it is exact; and the connection is sound afterwards (docs/web.md, "The
// total").
#include <gtest/gtest.h>

#include <string>
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
      r.scans[0].score = i % 10 == 7 ? 9 : 0;
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

INSTANTIATE_TEST_SUITE_P(Backends, WorkBound, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
