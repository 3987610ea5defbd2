// AsyncWriter with a real SQLite store: live-mode batches are written with
// their checkpoint, the written batches do not stay in memory once the writer
// has nothing left to do, and batches queued behind a slow write are committed
// together (group commit) with the checkpoint of the last.
#include "agent/store/async_writer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "agent/store/store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class AsyncWriterTest : public ::testing::Test, public StoreFixture {
 public:
  // `count` records with queue ids unique to `batch`.
  static void AddRecords(AsyncWriter* writer, int batch, int count) {
    for (int i = 0; i < count; ++i) {
      char qid[16];
      std::snprintf(qid, sizeof qid, "4%02d%04dA", batch, i);
      writer->OnRecord(Sample(qid));
    }
  }

  // How many records `store` finds.
  static int CountRecords(Store* store) {
    SearchQuery all;
    all.limit = 1 << 20;
    int found = 0;
    EXPECT_TRUE(store->Search(all, [&](MessageRecord&&) { ++found; }).ok());
    return found;
  }

 protected:
  TempDir dir_{"mt_writer"};
  std::unique_ptr<Store> real_ = OpenTestStore(dir_);
};

// "R" (replace) or "A" (append), then the parts, each after a '|'.
std::string Describe(const CheckpointUpdate& u) {
  std::string out = u.append ? "A" : "R";
  for (const auto& p : u.parts) out += "|" + p;
  return out;
}

CheckpointUpdate Whole(int batch) {
  return CheckpointUpdate::Replace("{\"batch\":" + std::to_string(batch) + "}");
}

// A real store behind a gate: the first write waits until the test opens it,
// so that the test can queue batches behind a writer that is busy. Records how
// many records and which checkpoint each write carried.
class GatedStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status WriteBatch(const std::vector<MessageRecord>& records,
                    const CheckpointUpdate* checkpoint) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      writing_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
      writes_.emplace_back(records.size(), checkpoint ? Describe(*checkpoint) : "-");
    }
    return ForwardingStore::WriteBatch(records, checkpoint);
  }
  void WaitUntilWriting() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return writing_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  std::vector<std::pair<size_t, std::string>> writes() {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool writing_ = false, open_ = false;
  std::vector<std::pair<size_t, std::string>> writes_;
};

// Commits batch 0 (`n` records, a whole state) and returns once the writer
// holds it at the gate: later batches queue up behind it.
void HoldFirstWrite(GatedStore* store, AsyncWriter* writer, int n) {
  AsyncWriterTest::AddRecords(writer, 0, n);
  writer->Commit(Whole(0));
  store->WaitUntilWriting();
}

TEST_F(AsyncWriterTest, BatchesQueuedBehindASlowWriteAreCommittedTogether) {
  ASSERT_NE(real_, nullptr);
  GatedStore store(real_.get());
  AsyncWriter writer(&store, 2000, 4, /*auto_batches=*/false);
  HoldFirstWrite(&store, &writer, 10);  // the next three batches queue up
  for (int batch = 1; batch <= 3; ++batch) {
    AddRecords(&writer, batch, 20);
    writer.Commit(Whole(batch));
  }
  store.Open();
  ASSERT_TRUE(writer.Finish().ok());
  const std::vector<std::pair<size_t, std::string>> want = {{10, "R|{\"batch\":0}"},
                                                            {60, "R|{\"batch\":3}"}};
  EXPECT_EQ(store.writes(), want);
  const AsyncWriter::Stats stats = writer.stats();
  EXPECT_EQ(stats.written, 70);
  EXPECT_EQ(stats.commits, 2);
  EXPECT_EQ(stats.joined, 2);
  auto cp = store.LoadCheckpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(*cp, std::vector<std::string>{"{\"batch\":3}"});
  EXPECT_EQ(CountRecords(&store), 70);
}

// A newer status row goes behind the record batches queued before it, so it
// counts their records (helper-104 F5: it took the older row's place, ahead
// of them, and said 10 records where 30 were written before it).
class StatusRecordingStore : public GatedStore {
 public:
  using GatedStore::GatedStore;
  Status SaveAgentStatus(const AgentStatus& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(s.records);
    return GatedStore::SaveAgentStatus(s);
  }
  std::vector<int64_t> records() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

 private:
  std::mutex mu_;
  std::vector<int64_t> records_;
};

TEST_F(AsyncWriterTest, ANewerStatusRowCountsTheBatchesQueuedBeforeIt) {
  ASSERT_NE(real_, nullptr);
  StatusRecordingStore store(real_.get());
  AsyncWriter writer(&store, 2000, 4, /*auto_batches=*/false);
  HoldFirstWrite(&store, &writer, 10);
  AgentStatus status;
  status.agent = "mx1";
  writer.PublishStatus(status);  // waits behind batch 0
  AddRecords(&writer, 1, 20);
  writer.Commit(Whole(1));
  writer.PublishStatus(status);  // replaces the first: after batch 1
  store.Open();
  ASSERT_TRUE(writer.Finish().ok());
  EXPECT_EQ(store.records(), std::vector<int64_t>{30});
}

// Joined change sets are all kept, in order, after the whole state before them.
TEST_F(AsyncWriterTest, JoinedCheckpointChangesAreAppliedInOrder) {
  ASSERT_NE(real_, nullptr);
  GatedStore store(real_.get());
  AsyncWriter writer(&store, 2000, 4, /*auto_batches=*/false);
  HoldFirstWrite(&store, &writer, 1);
  const CheckpointUpdate updates[] = {CheckpointUpdate::Append("c1"),
                                      Whole(2),  // a whole state ends what came before
                                      CheckpointUpdate::Append("c3"),
                                      CheckpointUpdate::Append("c4")};
  for (int batch = 1; batch <= 4; ++batch) {
    AddRecords(&writer, batch, 1);
    writer.Commit(updates[batch - 1]);
  }
  store.Open();
  ASSERT_TRUE(writer.Finish().ok());
  const std::vector<std::pair<size_t, std::string>> want = {{1, "R|{\"batch\":0}"},
                                                            {4, "R|{\"batch\":2}|c3|c4"}};
  EXPECT_EQ(store.writes(), want);
  EXPECT_EQ(*store.LoadCheckpoint(), (std::vector<std::string>{"{\"batch\":2}", "c3", "c4"}));
}

// Blocks of joined batches are saved in their order: the later decision about
// a key (a longer period, one more strike) is the one stored.
TEST_F(AsyncWriterTest, JoinedBatchesSaveTheirBlocksInOrder) {
  ASSERT_NE(real_, nullptr);
  GatedStore store(real_.get());
  AsyncWriter writer(&store, 2000, 4, /*auto_batches=*/false);
  HoldFirstWrite(&store, &writer, 1);
  for (int strikes = 1; strikes <= 2; ++strikes) {
    Block b;
    b.kind = BlockKind::kIp;
    b.key = "192.0.2.7";
    b.reason = "backscatter";
    b.created = 1000 * kUsPerSecond;
    b.expires = (1000 + 3600 * strikes) * kUsPerSecond;
    b.strikes = strikes;
    AddRecords(&writer, strikes, 1);
    writer.Commit(Whole(strikes), {b});
  }
  store.Open();
  ASSERT_TRUE(writer.Finish().ok());
  ASSERT_EQ(store.writes().size(), 2u);  // batches 1 and 2 were joined
  auto blocks = store.LoadBlocks(0);
  ASSERT_TRUE(blocks.ok());
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].strikes, 2);
  EXPECT_EQ((*blocks)[0].expires, (1000 + 7200) * kUsPerSecond);
}

// Replay's batches carry no checkpoint; one cut by a checkpoint never joins
// them, or its checkpoint would claim records it does not cover (or lose one).
TEST_F(AsyncWriterTest, ABatchWithoutCheckpointIsNotJoinedToOneWithIt) {
  ASSERT_NE(real_, nullptr);
  GatedStore store(real_.get());
  AsyncWriter writer(&store, 5, 4, /*auto_batches=*/true);
  AddRecords(&writer, 0, 5);  // cut by size: no checkpoint
  store.WaitUntilWriting();
  AddRecords(&writer, 1, 3);
  writer.Commit(Whole(1));
  AddRecords(&writer, 2, 5);  // cut by size again
  AddRecords(&writer, 3, 5);
  store.Open();
  ASSERT_TRUE(writer.Finish().ok());
  const std::vector<std::pair<size_t, std::string>> want = {
      {5, "-"}, {3, "R|{\"batch\":1}"}, {10, "-"}};
  EXPECT_EQ(store.writes(), want);
  EXPECT_EQ(writer.stats().written, 18);
}

TEST_F(AsyncWriterTest, WrittenBatchesAreFreedWhenTheLogGoesQuiet) {
  ASSERT_NE(real_, nullptr);
  AsyncWriter writer(real_.get(), 2000, 4, /*auto_batches=*/false);
  int n = 0;
  for (int batch = 0; batch < 3; ++batch) {
    AddRecords(&writer, batch, 50);
    n += 50;
    writer.Commit(Whole(batch));
  }
  // No more commits (a quiet log): the writer frees what it wrote itself.
  // (The 60 s are a guard against hanging, not a measured time.)
  ASSERT_TRUE(writer.WaitUntil([&](const auto& s) { return s.written == n; }, 60000));
  EXPECT_TRUE(writer.WaitUntil([](const auto& s) { return s.batches_held == 0; }, 60000))
      << writer.stats().batches_held << " written batches still held";
  ASSERT_TRUE(writer.Finish().ok());
  auto cp = real_->LoadCheckpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(*cp, std::vector<std::string>{"{\"batch\":2}"});
  EXPECT_EQ(CountRecords(real_.get()), n);
}

// A fleet-wide answer exchange queued behind a slow write is stamped with
// the monotonic clock when the store runs it, not when it was queued: how
// long the others' presences stood still is measured on it.
class AnswerClockStore : public GatedStore {
 public:
  using GatedStore::GatedStore;
  StatusOr<AnswerExchange> ExchangeAnswers(const AnswerRequest& r) override {
    mono_now = r.mono_now;
    return AnswerExchange{};
  }
  TimeUs mono_now = -1;
};

TEST_F(AsyncWriterTest, AnAnswerExchangeIsTimedWhenItRuns) {
  ASSERT_NE(real_, nullptr);
  AnswerClockStore store(real_.get());
  FakeClock clock;
  AsyncWriter writer(&store, 2000, 4, /*auto_batches=*/false, &clock);
  HoldFirstWrite(&store, &writer, 1);
  AnswerRequest r;
  r.agent = "mx";
  r.mono_now = clock.MonotonicNow();
  writer.ExchangeAnswers(r);
  clock.Advance(150 * kUsPerSecond);  // the write takes long
  const TimeUs ran = clock.MonotonicNow();
  store.Open();
  ASSERT_TRUE(writer.Finish().ok());
  EXPECT_EQ(store.mono_now, ran);
}

}  // namespace
}  // namespace mailtrail
