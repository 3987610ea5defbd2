// Store::SearchForSummary (the report's narrow scan) against the full records:
// on a store replayed from the corpus (two syslog hosts), the summary of the
// narrow scan equals the summary of Search's whole records, for several windows,
// hosts and keys, in SQLite and in a real MariaDB (tests/support/mariadb.h).
#include <gtest/gtest.h>

#include "agent/report/summary.h"
#include "agent/store/store.h"
#include "base/civil_time.h"
#include "tests/support/corpus_records.h"
#include "tests/support/mariadb.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

TimeUs At(const char* rfc3339) {
  TimeUs t = 0;
  EXPECT_TRUE(ParseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

class SummaryScanTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    // Corpora 01-03 as host "mx", 05-06 as host "mx2": one store, two hosts.
    const std::vector<MessageRecord> records = ReplayFiveCorpora(dir_, /*two_hosts=*/true);
    ASSERT_GT(records.size(), 1000u);
    const std::string url = std::string(GetParam()) == "mysql" ? TestMariaDb::Get().NewDatabase()
                                                               : "sqlite:" + dir_.File("store.db");
    StoreOptions o;
    o.detail = Detail::kFull;  // every column stored: what the narrow scan must skip
    o.agent_name = "summary-scan";
    auto store = OpenStore(url, o);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Write(records).ok());
  }

  // The report through both paths; the narrow one's records checked narrow.
  void ExpectSameSummary(SearchQuery q, int64_t min_records) {
    q.limit = INT64_MAX;
    Summary full, narrow;
    int64_t full_other = 0, narrow_other = 0;  // with a Message-ID or HELO
    ASSERT_TRUE(store_
                    ->Search(q,
                             [&](MessageRecord&& r) {
                               full_other += r.message_id.has_value() || !r.helo.empty();
                               full.Add(r);
                             })
                    .ok());
    ASSERT_TRUE(store_
                    ->SearchForSummary(q,
                                       [&](MessageRecord&& r) {
                                         narrow_other +=
                                             r.message_id.has_value() || !r.helo.empty();
                                         narrow.Add(r);
                                       })
                    .ok());
    EXPECT_GE(full.records(), min_records);
    EXPECT_GT(full_other, 0);    // the full records hold what the summary does not read ...
    EXPECT_EQ(narrow_other, 0);  // ... the narrow scan leaves it out
    EXPECT_EQ(SummaryJson(narrow, 100000), SummaryJson(full, 100000));
    EXPECT_EQ(SummaryText(narrow, 10), SummaryText(full, 10));
  }

  TempDir dir_{"mt_summary_scan"};
  std::unique_ptr<Store> store_;
};

TEST_P(SummaryScanTest, EverythingEqualsTheFullRecords) { ExpectSameSummary({}, 1000); }

TEST_P(SummaryScanTest, WindowsEqualTheFullRecords) {
  const std::pair<const char*, const char*> kWindows[] = {
      {"2026-11-27T12:03:00Z", "2026-11-27T12:05:00Z"},  // inbound
      {"2026-11-27T12:04:30Z", "2026-11-27T12:11:00Z"},  // rejects, bounces, the flood's start
      {"2026-11-27T12:14:00Z", "2026-11-27T12:15:30Z"},  // inside the volume corpus
  };
  for (const auto& [since, until] : kWindows) {
    SCOPED_TRACE(since);
    SearchQuery q;
    q.since = At(since);
    q.until = At(until);
    ExpectSameSummary(q, 10);
  }
}

TEST_P(SummaryScanTest, HostsAndKeysEqualTheFullRecords) {
  for (const char* host : {"mx", "mx2"}) {
    SCOPED_TRACE(host);
    SearchQuery q;
    q.host = host;
    ExpectSameSummary(q, 50);
    q.since = At("2026-11-27T12:05:00Z");
    q.until = At("2026-11-27T12:16:00Z");
    ExpectSameSummary(q, 10);
  }
  SearchQuery rejected;
  rejected.outcome = Outcome::kRejected;
  ExpectSameSummary(rejected, 10);
  SearchQuery problems;  // the web console's keys, in SQL beside the join
  problems.outcomes = {Outcome::kBounced, Outcome::kDeferred, Outcome::kDelivered};
  problems.min_size = 1;
  ExpectSameSummary(problems, 10);
}

TEST_P(SummaryScanTest, LimitCountsMessagesNotRecipientRows) {
  SearchQuery q;
  q.host = "mx";
  q.limit = 7;
  std::vector<std::string> full_ids, narrow_ids;
  ASSERT_TRUE(store_->Search(q, [&](MessageRecord&& r) { full_ids.push_back(r.qid); }).ok());
  ASSERT_TRUE(
      store_->SearchForSummary(q, [&](MessageRecord&& r) { narrow_ids.push_back(r.qid); }).ok());
  EXPECT_EQ(full_ids.size(), 7u);
  EXPECT_EQ(narrow_ids, full_ids);
}

INSTANTIATE_TEST_SUITE_P(Stores, SummaryScanTest, ::testing::Values("sqlite", "mysql"));

}  // namespace
}  // namespace mailtrail
