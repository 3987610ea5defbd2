// SqliteStore: the embedded default store (zero setup). WAL mode, prepared
// statements, one transaction per Write() batch. The schema is the embedded DDL
// of schema/sqlite/, applied on open; a database from a newer mailtrail is refused.
#ifndef MAILTRAIL_AGENT_STORE_SQLITE_STORE_H_
#define MAILTRAIL_AGENT_STORE_SQLITE_STORE_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "agent/store/dict_cache.h"
#include "agent/store/sqlite_db.h"
#include "agent/store/store.h"
#include "agent/track/record_fields.h"

namespace mailtrail {

class SqliteStore : public Store {
 public:
  // A subject substring held by fewer subjects than this is searched through
  // the trigram index (schema 11; RareSubjectIds).
  static constexpr int64_t kRareSubjects = 2000;
  // The messages whose subject holds the trigrams of `needle` (lower case;
  // schema 11), when fewer than kRareSubjects do; none for a common substring
  // or one of fewer than 3 characters.
  using MessageIds = std::optional<std::vector<int64_t>>;
  StatusOr<MessageIds> RareSubjectIds(const std::string& needle);
  // A recipient domain (lower case) with this many recipient rows or more is
  // common: its messages are checked one by one in time order (a page fills
  // at once), where a rare one's are read from rcpt_addr first.
  static constexpr int64_t kCommonDomainRows = 20000;
  StatusOr<bool> CommonRecipientDomain(const std::string& domain);
  // Fills the connection's table temp.relay_names with the ids of the host
  // names that hold `needle` in any ASCII case (sqlite_relay_names.cc).
  Status FindRelayNames(const std::string& needle);
  Status KeepRelayNames(const std::string& needle);  // FindRelayNames' work
  // `dict_cache_entries`: dictionary entries cached per kind and generation
  // (about 100 bytes an entry); `cache_mb`: SQLite's page cache. Both bound the
  // writer's memory whatever the input's size. `mmap_mb`: how much of the file
  // the connection reads through a memory map (StoreOptions::sqlite_mmap_mb).
  // `clock`: how long a batch has waited for a file another process holds
  // locked (LockedWait); null: the real one.
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& path, Detail detail, bool create,
                                               size_t dict_cache_entries = kDefaultDictionaryCache,
                                               int64_t cache_mb = kDefaultSqliteCacheMb,
                                               bool read_only = false, int64_t mmap_mb = 0,
                                               const Clock* clock = nullptr);

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
  StatusOr<std::vector<SliceStamp>> SliceStamps(TimeUs since, TimeUs until, TimeUs width) override;
  Status AddLineStats(const LineStats& stats) override;
  StatusOr<LineStats> GetLineStats() override;
  StatusOr<std::map<std::string, int64_t>> CountByOutcome() override;
  Status BeginBulkLoad(int64_t input_bytes) override;
  Status EndBulkLoad() override;
  // During a bulk load the WAL is checkpointed when it holds this many pages
  // (256 MiB with the 16 KiB pages of a store made by mailtrail), not every
  // 1000 as otherwise: the pages every batch touches (the dictionary, the
  // last leaves) are copied back seldom, and the WAL stays bounded, as long
  // as no other process holds a read open on the store meanwhile (a reader
  // keeps the WAL from being reused: do not search a store while it is
  // bulk-loaded). The indexes rebuilt at the end are one transaction each:
  // the WAL then holds the largest. Unbounded, a replay of 2.35M records had
  // made 19.4 GB of it (docs/benchmarks.md). Tests make it small.
  static constexpr int64_t kBulkWalPages = 16384;
  void set_bulk_wal_pages(int64_t pages) { bulk_wal_pages_ = pages; }
  // The page cache while indexes are built (RestoreDeferredIndexes): it is
  // also the size of the sorter's runs, and 4 MiB is SQLite's least run with
  // 16 KiB pages.
  static constexpr int64_t kIndexBuildCacheKib = 4096;
  // A setting of this connection now (`name`: cache_size, temp_store, ...).
  StatusOr<int64_t> IntPragma(const std::string& name);
  Status SkipHeldRecords() override;
  HeldCounts held_counts() const override { return held_; }
  StatusOr<int64_t> PurgeBefore(int64_t day) override;
  std::string PurgePending() override { return purge_pending_; }
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

  // The table of a dictionary text (nullptr: a subject, kept as its text).
  static const char* DictTableOf(Stored kind);

 private:
  // Kind 3 was meant for subjects; they are stored inline (mostly unique).
  enum DictKind { kAddress = 1, kHostName = 2, kSasl = 4 };

  explicit SqliteStore(Detail detail) : detail_(detail) {}
  // Whether the file at the store's path is still the one opened (WriteBatch).
  Status StillAtItsPath() const;
  Status Migrate();
  Status MapFile(int64_t mmap_mb);  // PRAGMA mmap_size, when mmap_mb > 0
  // Read-only: the schema must be this mailtrail's (nothing can be migrated).
  Status CheckSchemaVersion();
  // Another connection's `db purge` deleted dictionary rows: the cached ids may
  // be gone. Inside the batch's transaction.
  Status ForgetDictionaryAfterPurge();
  StatusOr<std::string> DictPurges();
  Status DeleteUnreferencedDictionary();
  // `removed_any`: a file of the old kind (no incremental auto-vacuum) is
  // rewritten only after a purge that removed something.
  Status ReclaimSpace(bool removed_any);
  // Re-creates indexes that a bulk load dropped (also after a crash mid-load).
  // `table` empty: all of them.
  Status RestoreDeferredIndexes(std::string_view table = {});
  // Each (meta key, CREATE statement), then its key out of meta.
  Status BuildIndexes(const std::vector<std::pair<std::string, std::string>>& indexes);
  Status Prepare();
  Status WriteOne(const MessageRecord& r);
  // WriteBatch's one try; `locked`: BEGIN found the database locked by
  // another process beyond the busy timeout.
  Status WriteBatchOnce(const std::vector<MessageRecord>& records,
                        const CheckpointUpdate* checkpoint, bool* locked);
  // Inside the batch's transaction. `updated`: the log time, in seconds.
  Status WriteCheckpoint(const CheckpointUpdate& u, int64_t updated);
  // Id of `text` in the dictionary, inserting it when new. On error returns 0
  // and sets dict_failed_, which WriteOne turns into a failed batch.
  int64_t DictId(DictKind kind, std::string_view text);
  int64_t LookupOrInsert(DictKind kind, std::string_view text);
  void ForgetDictionary();
  Status LoadDictionary();
  Status LoadRecipients(int64_t message_id, MessageRecord* r);
  class RowSink;
  // With kReplace, `*replaces` is the first_seen (seconds) of the held record
  // to delete: r's own, or a later piece's (HeldPieceActionFor).
  StatusOr<HeldAction> CheckHeld(const MessageRecord& r, int64_t* replaces);
  struct Where;
  // `time` and `id` name a row's position in a search's order: the message's
  // (m.first_seen, m.id), or the same values from a recipient row
  // (r.first_seen, r.message) when rcpt drives the search.
  StatusOr<Where> BuildWhere(const SearchQuery& q, const char* time = "m.first_seen",
                             const char* id = "m.id");
  // This connection's own writes do not change PRAGMA data_version: what was
  // kept by it is forgotten at each write.
  void ForgetWhatWasSeen() {
    stamps_seen_.clear();
    subject_seen_.data_version = -1;
    domain_seen_.data_version = -1;
    relay_seen_.reset();
  }
  Status RecipientPage(const SearchQuery& q,
                       const std::function<void(MessageRecord&&, const SearchCursor&)>& fn);
  // Runs a page's statement (columns: m.id, then the message's) and reads each
  // record's recipients.
  Status ReadPage(SqliteStmt* st, const Where& w,
                  const std::function<void(MessageRecord&&, const SearchCursor&)>& fn);
  // One SQL page of SearchWithCursor: every key but the record filters.
  Status SearchPage(const SearchQuery& q,
                    const std::function<void(MessageRecord&&, const SearchCursor&)>& fn);

  Detail detail_;
  const Clock* clock_ = nullptr;  // LockedWait's; never null after Open
  SqliteDb db_;
  SqliteStmt insert_message_, insert_rcpt_, insert_dict_, select_dict_, select_rcpts_,
      upsert_checkpoint_, delete_rcpts_, delete_message_;
  DictCache dict_cache_[5];  // by DictKind
  std::string last_text_[5];
  int64_t last_id_[5] = {};
  bool dict_failed_ = false;
  std::string dict_purges_;    // meta 'dict_purges' as this connection last saw it
  std::string purge_pending_;  // PurgePending()
  bool dict_loaded_ = false;
  // Every dict row was inserted through dict_cache_ (their filters know them all).
  bool bloom_valid_ = false;
  bool dict_index_deferred_ = false;  // a bulk load dropped dict's index
  size_t dict_cache_limit_ = 0;       // between BeginBulkLoad and EndBulkLoad
  int64_t bulk_wal_pages_ = kBulkWalPages;
  int64_t cache_kib_ = 0;  // the configured page cache ([store] cache_mb)
  // SkipHeldRecords(): records first seen up to held_horizon_ (seconds) may be
  // held, in rows up to held_max_id_ (later rows are this replay's own).
  bool skip_held_ = false;
  int64_t held_horizon_ = -1, held_max_id_ = 0;
  SqliteStmt select_held_, select_held_piece_, count_held_noqueue_;
  std::unordered_map<std::string, int64_t> noqueue_seen_;  // NOQUEUE identity -> this replay's
  HeldCounts held_, batch_held_;                           // committed; in the open transaction
  // SliceStamps' last few answers (a report asks for its hours, then for the
  // minutes of its edge hours), good while no connection has committed since
  // (PRAGMA data_version; this one's own writes forget them): a store nobody
  // writes answers a report without reading its index again.
  struct StampsSeen {
    int64_t data_version = -1;
    TimeUs since = 0, until = 0, width = 0;
    std::vector<SliceStamp> stamps;
  };
  std::vector<StampsSeen> stamps_seen_;  // newest last, at most kStampsSeen
  static constexpr size_t kStampsSeen = 4;
  // RareSubjectIds' last answer, kept the same way: a page and its count ask
  // for the same substring one after the other.
  struct SubjectSeen {
    int64_t data_version = -1;
    std::string needle;
    MessageIds ids;
    bool common = false;  // the index holds kRareSubjects or more of it
  } subject_seen_;
  // Whether CountMatchesUpTo of `q` should be driven by the subject index: a
  // common substring (RareSubjectIds asked already), no key with an index of
  // its own, and a window over at least half of the store's time.
  StatusOr<bool> CountsBySubjectIndex(const SearchQuery& q);
  // CountMatchesUpTo without record filters, in SQL, into `*n` row by row.
  Status CountBySql(const SearchQuery& q, int64_t cap, int64_t* n);
  // Store::SearchWithin's parts (sqlite_bounded.cc).
  class StepBound;
  std::unique_ptr<WorkBound> BoundWork(int64_t work_rows) override;
  Status ReadInTimeOrder(bool on) override;
  StatusOr<std::optional<std::pair<int64_t, int64_t>>> TimeSpan() override;
  // While set, SearchPage reads message through its index on first_seen.
  bool time_index_only_ = false;
  // CommonRecipientDomain's last answer, kept the same way.
  struct DomainSeen {
    int64_t data_version = -1;
    std::string domain;
    bool common = false;
  } domain_seen_;
  // What temp.relay_names holds: the names of `needle` among the dictionary's
  // rows up to id `through`, as of meta 'dict_purges' = `purges` (a purge may
  // free ids that later names take).
  struct RelaySeen {
    std::string needle, purges;
    int64_t through = 0;
  };
  std::optional<RelaySeen> relay_seen_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_SQLITE_STORE_H_
