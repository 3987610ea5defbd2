// SpoolStore in front of a primary that fails on command (failure injection;
// the primary itself is a real SQLite store). The real outage, with a real
// MariaDB stopped and started under a running agent, is tests/run/outage_test.py.
#include "agent/store/spool_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/store/sqlite_store.h"
#include "tests/support/capture_logger.h"
#include "tests/support/fake_clock.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

// A primary that is "down" (kUnavailable) while told so; or that commits a batch
// and then reports it lost (an answer lost after COMMIT).
class FlakyStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::atomic<bool> down{false};
  std::atomic<int> land_then_fail{0};
  std::atomic<bool> broken{false};  // a data error: retrying cannot help

  Status WriteBatch(const std::vector<MessageRecord>& r, const CheckpointUpdate* cp) override {
    if (down) return Refused();
    {
      // A write that hangs (a server on a lock) until ReleaseWrites().
      std::unique_lock<std::mutex> l(mu_);
      if (hold_writes_) {
        ++held_writes_;
        cv_.notify_all();
        cv_.wait(l, [&] { return !hold_writes_; });
      }
    }
    if (broken) {
      std::lock_guard<std::mutex> l(mu_);
      ++broken_tries_;
      cv_.notify_all();
      return Status::IoError("injected: data too long");
    }
    Status st = ForwardingStore::WriteBatch(r, cp);
    if (st.ok() && land_then_fail > 0) {
      --land_then_fail;
      return Status::Unavailable("injected: COMMIT landed, answer lost");
    }
    return st;
  }
  StatusOr<std::vector<std::string>> LoadCheckpoint() override {
    if (down) return Refused();
    return ForwardingStore::LoadCheckpoint();
  }
  // The agent's control calls, counted (a hung server makes each wait).
  std::atomic<int> control_calls{0};
  Status SaveAgentStatus(const AgentStatus& s) override {
    ++control_calls;
    return ForwardingStore::SaveAgentStatus(s);
  }
  StatusOr<std::vector<WindowCount>> ExchangeCounts(const std::string& agent,
                                                    const std::vector<WindowCount>& mine,
                                                    TimeUs since) override {
    ++control_calls;
    return ForwardingStore::ExchangeCounts(agent, mine, since);
  }
  StatusOr<std::vector<Block>> LoadBlocks(TimeUs active_at) override {
    ++control_calls;
    return ForwardingStore::LoadBlocks(active_at);
  }
  // Waits until the store has refused `n` more calls (while down) than it had
  // when `from` was read (refused()), e.g. the spool's drain retrying; false if
  // not within a generous guard (no time is asserted).
  bool WaitRefused(int64_t from, int64_t n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(60), [&] { return refused_ >= from + n; });
  }
  int64_t refused() {
    std::lock_guard<std::mutex> l(mu_);
    return refused_;
  }
  void HoldWrites() {
    std::lock_guard<std::mutex> l(mu_);
    hold_writes_ = true;
  }
  void ReleaseWrites() {
    std::lock_guard<std::mutex> l(mu_);
    hold_writes_ = false;
    cv_.notify_all();
  }
  // Waits until a write is held (HoldWrites).
  bool WaitHeldWrite() {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(60), [&] { return held_writes_ > 0; });
  }
  // Waits until `n` batches were refused with the data error (broken).
  bool WaitBroken(int64_t n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(60), [&] { return broken_tries_ >= n; });
  }

 private:
  Status Refused() {
    std::lock_guard<std::mutex> l(mu_);
    ++refused_;
    cv_.notify_all();
    return Status::Unavailable("injected: server gone");
  }
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t refused_ = 0, broken_tries_ = 0, held_writes_ = 0;
  bool hold_writes_ = false;
};

using Parts = std::vector<std::string>;

class SpoolStoreTest : public ::testing::Test, public StoreFixture {
 protected:
  void SetUp() override {
    auto s = SqliteStore::Open(dir_.File("primary.db"), Detail::kFull, true);
    ASSERT_TRUE(s.ok());
    real_ = std::move(*s);
  }
  // The spool of agent `owner` ("" unchecked), or its refusal.
  StatusOr<std::unique_ptr<SpoolStore>> TryOpen(FlakyStore** flaky, const std::string& owner) {
    auto f = std::make_unique<FlakyStore>(real_.get());
    *flaky = f.get();
    SpoolStore::Options o;
    o.first_retry_ms = 5;
    o.max_retry_ms = 20;
    o.owner = owner;
    return SpoolStore::Open(std::move(f), dir_.File("spool.db"), o);
  }
  std::unique_ptr<SpoolStore> OpenSpool(FlakyStore** flaky, int64_t max_bytes = 1 << 30,
                                        const Clock* clock = nullptr, Logger* log = nullptr) {
    auto f = std::make_unique<FlakyStore>(real_.get());
    *flaky = f.get();
    SpoolStore::Options o;
    if (log) o.log = log;
    o.max_bytes = max_bytes;
    o.first_retry_ms = 5;
    o.max_retry_ms = 20;
    o.drain_records = 3;  // several drain transactions
    o.clock = clock;
    auto s = SpoolStore::Open(std::move(f), dir_.File("spool.db"), o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return std::move(*s);
  }
  std::vector<std::string> Qids() {
    std::vector<std::string> out;
    for (auto& r : All(real_.get())) out.push_back(r.qid);
    return out;
  }
  static std::vector<MessageRecord> Batch(int from, int n) {
    std::vector<MessageRecord> out;
    for (int i = from; i < from + n; ++i) {
      MessageRecord r = Sample("Q" + std::to_string(100 + i));
      r.first_seen += i * kUsPerSecond;  // search order = write order
      out.push_back(r);
    }
    return out;
  }

  TempDir dir_{"mt_spool"};
  std::unique_ptr<Store> real_;
};

// The web console pages a live agent's spooled MySQL store by cursor too: the
// spool gives the primary's cursors (issue 21), and its capped count.
TEST_F(SpoolStoreTest, SearchesByCursorThroughThePrimary) {
  FlakyStore* flaky = nullptr;
  auto s = OpenSpool(&flaky);
  ASSERT_TRUE(s->Write(Batch(0, 5)).ok());
  SearchQuery q;
  q.limit = 2;
  std::string got;
  for (int page = 0; page < 5; ++page) {
    int n = 0;
    std::optional<SearchCursor> last;
    Status st = s->SearchWithCursor(q, [&](MessageRecord&& r, const SearchCursor& at) {
      got += r.qid + " ";
      last = at;
      ++n;
    });
    ASSERT_TRUE(st.ok()) << st.message();
    if (n < q.limit) break;
    q.after = last;
  }
  EXPECT_EQ(got, "Q100 Q101 Q102 Q103 Q104 ");
  auto n = s->CountMatchesUpTo(SearchQuery{}, 3);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->n, 3);
}

// And with the primary's work bounds (docs/web.md, "The total").
TEST_F(SpoolStoreTest, PagesAndCountsKeepThePrimarysWorkBound) {
  FlakyStore* flaky = nullptr;
  auto s = OpenSpool(&flaky);
  ASSERT_TRUE(s->Write(Batch(0, 3000)).ok());
  SearchQuery none;
  none.min_size = 1 << 30;
  auto n = s->CountMatchesUpTo(none, 10, 100);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->stopped);
  std::optional<SearchCursor> resume;
  ASSERT_TRUE(s->SearchWithin(
                   none, 100, [](MessageRecord&&, const SearchCursor&) {}, &resume)
                  .ok());
  EXPECT_TRUE(resume.has_value()) << "the page stopped where the bound ended it";
}

TEST_F(SpoolStoreTest, AnOutageIsSpooledInOrderAndDrainedWhenThePrimaryIsBack) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  const auto cp0 = CheckpointUpdate::Replace("cp0"), cp1 = CheckpointUpdate::Replace("cp1"),
             cp2 = CheckpointUpdate::Replace("cp2"), cp3 = CheckpointUpdate::Replace("cp3");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 2), &cp0).ok());
  flaky->down = true;
  ASSERT_TRUE(s->WriteBatch(Batch(2, 2), &cp1).ok());
  ASSERT_TRUE(s->WriteBatch(Batch(4, 2), &cp2).ok());
  ASSERT_TRUE(s->WriteBatch(Batch(6, 1), &cp3).ok());
  EXPECT_EQ(s->spooled_batches(), 3);
  EXPECT_EQ(*s->LoadCheckpoint(), Parts{"cp3"}) << "durable in the spool counts";
  EXPECT_EQ(Qids().size(), 2u);
  // An update of a spooled record, spooled after it, replaces it after the drain.
  MessageRecord update = Batch(3, 1)[0];
  update.is_update = true;
  update.outcome = Outcome::kDelivered;
  ASSERT_TRUE(s->Write({update}).ok());
  flaky->down = false;
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(Qids(),
            (std::vector<std::string>{"Q100", "Q101", "Q102", "Q103", "Q104", "Q105", "Q106"}));
  EXPECT_EQ(All(real_.get())[3].outcome, Outcome::kDelivered);
  EXPECT_EQ(*real_->LoadCheckpoint(), Parts{"cp3"});
  // Back to direct writes.
  const auto cp4 = CheckpointUpdate::Replace("cp4");
  ASSERT_TRUE(s->WriteBatch(Batch(7, 1), &cp4).ok());
  EXPECT_EQ(s->spooled_batches(), 0);
  EXPECT_EQ(Qids().size(), 8u);
}

// The spool deleted while batches wait in it (helper-144 L5): the next batch
// fails saying so, instead of going into a file that is lost at the stop.
TEST_F(SpoolStoreTest, ASpoolDeletedWhileOpenTakesNoMoreBatches) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  flaky->down = true;
  ASSERT_TRUE(s->WriteBatch(Batch(0, 2), nullptr).ok());
  for (const char* suffix : {"", "-wal", "-shm"})
    ::unlink((dir_.File("spool.db") + suffix).c_str());
  const Status st = s->WriteBatch(Batch(2, 2), nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("deleted, moved or replaced while open"), std::string::npos)
      << st.message();
  flaky->down = false;
}

// The live agent appends change sets between whole states: spooled, they are
// applied to the primary's checkpoint in order, before and after the drain.
TEST_F(SpoolStoreTest, SpooledCheckpointChangesAreAppliedInOrder) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  const auto whole = CheckpointUpdate::Replace("whole 1");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 1), &whole).ok());
  flaky->down = true;
  for (int i = 1; i <= 4; ++i) {
    const auto change = CheckpointUpdate::Append("change " + std::to_string(i));
    ASSERT_TRUE(s->WriteBatch(Batch(i, 1), &change).ok());
  }
  EXPECT_EQ(s->spooled_batches(), 4);
  flaky->down = false;  // the primary answers reads again, the spool is still full
  EXPECT_EQ(*s->LoadCheckpoint(),
            (Parts{"whole 1", "change 1", "change 2", "change 3", "change 4"}));
  flaky->down = true;
  const auto whole2 = CheckpointUpdate::Replace("whole 2");
  ASSERT_TRUE(s->WriteBatch(Batch(5, 1), &whole2).ok());
  const auto change5 = CheckpointUpdate::Append("change 5");
  ASSERT_TRUE(s->WriteBatch(Batch(6, 1), &change5).ok());
  EXPECT_EQ(*s->LoadCheckpoint(), (Parts{"whole 2", "change 5"}))
      << "a spooled whole state needs nothing from the primary";
  flaky->down = false;
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(*real_->LoadCheckpoint(), (Parts{"whole 2", "change 5"}));
  EXPECT_EQ(Qids().size(), 7u);
}

// `mailtrail db forget-checkpoint --spool FILE`: the empty replacement goes
// behind what waits in the spool, so the checkpoint read back is empty at once
// and the primary's once drained; the spooled records still land.
TEST_F(SpoolStoreTest, AForgottenCheckpointGoesBehindTheSpooledChanges) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  const auto whole = CheckpointUpdate::Replace("whole 1");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 1), &whole).ok());
  flaky->down = true;
  const auto change = CheckpointUpdate::Append("change 1");
  ASSERT_TRUE(s->WriteBatch(Batch(1, 1), &change).ok());
  const CheckpointUpdate nothing;
  ASSERT_TRUE(s->WriteBatch({}, &nothing).ok());
  EXPECT_EQ(s->spooled_batches(), 2);
  flaky->down = false;
  EXPECT_TRUE(s->LoadCheckpoint()->empty());
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_TRUE(real_->LoadCheckpoint()->empty());
  EXPECT_EQ(Qids().size(), 2u);
}

// A drain whose COMMIT landed unanswered is recognised by its last part.
TEST_F(SpoolStoreTest, ALandedDrainOfChangesIsNotWrittenTwice) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  const auto whole = CheckpointUpdate::Replace("whole 1");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 1), &whole).ok());
  flaky->land_then_fail = 1;
  const auto c1 = CheckpointUpdate::Append("change 1"), c2 = CheckpointUpdate::Append("change 2");
  ASSERT_TRUE(s->WriteBatch(Batch(1, 2), &c1).ok());  // landed, but spooled as well
  ASSERT_TRUE(s->WriteBatch(Batch(3, 2), &c2).ok());
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(Qids(), (std::vector<std::string>{"Q100", "Q101", "Q102", "Q103", "Q104"}));
  EXPECT_EQ(*real_->LoadCheckpoint(), (Parts{"whole 1", "change 1", "change 2"}));
}

TEST_F(SpoolStoreTest, ARestartResumesFromTheSpoolAndStillDrainsIt) {
  {
    FlakyStore* flaky;
    auto s = OpenSpool(&flaky);
    flaky->down = true;
    const auto cp1 = CheckpointUpdate::Replace("cp1"), cp2 = CheckpointUpdate::Replace("cp2");
    ASSERT_TRUE(s->WriteBatch(Batch(0, 2), &cp1).ok());
    ASSERT_TRUE(s->WriteBatch(Batch(2, 2), &cp2).ok());
  }  // the agent stops (or dies) with the server still down
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  EXPECT_EQ(*s->LoadCheckpoint(), Parts{"cp2"});
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(Qids().size(), 4u);
}

TEST_F(SpoolStoreTest, ACommitThatLandedWithoutAnAnswerIsNotWrittenTwice) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  flaky->land_then_fail = 1;
  const auto cp1 = CheckpointUpdate::Replace("cp1"), cp2 = CheckpointUpdate::Replace("cp2");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 2), &cp1).ok());  // landed, but spooled as well
  ASSERT_TRUE(s->WriteBatch(Batch(2, 2), &cp2).ok());
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(Qids(), (std::vector<std::string>{"Q100", "Q101", "Q102", "Q103"}));
}

TEST_F(SpoolStoreTest, AFullSpoolHoldsTheWriterBackInsteadOfDropping) {
  FlakyStore* flaky;
  CaptureLogger log;
  auto s = OpenSpool(&flaky, /*max_bytes=*/1, nullptr, &log);
  flaky->down = true;
  const auto cp1 = CheckpointUpdate::Replace("cp1"), cp2 = CheckpointUpdate::Replace("cp2");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 2), &cp1).ok());  // an empty spool takes one batch
  EXPECT_EQ(log.Count("is full"), 0u);
  std::atomic<bool> returned{false};
  std::atomic<int64_t> refused_at_start{-1};
  std::thread writer([&] {
    refused_at_start = flaky->refused();
    EXPECT_TRUE(s->WriteBatch(Batch(2, 2), &cp2).ok());
    returned = true;
  });
  // The drain tries the primary again and again (its own retry backoff) while
  // the second write waits: three refused tries after the write began, it has
  // still not returned. (A write that did not wait would have returned long
  // before on any machine; the records' count below catches a dropped batch.)
  while (refused_at_start < 0) ASSERT_TRUE(flaky->WaitRefused(flaky->refused(), 1));
  ASSERT_TRUE(flaky->WaitRefused(refused_at_start, 3));
  EXPECT_FALSE(returned) << "the second batch must wait for room";
  EXPECT_EQ(s->spooled_batches(), 1);
  flaky->down = false;
  writer.join();
  // Said, not silent (helper-95: minutes of a stopped reader, no word).
  EXPECT_EQ(log.Count("is full (0 MiB of 0 MiB, spool_max_mb): reading waits"), 1u);
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(Qids().size(), 4u);
}

// The bound counts the checkpoints too: a quiet log with many deferred
// messages spools small batches with large checkpoints (helper-102 F10: 8.5
// MB of spool under a 1 MiB bound, which counted the records only).
TEST_F(SpoolStoreTest, TheBoundCountsTheSpooledCheckpoints) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky, /*max_bytes=*/32 << 10);
  flaky->down = true;
  const auto cp1 = CheckpointUpdate::Replace(std::string(40 << 10, '1'));
  const auto cp2 = CheckpointUpdate::Replace(std::string(40 << 10, '2'));
  ASSERT_TRUE(s->WriteBatch(Batch(0, 1), &cp1).ok());  // an empty spool takes one batch
  std::atomic<bool> returned{false};
  std::atomic<int64_t> refused_at_start{-1};
  std::thread writer([&] {
    refused_at_start = flaky->refused();
    EXPECT_TRUE(s->WriteBatch(Batch(1, 1), &cp2).ok());
    returned = true;
  });
  while (refused_at_start < 0) ASSERT_TRUE(flaky->WaitRefused(flaky->refused(), 1));
  ASSERT_TRUE(flaky->WaitRefused(refused_at_start, 3));
  EXPECT_FALSE(returned) << "40 KiB of checkpoint fill a spool of 32 KiB";
  EXPECT_EQ(s->spooled_batches(), 1);
  flaky->down = false;
  writer.join();
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(Qids().size(), 2u);
}

// While batches are spooled the primary is away: the agent's control calls
// (status row, fleet counts, the blocks of other agents) are not sent to it,
// each of which waited out the server's timeout on the writer's thread while
// it hung, and held the record batches behind them (helper-102 F4).
TEST_F(SpoolStoreTest, ControlCallsDoNotWaitForAnAwayPrimary) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  flaky->down = true;
  const auto cp1 = CheckpointUpdate::Replace("cp1");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 2), &cp1).ok());
  ASSERT_EQ(s->spooled_batches(), 1);
  AgentStatus status;
  status.agent = "mx1";
  EXPECT_EQ(s->SaveAgentStatus(status).code(), Status::Code::kUnavailable);
  EXPECT_EQ(s->ExchangeCounts("mx1", {}, 0).status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(s->LoadRefresh(0, {}).status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(flaky->control_calls, 0) << "none reached the primary";
  flaky->down = false;
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_TRUE(s->SaveAgentStatus(status).ok()) << "drained: the primary is asked again";
  EXPECT_EQ(flaky->control_calls, 1);
}

// The bound counts a spooled batch's checkpoint until the batch is drained,
// not after: the drain took back its records only, so that every outage's
// checkpoints stayed counted, until the spool took one batch an outage
// (helper-108).
TEST_F(SpoolStoreTest, ADrainedCheckpointLeavesTheBound) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky, /*max_bytes=*/64 << 10);
  const auto cp1 = CheckpointUpdate::Replace(std::string(40 << 10, '1'));
  const auto cp2 = CheckpointUpdate::Replace(std::string(40 << 10, '2'));
  const auto small = CheckpointUpdate::Replace("small");
  flaky->down = true;
  ASSERT_TRUE(s->WriteBatch(Batch(0, 1), &cp1).ok());
  flaky->down = false;
  ASSERT_TRUE(s->WaitDrained(60000));
  flaky->down = true;                                  // the next outage
  ASSERT_TRUE(s->WriteBatch(Batch(1, 1), &cp2).ok());  // 40 KiB of 64
  auto third = std::async(std::launch::async, [&] { return s->WriteBatch(Batch(2, 1), &small); });
  // A guard, not a time asserted: a write waiting for room does not return
  // while the store is down.
  const bool returned = third.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  flaky->down = false;
  EXPECT_TRUE(returned) << "a few bytes waited for room in a spool holding 40 KiB of 64";
  EXPECT_TRUE(third.get().ok());
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(Qids().size(), 3u);
}

// A restart with batches left in the spool: the start's calls (the blocks
// to restore) go to the store, which may well answer; only a store found
// away refuses them at once. They were refused whenever batches waited, and
// the restart restored no block and forgot their strikes (helper-108).
TEST_F(SpoolStoreTest, ARestartWithBatchesLeftAsksTheStore) {
  FakeClock clock;  // the drain's first wait does not end: it has not tried
  {
    FlakyStore* flaky;
    auto s = OpenSpool(&flaky, 1 << 30, &clock);
    flaky->down = true;
    const auto cp1 = CheckpointUpdate::Replace("cp1");
    ASSERT_TRUE(s->WriteBatch(Batch(0, 1), &cp1).ok());
  }
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky, 1 << 30, &clock);
  ASSERT_EQ(s->spooled_batches(), 1);
  EXPECT_TRUE(s->LoadBlocks(-1).ok());
  EXPECT_EQ(flaky->control_calls, 1);
}

// A batch the store refuses for good (a data error) keeps the spool from
// emptying, but the store answers: the control calls go to it. They were
// refused for as long as any batch waited (no block saved or refreshed, an
// operator's removal never seen; helper-108).
TEST_F(SpoolStoreTest, ABatchTheStoreRefusesDoesNotShutOutTheControlCalls) {
  // The drain tries when the test moves the clock, and is waiting again when
  // the calls come: one that finds it at work is refused by design, and
  // with a real clock a loaded machine made the calls meet its retries.
  FakeClock clock;
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky, 1 << 30, &clock);
  flaky->down = true;
  const auto cp1 = CheckpointUpdate::Replace("cp1");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 1), &cp1).ok());
  EXPECT_EQ(s->LoadRefresh(0, {}).status().code(), Status::Code::kUnavailable)
      << "found away: refused at once";
  EXPECT_EQ(flaky->control_calls, 0);
  flaky->broken = true;
  flaky->down = false;
  ASSERT_TRUE(clock.WaitUntil([&] { return clock.NextAlarm().has_value(); }));
  clock.Advance(kUsPerSecond);
  ASSERT_TRUE(flaky->WaitBroken(1)) << "the drain tried the batch";
  ASSERT_TRUE(clock.WaitUntil([&] { return clock.NextAlarm().has_value(); }))
      << "the drain waits to try again";
  EXPECT_EQ(s->spooled_batches(), 1);
  EXPECT_TRUE(s->LoadRefresh(0, {}).ok());
  AgentStatus status;
  status.agent = "mx1";
  EXPECT_TRUE(s->SaveAgentStatus(status).ok());
  EXPECT_EQ(flaky->control_calls, 2);
}

// A control call does not queue behind a drain's write that hangs: with
// batches spooled it is refused at once (the agent tries again later).
TEST_F(SpoolStoreTest, AControlCallDoesNotWaitBehindTheDrain) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  flaky->down = true;
  const auto cp1 = CheckpointUpdate::Replace("cp1");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 1), &cp1).ok());
  flaky->HoldWrites();
  flaky->down = false;
  ASSERT_TRUE(flaky->WaitHeldWrite()) << "the drain's write hangs";
  auto call = std::async(std::launch::async, [&] { return s->LoadRefresh(0, {}); });
  // A guard, not a time asserted: a call behind the drain returns only once
  // the write is released.
  const bool returned = call.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  flaky->ReleaseWrites();
  EXPECT_TRUE(returned) << "the control call waited for the drain's write";
  EXPECT_EQ(call.get().status().code(), Status::Code::kUnavailable);
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(flaky->control_calls, 0);
}

// A restart with batches left: the start's load of the blocks (those that
// ended within max_period, or later) waits behind the drain's write instead of being refused, which
// started the agent without its blocks and their strikes (helper-112).
TEST_F(SpoolStoreTest, TheStartsLoadOfBlocksWaitsBehindTheDrain) {
  {
    FlakyStore* flaky;
    auto s = OpenSpool(&flaky);
    flaky->down = true;
    const auto cp1 = CheckpointUpdate::Replace("cp1");
    ASSERT_TRUE(s->WriteBatch(Batch(0, 1), &cp1).ok());
  }
  FakeClock clock;  // the drain tries once the test moves it
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky, 1 << 30, &clock);
  flaky->HoldWrites();
  ASSERT_TRUE(clock.WaitUntil([&] { return clock.NextAlarm().has_value(); }));
  clock.Advance(kUsPerSecond);
  ASSERT_TRUE(flaky->WaitHeldWrite()) << "the drain's write hangs";
  auto start = std::async(std::launch::async, [&] { return s->LoadBlocks(kUsPerSecond); });
  flaky->ReleaseWrites();
  EXPECT_TRUE(start.get().ok());
  EXPECT_EQ(flaky->control_calls, 1);
  ASSERT_TRUE(s->WaitDrained(60000));
}

// The drain's retries wait on the clock: 5 ms, doubling, at most 20 ms (the
// fixture's options), one attempt each time the wait ends and none before.
TEST_F(SpoolStoreTest, DrainRetriesWaitADoublingIntervalOfTheClock) {
  FakeClock clock;
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky, 1 << 30, &clock);
  flaky->down = true;
  const auto cp1 = CheckpointUpdate::Replace("cp1");
  ASSERT_TRUE(s->WriteBatch(Batch(0, 2), &cp1).ok());
  ASSERT_EQ(s->spooled_batches(), 1);
  TimeUs due = clock.MonotonicNow() + 5000;
  ASSERT_TRUE(clock.WaitUntil([&] { return clock.NextAlarm() == due; }));
  for (TimeUs next_wait : {10000, 20000, 20000}) {
    const int64_t refused = flaky->refused();
    clock.Advance(due - clock.MonotonicNow() - 1);  // not yet: no attempt
    EXPECT_EQ(clock.NextAlarm(), due);
    EXPECT_EQ(flaky->refused(), refused);
    clock.Advance(1);
    ASSERT_TRUE(flaky->WaitRefused(refused, 1)) << "the drain retries when the wait ends";
    due += next_wait;
    ASSERT_TRUE(clock.WaitUntil([&] { return clock.NextAlarm() == due; }))
        << "then waits " << next_wait << " us";
  }
  EXPECT_EQ(s->spooled_batches(), 1);
  flaky->down = false;
  clock.Advance(due - clock.MonotonicNow());
  ASSERT_TRUE(s->WaitDrained(60000));
  EXPECT_EQ(Qids().size(), 2u);
}

// A stop does not wait for the retry wait to end (the clock never moves here).
TEST_F(SpoolStoreTest, AStopEndsTheRetryWait) {
  FakeClock clock;
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky, 1 << 30, &clock);
  flaky->down = true;
  ASSERT_TRUE(s->WriteBatch(Batch(0, 1), nullptr).ok());
  ASSERT_TRUE(clock.WaitUntil([&] { return clock.NextAlarm().has_value(); }));
  auto stopped = std::async(std::launch::async, [&] { s.reset(); });
  // A guard against a hang, not a time asserted.
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(60)), std::future_status::ready);
}

TEST_F(SpoolStoreTest, OtherErrorsAreReportedNotSpooled) {
  FlakyStore* flaky;
  auto s = OpenSpool(&flaky);
  flaky->broken = true;
  const auto cp1 = CheckpointUpdate::Replace("cp1");
  Status st = s->WriteBatch(Batch(0, 1), &cp1);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(s->spooled_batches(), 0);
  EXPECT_EQ(*s->LoadCheckpoint(), Parts{}) << "a batch that failed is not durable anywhere";
}

// Two agents on one machine named the same spool (the default path):
// each drained the other's batches under its own name and took its
// checkpoint, and records were lost for good (helper-95). The second is
// refused while the first runs, and a spool holding an agent's batches
// drains only into that agent.
TEST_F(SpoolStoreTest, OneSpoolServesOneAgent) {
  FlakyStore* flaky;
  auto first = TryOpen(&flaky, "agent mx1");
  ASSERT_TRUE(first.ok()) << first.status().message();
  FlakyStore* other;
  auto second = TryOpen(&other, "agent mx2");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another process (PID " +
                                           std::to_string(getpid()) + ")"),
            std::string::npos)
      << second.status().message();

  flaky->down = true;
  const auto cp = CheckpointUpdate::Replace("mx1's");
  ASSERT_TRUE((*first)->WriteBatch(Batch(0, 2), &cp).ok());
  first->reset();  // mx1 stops with its batches spooled
  auto taken = TryOpen(&other, "agent mx2");
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.status().message().find("holds 1 batches of agent mx1, not of agent mx2"),
            std::string::npos)
      << taken.status().message();
  EXPECT_TRUE(Qids().empty());

  auto back = TryOpen(&flaky, "agent mx1");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*(*back)->LoadCheckpoint(), Parts{"mx1's"});
  ASSERT_TRUE((*back)->WaitDrained(60000));
  EXPECT_EQ(Qids().size(), 2u);
  back->reset();
  auto empty = TryOpen(&other, "agent mx2");  // drained: anyone's now
  EXPECT_TRUE(empty.ok()) << empty.status().message();
}

}  // namespace
}  // namespace mailtrail
