// StoreAccess: the console's connections to the store, lent one request at a
// time. A request that holds one (the first report of a day sums every hour
// for many seconds) does not hold up the others; no connection is ever used
// by two threads at once.
#include "agent/web/console_data.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mailtrail::web {
namespace {

std::unique_ptr<StoreAccess> OpenPool(const TempDir& dir, int n) {
  const std::string url = "sqlite:" + (dir.path() / "t.db").string();
  EXPECT_TRUE(OpenStore(url, Detail::kStandard, /*writer=*/true).ok());  // created
  auto access = StoreAccess::Open(n, [&] { return OpenStore(url, Detail::kStandard, false); });
  EXPECT_TRUE(access.ok()) << access.status().message();
  return access.ok() ? std::move(*access) : nullptr;
}

TEST(StoreAccess, ALongRequestDoesNotHoldUpTheOthers) {
  TempDir dir("mt_store_access");
  auto access = OpenPool(dir, kWebStoreConnections);
  ASSERT_NE(access, nullptr);
  ASSERT_GE(access->connections(), 2u);
  std::promise<void> holding, release;
  std::thread long_request([&] {
    access->With([&](Store&) {
      holding.set_value();
      release.get_future().wait();
      return 0;
    });
  });
  holding.get_future().wait();
  // Another request meanwhile: it must not wait for the long one. (The
  // timeout only keeps a broken build from hanging; an idle machine answers
  // at once.)
  auto other = std::async(std::launch::async, [&] {
    return access->With([](Store& s) { return s.CountMatches(SearchQuery{}).ok(); });
  });
  const bool answered = other.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  release.set_value();
  long_request.join();
  EXPECT_TRUE(answered) << "the second request waited for the first";
  EXPECT_TRUE(other.get());
}

TEST(StoreAccess, AConnectionServesOneThreadAtATime) {
  TempDir dir("mt_store_access");
  auto access = OpenPool(dir, 2);
  ASSERT_NE(access, nullptr);
  std::mutex mu;
  std::map<Store*, int> users;  // threads inside With() per connection
  std::atomic<int> most{0}, inside{0}, most_inside{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        access->With([&](Store& s) {
          {
            std::lock_guard<std::mutex> l(mu);
            most = std::max(most.load(), ++users[&s]);
          }
          most_inside = std::max(most_inside.load(), ++inside);
          std::this_thread::yield();
          --inside;
          std::lock_guard<std::mutex> l(mu);
          --users[&s];
          return 0;
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 1) << "a connection was used by two threads at once";
  EXPECT_LE(most_inside.load(), 2) << "more requests at once than connections";
}

}  // namespace
}  // namespace mailtrail::web
