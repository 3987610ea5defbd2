// MysqlStore: records in MySQL/MariaDB for a site or a fleet (Connector/C++,
// the cppconn API). Same contract as SqliteStore, plus:
// - several agents write into one database; each has a row in `agent` (its
//   checkpoint, its last committed batch, its message ids);
// - a batch is one transaction of prepared multi-row INSERTs; COMMIT is sent
//   as a statement, so a dead server is an error, never a silent loss;
// - on a lost connection it reconnects (with backoff) and redoes the batch,
//   unless the agent row shows that the COMMIT did land: nothing doubled;
// - dictionaries (addresses, domains, names, subjects) use ids derived from
//   the text's hash: agents agree on them without locks (mysql_dictionary.h);
// - message and rcpt are partitioned by day; PurgeBefore drops partitions.
// Errors that mean "the server is not reachable" come back as kUnavailable
// (what SpoolStore waits out); others as what they are.
#ifndef MAILTRAIL_AGENT_STORE_MYSQL_STORE_H_
#define MAILTRAIL_AGENT_STORE_MYSQL_STORE_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/store/mysql_url.h"
#include "agent/store/store.h"
#include "base/clock.h"

namespace sql {
class Connection;
class PreparedStatement;
}  // namespace sql

namespace mailtrail {

class MysqlDictionary;
struct MysqlDictSlots;  // mysql_internal.h
class MysqlPartitions;

class MysqlStore : public Store {
 public:
  struct Options {
    Detail detail = Detail::kStandard;
    bool migrate = false;
    // Empty: a reader (search, show, stats, purge): no agent row, no writes.
    std::string agent_name;
    int timeout_seconds = 10;  // read and write timeouts
    int connect_timeout_seconds = 5;
    int reconnect_attempts = 4;  // per failed batch, with 0.2 s .. 1.6 s backoff
    // What the backoff sleeps on (tests: a fake clock); null: the system's.
    const Clock* clock = nullptr;
    // An unreachable server at Open is not an error: the store connects on
    // first use (the live agent with a spool starts while the server is down).
    bool start_offline = false;
    size_t dictionary_cache = kDefaultDictionaryCache;  // texts per kind and generation
    Logger* log = nullptr;                              // StoreOptions::log; null: nothing said
  };
  static StatusOr<std::unique_ptr<MysqlStore>> Open(const MysqlTarget& target,
                                                    const std::string& password,
                                                    const Options& options);
  ~MysqlStore() override;

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
  std::optional<int64_t> SliceSecondsFor(const SearchQuery& q) const override;
  StatusOr<std::vector<SliceStamp>> SliceStamps(TimeUs since, TimeUs until, TimeUs width) override;
  Status AddLineStats(const LineStats& stats) override;
  StatusOr<LineStats> GetLineStats() override;
  StatusOr<std::map<std::string, int64_t>> CountByOutcome() override;
  StatusOr<int64_t> PurgeBefore(int64_t day) override;
  Status SaveBlocks(const std::vector<Block>& blocks) override;
  StatusOr<std::vector<Block>> LoadBlocks(TimeUs active_at) override;
  StatusOr<std::vector<Block>> LoadBlocksOf(const std::vector<BlockId>& ids) override;
  StatusOr<int> SetBlockEnds(const std::string& key, TimeUs now, TimeUs end) override;
  Status SaveAgentStatus(const AgentStatus& status) override;
  StatusOr<std::vector<AgentStatus>> ListAgentStatus() override;
  StatusOr<std::vector<WindowCount>> ExchangeCounts(const std::string& agent,
                                                    const std::vector<WindowCount>& mine,
                                                    TimeUs since) override;
  StatusOr<AnswerExchange> ExchangeAnswers(const AnswerRequest& r) override;
  Status SkipHeldRecords() override;
  HeldCounts held_counts() const override { return held_; }
  // mysql_bulk.cc: into an empty store, message and rcpt are written without
  // their secondary indexes, which are added at the end.
  Status BeginBulkLoad(int64_t input_bytes) override;
  Status EndBulkLoad() override;

  // The schema version of the database (0: none yet).
  StatusOr<int> SchemaVersion();

 private:
  MysqlStore(MysqlTarget target, std::string password, Options options);
  // Connects if not connected: schema check (once), agent row and lock.
  Status EnsureConnected();
  Status Connect();
  // A new session with the store's settings; throws sql::SQLException.
  std::unique_ptr<sql::Connection> NewSession(int read_timeout_seconds) const;
  std::string Where() const;   // the server, for messages
  const Clock& clock() const;  // Options::clock, or the system's
  // mysql_bulk.cc. Puts back the indexes a bulk load cut short left out;
  // false, doing nothing, while a load holds its lock. `lock_wait_seconds`:
  // how long its DDL may wait for the tables (0: the server's default).
  // Throws sql::SQLException.
  bool RestoreDeferredIndexes(int lock_wait_seconds);
  Status RestoreInNewSession();
  // The same for a writer: a failure is said, never the writer's.
  // RetryIndexRepair (after each batch) looks again each minute.
  void RepairDeferredIndexes();
  void RetryIndexRepair();
  Status Migrate();
  // On a new connection of a store that checked it before: the version is
  // still this mailtrail's.
  Status SchemaStillKnown();
  Status CheckSchema();
  Status RegisterAgent();
  Status TryWriteBatch(const std::vector<MessageRecord>& records,
                       const CheckpointUpdate* checkpoint);
  // Inside the batch's transaction; throws sql::SQLException.
  void WriteCheckpointParts(const CheckpointUpdate& u);
  void NoteTexts(const std::vector<MessageRecord>& records, MysqlDictSlots* slots);
  // What a batch changed in message_hour (schema/mysql/0009_message_hour.sql),
  // by (hour, agent): messages added less those removed, and rows changed.
  struct HourCount {
    int64_t records = 0;
    uint64_t changes = 0;
  };
  using HourCounts = std::map<std::pair<uint64_t, uint64_t>, HourCount>;
  // `encoded`: full detail, EncodeScans and EncodeEvents of each record in
  // turn. Adds what it writes and deletes to `hours`.
  void InsertRecords(const std::vector<MessageRecord>& records,
                     const std::vector<std::string>& encoded, const MysqlDictSlots& slots,
                     HourCounts* hours);
  void WriteHourCounts(const HourCounts& hours);
  // Writes the message rows of `pending` (ids `ids`) and their recipients, in
  // multi-row INSERTs; `all`: also a last statement of fewer rows. Returns how
  // many records it wrote.
  size_t FlushRows(const std::vector<MessageRecord>& records,
                   const std::vector<std::string>& encoded, const MysqlDictSlots& slots,
                   const std::vector<const MessageRecord*>& pending,
                   const std::vector<uint64_t>& ids, bool all);
  // Runs `op`; on a lost connection reconnects and runs it again (reads only).
  Status WithReconnect(const char* what, const std::function<void()>& op);
  sql::PreparedStatement* RowsStatement(bool message, size_t rows);
  // With kReplace, `*replaces` is the first_seen (seconds) of the held record
  // to delete: r's own, or a later piece's (HeldPieceActionFor).
  HeldAction CheckHeld(const MessageRecord& r, int64_t* replaces);
  // One SQL page of SearchWithCursor: every key but the record filters.
  Status SearchPage(const SearchQuery& q,
                    const std::function<void(MessageRecord&&, const SearchCursor&)>& fn);
  // Store::SearchWithin's parts (mysql_bounded.cc): MariaDB's
  // LIMIT ... ROWS EXAMINED on each page statement while a bound is alive.
  class RowsBound;
  std::unique_ptr<WorkBound> BoundWork(int64_t work_rows) override;
  Status ReadInTimeOrder(bool on) override;
  // CountMatchesUpTo of `q` (its SQL part) a slice of SliceSecondsFor at a
  // time, all of them within one work bound.
  StatusOr<MatchCount> CountInSlices(const SearchQuery& q, int64_t slice_seconds, int64_t cap,
                                     int64_t work_rows);
  StatusOr<std::optional<std::pair<int64_t, int64_t>>> TimeSpan() override;
  // While a bound is alive: the rows its page statements may still examine
  // (less those they returned), and whether one stopped at it.
  std::optional<int64_t> rows_left_;
  bool rows_stopped_ = false;
  std::optional<int64_t> rows_examined_mark_;  // the session's, at the last page statement
  void SpendRowsExamined();
  bool StoppedByBoundAfterError();
  // While set, pages read message through its index on first_seen.
  bool time_order_ = false;
  StatusOr<int64_t> CountSql(const SearchQuery& q);
  Status LoadRecipients(const std::vector<std::pair<uint64_t, uint32_t>>& ids,
                        std::map<uint64_t, std::vector<RecipientRecord>>* out);

  const MysqlTarget target_;
  const std::string password_;
  const Options options_;
  std::unique_ptr<sql::Connection> conn_;
  std::unique_ptr<MysqlDictionary> dict_;
  std::unique_ptr<MysqlPartitions> partitions_;
  // Between BeginBulkLoad and EndBulkLoad, when indexes were left out: the
  // session holding the bulk load's lock, which also runs its DDL.
  std::unique_ptr<sql::Connection> bulk_;
  // Prepared multi-row INSERTs by row count, for message and rcpt.
  std::map<size_t, std::unique_ptr<sql::PreparedStatement>> insert_message_, insert_rcpt_;
  // SkipHeldRecords(): records first seen up to held_horizon_ (seconds) may be
  // held, in rows outside [held_ids_from_, held_ids_to_) (this replay's own).
  bool skip_held_ = false;
  int64_t held_horizon_ = -1;
  uint64_t held_ids_from_ = 0, held_ids_to_ = 0;
  std::unique_ptr<sql::PreparedStatement> select_held_, select_held_piece_, count_held_noqueue_;
  std::unordered_map<std::string, int64_t> noqueue_seen_;  // NOQUEUE identity -> this replay's
  std::vector<std::string> noqueue_batch_;  // identities counted by the batch being tried
  HeldCounts held_, batch_held_;            // committed; in the batch being tried
  int agent_id_ = 0;
  uint64_t batch_ = 0;         // last committed batch of this agent
  uint64_t next_message_ = 0;  // next message id (without the agent bits)
  uint64_t session_id_ = 0;    // CONNECTION_ID() of the session holding the agent lock
  bool schema_checked_ = false;
  TimeUs next_index_repair_ = 0;  // monotonic
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_MYSQL_STORE_H_
