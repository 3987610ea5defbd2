// AsyncWriter with a real SQLite store: live-mode batches are written with
// their checkpoint, and the written batches do not stay in memory once the
// writer has nothing left to do.
#include "agent/replay/async_writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "agent/store/store.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class AsyncWriterTest : public ::testing::Test, public StoreFixture {
 protected:
  TempDir dir_{"mt_writer"};
};

// Polls `done` until it holds or a generous deadline passes (no timing is
// asserted: the deadline only keeps a broken build from hanging).
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST_F(AsyncWriterTest, WrittenBatchesAreFreedWhenTheLogGoesQuiet) {
  auto store = OpenStore("sqlite:" + dir_.File("t.db"), Detail::kStandard, true);
  ASSERT_TRUE(store.ok());
  AsyncWriter writer(store->get(), 2000, 4, /*auto_batches=*/false);
  int n = 0;
  for (int batch = 0; batch < 3; ++batch) {
    for (int i = 0; i < 50; ++i) {
      char qid[16];
      std::snprintf(qid, sizeof qid, "4%02d%04dA", batch, i);
      writer.OnRecord(Sample(qid));
      ++n;
    }
    writer.Commit("{\"batch\":" + std::to_string(batch) + "}");
  }
  // No more commits (a quiet log): the writer frees what it wrote itself.
  ASSERT_TRUE(Eventually([&] { return writer.written() == n; }));
  EXPECT_TRUE(Eventually([&] { return writer.batches_held() == 0; }))
      << writer.batches_held() << " written batches still held";
  ASSERT_TRUE(writer.Finish().ok());
  auto cp = (*store)->LoadCheckpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(*cp, "{\"batch\":2}");
  SearchQuery all;
  all.limit = 1000;
  int found = 0;
  ASSERT_TRUE((*store)->Search(all, [&](MessageRecord&&) { ++found; }).ok());
  EXPECT_EQ(found, n);
}

}  // namespace
}  // namespace mailtrail
