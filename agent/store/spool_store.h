// SpoolStore: keeps the live agent going while its (remote) store is down or
// slow. It wraps the primary store:
// - a batch goes to the primary while nothing is spooled; when the primary
//   answers kUnavailable, the batch (records and checkpoint) is appended to a
//   local SQLite spool instead (synchronous=FULL: durable), and so is every
//   later batch until the spool is empty again: order is kept;
// - a drain thread writes the spooled batches to the primary, oldest first
//   (several per transaction), and deletes them only after the commit;
// - LoadCheckpoint() answers the newest checkpoint that is durable somewhere:
//   the primary's with every spooled checkpoint update applied to it in turn.
//   A restart resumes right after what was spooled, and the spool still drains;
// - a spooled batch whose checkpoint the primary already holds (the drain's
//   COMMIT landed, then the agent died before deleting it; found by the last
//   part, which the agent makes unique) is dropped, not written twice;
// - the spool is bounded (max_bytes): when full, WriteBatch waits for the
//   drain; the agent's bounded queue then pauses the reading (backpressure).
// Reads (search, stats) go to the primary.
// One agent per spool: Open() takes an exclusive lock (flock) on PATH.lock,
// held until it is destroyed; a second agent naming the same spool is
// refused, with the first one's PID (helper-95: two agents sharing the
// default /var/lib/mailtrail/spool.db drained each other's batches).
#ifndef MAILTRAIL_AGENT_STORE_SPOOL_STORE_H_
#define MAILTRAIL_AGENT_STORE_SPOOL_STORE_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/store/retry_wait.h"
#include "agent/store/sqlite_db.h"
#include "agent/store/store.h"
#include "base/log.h"

namespace mailtrail {

class SpoolStore : public Store {
 public:
  struct Options {
    int64_t max_bytes = 1LL << 30;
    int64_t first_retry_ms = 1000;  // then doubling up to max_retry_ms
    int64_t max_retry_ms = 30000;
    const Clock* clock = nullptr;  // the retry waits' time; null: the system's
    size_t drain_records = 20000;  // records per drain transaction (at least one batch)
    Logger* log = &StderrLog();    // spooling, draining, damage
    // Whose batches these are: "agent NAME" (its agent row's name). A spool
    // holding another owner's batches is refused: drained by this agent, they
    // would be written under its name and its checkpoint taken for theirs
    // (helper-95). Empty: not checked.
    std::string owner;
  };
  static StatusOr<std::unique_ptr<SpoolStore>> Open(std::unique_ptr<Store> primary,
                                                    const std::string& path,
                                                    const Options& options);
  ~SpoolStore() override;

  Status WriteBatch(const std::vector<MessageRecord>& records,
                    const CheckpointUpdate* checkpoint) override;
  StatusOr<std::vector<std::string>> LoadCheckpoint() override;
  Status Search(const SearchQuery& q, const std::function<void(MessageRecord&&)>& fn) override;
  Status SearchForSummary(const SearchQuery& q,
                          const std::function<void(MessageRecord&&)>& fn) override;
  Status SearchWithCursor(
      const SearchQuery& q,
      const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) override;
  StatusOr<int64_t> CountMatches(const SearchQuery& q) override;
  StatusOr<MatchCount> CountMatchesUpTo(const SearchQuery& q, int64_t cap,
                                        int64_t work_rows = kCountWorkRows) override;
  Status SearchWithin(const SearchQuery& q, int64_t work_rows,
                      const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
                      std::optional<SearchCursor>* resume) override;
  Status SearchFirstWithin(const SearchQuery& q, int64_t work_rows,
                           const std::function<void(MessageRecord&&)>& fn, bool* stopped) override;
  StatusOr<std::vector<SliceStamp>> SliceStamps(TimeUs since, TimeUs until, TimeUs width) override;
  Status AddLineStats(const LineStats& stats) override;
  StatusOr<LineStats> GetLineStats() override;
  StatusOr<std::map<std::string, int64_t>> CountByOutcome() override;
  StatusOr<int64_t> PurgeBefore(int64_t day) override;
  std::string PurgePending() override;
  Status SaveBlocks(const std::vector<Block>& blocks) override;
  StatusOr<std::vector<Block>> LoadBlocks(TimeUs active_at) override;
  StatusOr<std::vector<Block>> LoadBlocksOf(const std::vector<BlockId>& ids) override;
  StatusOr<std::vector<Block>> LoadRefresh(TimeUs from, const std::vector<BlockId>& mine) override;
  StatusOr<int> SetBlockEnds(const std::string& key, TimeUs now, TimeUs end) override;
  Status SaveAgentStatus(const AgentStatus& status) override;
  StatusOr<std::vector<AgentStatus>> ListAgentStatus() override;
  StatusOr<std::vector<WindowCount>> ExchangeCounts(const std::string& agent,
                                                    const std::vector<WindowCount>& mine,
                                                    TimeUs since) override;
  StatusOr<AnswerExchange> ExchangeAnswers(const AnswerRequest& r) override;

  // Batches waiting in the spool now (for metrics and tests).
  int64_t spooled_batches() const;
  // Waits until the spool is empty or `timeout_ms` passed; true when empty.
  bool WaitDrained(int64_t timeout_ms);

 private:
  SpoolStore(std::unique_ptr<Store> primary, const Options& options);
  // quick_check: Corruption when the file is damaged.
  Status QuickCheck();
  // A damaged spool as Corruption (exit 65): what is at stake and the way out.
  Status Damaged(const Status& why) const;
  Status OpenSpool(const std::string& path);
  Status Append(const std::vector<MessageRecord>& records, const CheckpointUpdate* checkpoint);
  // Deletes the spooled batches up to the last one whose checkpoint ends as the
  // primary's does (they are in the primary already). Under spool_mu_.
  bool DropLanded(const std::vector<std::string>& primary_checkpoint);
  void DrainLoop();
  // Writes the oldest spooled batches to the primary; false when it failed.
  bool DrainOnce();

  std::unique_ptr<Store> primary_;
  const Options options_;
  std::string path_;
  int lock_fd_ = -1;  // PATH.lock, flock()ed while open
  // Takes PATH.lock; refused (kUnavailable is not used: nothing to wait for)
  // when another process holds it.
  Status LockSpool();
  // Refuses a spool that holds another owner's batches; records ours.
  Status CheckOwner();
  // Holds the primary for one of the agent's control calls; Unavailable at
  // once (`p` not held) while batches are spooled and the primary's last
  // answer (to a write, the drain, a control call) said it is away, or the
  // drain is using it (unless `behind_the_drain`: then it waits for the
  // drain's transaction).
  Status PrimaryForControl(std::unique_lock<std::mutex>* p, bool behind_the_drain = false);
  // Takes the primary's answer to a control call: away, or not.
  void NoteAnswer(const Status& st);
  // `call` on the primary, through PrimaryForControl and NoteAnswer.
  template <typename Call>
  auto OnPrimary(Call call, bool behind_the_drain = false) -> decltype(call(*primary_));
  std::mutex primary_mu_;  // the primary is used by one thread at a time
  mutable std::mutex spool_mu_;
  std::condition_variable spool_cv_;
  SqliteDb spool_;
  int64_t spooled_batches_ = 0, spooled_bytes_ = 0;
  // The spool's mark (FILE.mark, beside it, outside SQLite): the seq of the
  // last batch appended and of the last one drained. A WAL cut or damaged is
  // read by SQLite up to its last good frame, silently: batches after it are
  // gone. The mark tells (OpenSpool says so; their lines are read again from
  // the log, as the checkpoint that remains stands before them).
  Status WriteMark();
  int64_t appended_seq_ = 0, drained_seq_ = 0;
  bool verified_ = false;      // spool head checked against the primary's checkpoint
  bool primary_away_ = false;  // its last answer was Unavailable
  bool stopping_ = false;
  std::unique_ptr<RetryWait> retry_wait_;  // between drain retries; the stop interrupts it
  std::thread drainer_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_SPOOL_STORE_H_
