// FetchSearchPage's total from the store's bounded count (docs/web.md, "The
// total"): exact, past the cap, or stopped at the store's work bound.
#include <gtest/gtest.h>

#include <memory>

#include "agent/web/console_data.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail::web {
namespace {

// A real store whose count answers what the test says.
class CountingStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  StatusOr<MatchCount> CountMatchesUpTo(const SearchQuery&, int64_t cap, int64_t) override {
    cap_asked = cap;
    return answer;
  }
  MatchCount answer;
  int64_t cap_asked = 0;
};

TEST(FetchSearchPage, TheTotalIsExactCappedOrStopped) {
  TempDir dir("mt_console_data");
  std::unique_ptr<Store> real = OpenTestStore(dir);
  ASSERT_NE(real, nullptr);
  CountingStore store(real.get());
  SearchQuery q;
  q.limit = 10;
  struct Case {
    MatchCount answer;
    int64_t total;
    bool capped, stopped;
  } cases[] = {
      {{312, false}, 312, false, false},
      {{kTotalCap, false}, kTotalCap, false, false},
      {{kTotalCap + 1, false}, kTotalCap, true, false},
      {{312, true}, 312, true, true},
      {{0, true}, 0, true, true},
      {{kTotalCap, true}, kTotalCap, true, true},  // at least 10000, not more than
      {{kTotalCap + 1, true}, kTotalCap, true, false},
  };
  for (const Case& c : cases) {
    store.answer = c.answer;
    auto page = FetchSearchPage(store, q);
    ASSERT_TRUE(page.ok()) << page.status().message();
    EXPECT_EQ(store.cap_asked, kTotalCap + 1);
    EXPECT_EQ(page->total, c.total) << c.answer.n << " " << c.answer.stopped;
    EXPECT_EQ(page->total_capped, c.capped) << c.answer.n << " " << c.answer.stopped;
    EXPECT_EQ(page->total_stopped, c.stopped) << c.answer.n << " " << c.answer.stopped;
  }
}

}  // namespace
}  // namespace mailtrail::web
