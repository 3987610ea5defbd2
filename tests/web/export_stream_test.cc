// ExportStream: an export's chunks as httplib asks for them, and its place
// among the exports running at once, given back as soon as its last chunk is
// read: a client that read the whole export and starts the next one at once
// must find the place free, whenever the server finishes the connection
// (web_config failed on a loaded machine when the place waited for that).
#include "agent/web/export_stream.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail::web {
namespace {

class ExportStreamTest : public ::testing::Test, public StoreFixture {
 protected:
  void SetUp() override {
    std::unique_ptr<Store> real = OpenTestStore(dir_);
    ASSERT_NE(real, nullptr);
    std::vector<MessageRecord> batch;
    for (int i = 0; i < 25; ++i) batch.push_back(Sample("7C" + std::to_string(100000 + i)));
    ASSERT_TRUE(real->Write(batch).ok());
    std::vector<std::unique_ptr<Store>> stores;
    stores.push_back(std::move(real));
    access_ = std::make_unique<StoreAccess>(std::move(stores));
  }
  SearchQuery Chunks(int64_t limit) {
    SearchQuery q;
    q.limit = limit;
    return q;
  }
  // Asks `stream` for chunks as httplib does until it says done (or cuts):
  // the text written.
  std::string Drain(ExportStream* stream, bool* done) {
    std::string got;
    *done = false;
    httplib::DataSink sink;
    sink.write = [&got](const char* d, size_t n) {
      got.append(d, n);
      return true;
    };
    sink.done = [done] { *done = true; };
    for (int i = 0; i < 100 && !*done; ++i)
      if (!stream->Provide(sink)) break;
    return got;
  }

  TempDir dir_{"mt_export_stream"};
  std::unique_ptr<StoreAccess> access_;
};

TEST_F(ExportStreamTest, ThePlaceIsGivenBackWhenTheLastChunkIsRead) {
  ExportLimiter limiter({/*concurrent=*/1, /*per_client=*/100, 60 * kUsPerSecond});
  ASSERT_EQ(limiter.TryStart("a", 0), ExportLimiter::Verdict::kStart);
  ExportStream stream(&limiter, access_.get(), Chunks(10), /*csv=*/false);
  EXPECT_EQ(limiter.TryStart("b", 0), ExportLimiter::Verdict::kBusy) << "one at a time";
  bool done;
  const std::string got = Drain(&stream, &done);
  EXPECT_TRUE(done);
  EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 25);
  // The stream is still there (the server has not finished the connection).
  EXPECT_EQ(limiter.TryStart("b", 0), ExportLimiter::Verdict::kStart);
  limiter.Finish();
  stream.End();  // the releaser, later: gives nothing back twice
  ASSERT_EQ(limiter.TryStart("c", 0), ExportLimiter::Verdict::kStart);
  EXPECT_EQ(limiter.TryStart("d", 0), ExportLimiter::Verdict::kBusy);
}

TEST_F(ExportStreamTest, AnExportDroppedMidwayGivesItsPlaceBack) {
  ExportLimiter limiter({/*concurrent=*/1, /*per_client=*/100, 60 * kUsPerSecond});
  ASSERT_EQ(limiter.TryStart("a", 0), ExportLimiter::Verdict::kStart);
  {
    ExportStream stream(&limiter, access_.get(), Chunks(10), /*csv=*/true);
    httplib::DataSink sink;
    sink.write = [](const char*, size_t) { return false; };  // the client went away
    sink.done = [] {};
    EXPECT_FALSE(stream.Provide(sink));
  }
  EXPECT_EQ(limiter.TryStart("b", 0), ExportLimiter::Verdict::kStart);
}

}  // namespace
}  // namespace mailtrail::web
