// FetchSearchPage's total (docs/web.md, "The total"): from the page itself
// when the first page is the whole search, else from the store's bounded
// count: exact, past the cap, or stopped at the work bound, and never below
// what the page showed.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/web/console_data.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail::web {
namespace {

// A real store of three messages whose count answers what the test says.
class CountingStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  StatusOr<MatchCount> CountMatchesUpTo(const SearchQuery&, int64_t cap, int64_t) override {
    cap_asked = cap;
    return answer;
  }
  // With stop_page, a page stops after its first record.
  Status SearchWithin(const SearchQuery& q, int64_t work_rows,
                      const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
                      std::optional<SearchCursor>* resume) override {
    if (!stop_page) return ForwardingStore::SearchWithin(q, work_rows, fn, resume);
    SearchQuery one = q;
    one.limit = 1;
    return SearchWithCursor(one, [&](MessageRecord&& r, const SearchCursor& at) {
      fn(std::move(r), at);
      *resume = at;
    });
  }
  MatchCount answer;
  int64_t cap_asked = 0;
  bool stop_page = false;
};

class TotalTest : public ::testing::Test, public StoreFixture {
 protected:
  void SetUp() override {
    real_ = OpenTestStore(dir_);
    ASSERT_NE(real_, nullptr);
    std::vector<MessageRecord> three;
    for (int i = 0; i < 3; ++i) {
      three.push_back(Sample("6B10" + std::to_string(i)));
      three.back().first_seen += i * kUsPerSecond;
    }
    ASSERT_TRUE(real_->Write(three).ok());
  }
  TempDir dir_{"mt_console_data"};
  std::unique_ptr<Store> real_;
};

TEST_F(TotalTest, AWholeFirstPageIsTheTotalWithoutACount) {
  CountingStore store(real_.get());
  SearchQuery q;
  q.limit = 10;
  auto page = FetchSearchPage(store, q);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(store.cap_asked, 0) << "no count";
  EXPECT_EQ(page->total, 3);
  EXPECT_FALSE(page->total_capped);
}

TEST_F(TotalTest, TheCountIsExactCappedOrStoppedAndNeverBelowThePage) {
  CountingStore store(real_.get());
  SearchQuery q;
  q.limit = 2;  // two messages shown and a next page: at least 3 match
  struct Case {
    MatchCount answer;
    int64_t total;
    bool capped, stopped;
  } cases[] = {
      {{312, false}, 312, false, false},
      {{kTotalCap, false}, kTotalCap, false, false},
      {{kTotalCap + 1, false}, kTotalCap, true, false},
      {{312, true}, 312, true, true},
      {{0, true}, 3, true, true},                  // stopped before what the page read
      {{kTotalCap, true}, kTotalCap, true, true},  // at least 10000, not more than
      {{kTotalCap + 1, true}, kTotalCap, true, false},
  };
  for (const Case& c : cases) {
    store.answer = c.answer;
    store.cap_asked = 0;
    auto page = FetchSearchPage(store, q);
    ASSERT_TRUE(page.ok()) << page.status().message();
    EXPECT_EQ(page->records.size(), 2u);
    EXPECT_EQ(store.cap_asked, kTotalCap + 1);
    EXPECT_EQ(page->total, c.total) << c.answer.n << " " << c.answer.stopped;
    EXPECT_EQ(page->total_capped, c.capped) << c.answer.n << " " << c.answer.stopped;
    EXPECT_EQ(page->total_stopped, c.stopped) << c.answer.n << " " << c.answer.stopped;
  }
}

TEST_F(TotalTest, AStoppedFirstPageIsNotCountedFurther) {
  CountingStore store(real_.get());
  store.stop_page = true;
  SearchQuery q;
  q.limit = 10;
  auto page = FetchSearchPage(store, q);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_TRUE(page->stopped);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_TRUE(page->next.has_value());
  EXPECT_EQ(store.cap_asked, 0) << "no count";
  EXPECT_EQ(page->total, 1);
  EXPECT_TRUE(page->total_capped);
  EXPECT_TRUE(page->total_stopped);
  // A later page is counted: the count reads from the window's start, which
  // that page does not; never below what the page showed.
  q.after = page->next;
  store.answer = {40, true};
  page = FetchSearchPage(store, q);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(store.cap_asked, kTotalCap + 1);
  EXPECT_EQ(page->total, 40);
  store.answer = {0, true};
  page = FetchSearchPage(store, q);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(page->total, 1);
  EXPECT_TRUE(page->total_stopped);
}

}  // namespace
}  // namespace mailtrail::web
