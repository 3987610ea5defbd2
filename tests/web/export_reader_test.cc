// ExportReader: an export's records read a chunk ahead by a thread of its
// own. Every match once, in order, whatever the chunk boundaries; a failed
// turn of the store ends the export with its error after the chunks before
// it; a reader dropped mid-export (the client went away) stops.
#include "agent/web/export_reader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/forwarding_store.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail::web {
namespace {

// Counts the store's turns; fails the turn numbered `fail_turn` (from 1).
class TurnStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status SearchWithCursor(
      const SearchQuery& q,
      const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) override {
    if (++turns == fail_turn) {
      // Some records of the failed turn were given before the failure.
      SearchQuery one = q;
      one.limit = 1;
      Status st = ForwardingStore::SearchWithCursor(one, fn);
      return st.ok() ? Status::IoError("disk I/O error") : st;
    }
    return ForwardingStore::SearchWithCursor(q, fn);
  }
  std::atomic<int> turns{0};
  int fail_turn = -1;
};

class ExportReaderTest : public ::testing::Test, public StoreFixture {
 protected:
  void Fill(int n) {
    real_ = OpenTestStore(dir_);
    ASSERT_NE(real_, nullptr);
    std::vector<MessageRecord> batch;
    for (int i = 0; i < n; ++i) {
      batch.push_back(Sample("7C" + std::to_string(100000 + i)));
      batch.back().first_seen += (i / 3) * kUsPerSecond;  // three a second: ties
    }
    ASSERT_TRUE(real_->Write(batch).ok());
    std::vector<std::unique_ptr<Store>> stores;
    auto turn_store = std::make_unique<TurnStore>(real_.get());
    store_ = turn_store.get();
    stores.push_back(std::move(turn_store));
    access_ = std::make_unique<StoreAccess>(std::move(stores));
  }
  SearchQuery Chunks(int64_t limit) {
    SearchQuery q;
    q.limit = limit;
    return q;
  }
  // The queue ids of every chunk until the end, and the chunks' sizes.
  std::string ReadAll(ExportReader* reader, std::vector<size_t>* sizes, Status* end) {
    std::string got;
    for (;;) {
      auto chunk = reader->Next();
      if (!chunk.ok()) {
        *end = chunk.status();
        return got;
      }
      if (chunk->empty()) return got;
      sizes->push_back(chunk->size());
      for (const MessageRecord& r : *chunk) got += r.qid + " ";
    }
  }
  std::string Expected(int n) {
    std::string want;
    for (int i = 0; i < n; ++i) want += "7C" + std::to_string(100000 + i) + " ";
    return want;
  }

  TempDir dir_{"mt_export_reader"};
  std::unique_ptr<Store> real_;
  TurnStore* store_ = nullptr;
  std::unique_ptr<StoreAccess> access_;
};

TEST_F(ExportReaderTest, EveryMatchOnceInOrder) {
  Fill(2500);
  ExportReader reader(access_.get(), Chunks(1000));
  std::vector<size_t> sizes;
  Status end;
  EXPECT_EQ(ReadAll(&reader, &sizes, &end), Expected(2500));
  EXPECT_TRUE(end.ok()) << end.message();
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 500}));
  EXPECT_EQ(reader.Next()->size(), 0u) << "the end stays the end";
}

// A chunk is sized by its records' bytes: a thousand records of 2,000
// recipients each held 2.7 GB (helper-129). The first turn takes `first`,
// the next as many as make about `chunk_bytes`.
TEST_F(ExportReaderTest, ChunksAreSizedByTheirRecordsBytes) {
  Fill(400);
  const size_t budget = 40 * sizeof(MessageRecord);
  ExportReader reader(access_.get(), Chunks(1000), 2, budget, /*first=*/10);
  std::vector<size_t> sizes;
  Status end;
  EXPECT_EQ(ReadAll(&reader, &sizes, &end), Expected(400));
  ASSERT_GE(sizes.size(), 3u);
  EXPECT_EQ(sizes[0], 10u);
  for (size_t i = 1; i < sizes.size(); ++i) EXPECT_LE(sizes[i], 40u) << i;
  EXPECT_GT(sizes[1], 10u) << "small records: the next turn takes more";
}

TEST_F(ExportReaderTest, AWholeLastChunkEndsWithAnEmptyTurn) {
  Fill(2000);
  ExportReader reader(access_.get(), Chunks(500));
  std::vector<size_t> sizes;
  Status end;
  EXPECT_EQ(ReadAll(&reader, &sizes, &end), Expected(2000));
  EXPECT_EQ(sizes, (std::vector<size_t>{500, 500, 500, 500}));
  EXPECT_EQ(store_->turns, 5) << "the fifth turn found nothing";
}

TEST_F(ExportReaderTest, AFailedTurnEndsTheExportWithItsError) {
  Fill(2500);
  store_->fail_turn = 2;
  ExportReader reader(access_.get(), Chunks(1000));
  std::vector<size_t> sizes;
  Status end;
  EXPECT_EQ(ReadAll(&reader, &sizes, &end), Expected(1000)) << "nothing of the failed turn";
  EXPECT_EQ(end.code(), Status::Code::kIoError) << end.message();
  EXPECT_EQ(store_->turns, 2) << "no turn after the failure";
}

TEST_F(ExportReaderTest, AReaderDroppedMidExportStops) {
  Fill(2500);
  {
    ExportReader reader(access_.get(), Chunks(100), /*ahead=*/1);
    auto first = reader.Next();
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->size(), 100u);
  }  // the destructor returns: the thread stopped
  const int turns = store_->turns;
  EXPECT_LE(turns, 2) << "the chunk taken and at most one ahead";
  // The store is free again for the console's other requests.
  EXPECT_EQ(access_->With([](Store&) { return 1; }), 1);
}

// A HEAD request asks for no body: its reader never reads the store.
TEST_F(ExportReaderTest, AReaderNeverAskedReadsNothing) {
  Fill(10);
  { ExportReader reader(access_.get(), Chunks(1000)); }
  EXPECT_EQ(store_->turns, 0);
}

TEST_F(ExportReaderTest, NoMatchIsAnEmptyEnd) {
  Fill(10);
  SearchQuery none = Chunks(1000);
  none.qid = "NOSUCHQID";
  ExportReader reader(access_.get(), none);
  auto chunk = reader.Next();
  ASSERT_TRUE(chunk.ok()) << chunk.status().message();
  EXPECT_TRUE(chunk->empty());
  EXPECT_EQ(store_->turns, 1);
}

TEST_F(ExportReaderTest, AFailedFirstTurnIsTheAnswer) {
  Fill(10);
  store_->fail_turn = 1;
  ExportReader reader(access_.get(), Chunks(1000));
  auto chunk = reader.Next();
  EXPECT_FALSE(chunk.ok()) << "the record read before the failure is not given";
}

}  // namespace
}  // namespace mailtrail::web
