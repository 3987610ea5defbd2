// Store: where records and parser statistics live. One interface, backends picked
// by URL from an explicit table (OpenStore). Implementations are not thread-safe:
// one thread uses a Store at a time (the writer thread during a replay).
#ifndef MAILTRAIL_AGENT_STORE_STORE_H_
#define MAILTRAIL_AGENT_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/store/held_action.h"
#include "agent/track/block.h"
#include "agent/track/record.h"
#include "agent/track/window_count.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"

namespace mailtrail {

// How much of a record is kept (docs/reporting.md): minimal = times, client IP,
// sender, recipients, outcomes, size; standard adds names, ids, subject, dsn,
// relay, links, the reject and scan results, and why a recipient was not
// delivered; full adds the other status texts and every log line of the message.
enum class Detail : uint8_t { kMinimal, kStandard, kFull };
std::optional<Detail> DetailFromName(std::string_view name);
const char* DetailName(Detail d);
inline bool AtLeast(Detail d, Detail min) { return static_cast<int>(d) >= static_cast<int>(min); }
// Exact values, but: sender and recipient are matched lower-cased (the stores
// keep addresses so), subject is a substring in any case (LowerUtf8 on SQLite,
// LOWER() on MySQL), since/until bound first_seen (the message's arrival).
// A position in search order (first_seen, then the store's row id of the
// message): keyset paging for the web console, never OFFSET.
struct SearchCursor {
  TimeUs first_seen = 0;
  int64_t row = 0;
  bool operator==(const SearchCursor&) const = default;
};
// A row beyond every row id: {t, kRowAfterAll} is after every message of t's
// second. 18 digits, as the web console's cursors allow.
inline constexpr int64_t kRowAfterAll = 999'999'999'999'999'999;

struct SearchQuery {
  std::optional<std::string> sender, recipient, client_ip, qid, message_id, subject, host;
  std::optional<Outcome> outcome;
  std::optional<TimeUs> since, until;
  int64_t limit = 100;
  // Only records after this position (SearchWithCursor gives each one's).
  std::optional<SearchCursor> after;
  // The web console's extra keys: HELO name and SASL user (exact), size in
  // bytes (inclusive bounds; a record of unknown size matches neither).
  std::optional<std::string> helo, sasl_username;
  std::optional<int64_t> min_size, max_size;
  // More of them (agent/store/search_filters.h says how each is matched and
  // which are indexed): a recipient's domain (lower case, no "@"), the client
  // in a network ("192.0.2.0/24"), a DSN ("5.1.1", or a prefix "5.*"), a
  // relay (substring, any case), a set of outcomes, a recipient's delay in
  // seconds (inclusive), a scan's verdict (any case) and least score, whether
  // the message is a bounce / caused one, the reject text (substring, any case).
  std::optional<std::string> recipient_domain, client_cidr, dsn, relay;
  std::vector<Outcome> outcomes;  // empty: any
  std::optional<double> min_delay, max_delay;
  std::optional<std::string> scan_verdict;
  std::optional<double> min_score;
  std::optional<bool> is_bounce, has_bounce;
  std::optional<std::string> reject_text;
  bool operator==(const SearchQuery&) const = default;
};

// What Store::CountMatchesUpTo found: `n` matches, and whether it stopped at
// its work bound before the end (then there may be more than `n`).
struct MatchCount {
  int64_t n = 0;
  bool stopped = false;
  bool operator==(const MatchCount&) const = default;
};
// CountMatchesUpTo's default work bound, in rows examined: about 0.1 s of
// this project's 2-core benchmark machine (docs/benchmarks.md, "Pages and
// totals with a work bound"), so that a page and its total stay within 0.2 s.
inline constexpr int64_t kCountWorkRows = 150'000;

// What the parsers saw (for `mailtrail stats`). Counts add up across replays.
struct LineStats {
  std::map<std::string, int64_t> kinds;  // "client", "unknown:smtpd", ...
  std::vector<std::pair<std::string, std::string>> unknown_samples;  // (program, escaped line)
};

// What a live agent is doing (`mailtrail stats`, the web console's status
// page): one row per agent, replaced every few seconds. Counters are since
// `started`; times in Unix microseconds (wall clock).
struct AgentStatus {
  std::string agent;  // the host name its records carry
  TimeUs updated = 0, started = 0;
  TimeUs last_line = 0;  // log time of the newest line read; 0: none yet
  double lag_seconds = 0;
  int64_t lines = 0;
  double lines_per_second = 0;  // over the interval since the row before
  int64_t unknown_lines = 0, records = 0, open_messages = 0, backlog_bytes = 0;
  // Postfix's queue files (0 when the agent does not read them): vanished ones
  // were removed by Postfix before the agent could read them (issue 18).
  int64_t queue_files_read = 0, queue_files_vanished = 0, queue_read_errors = 0;
  bool operator==(const AgentStatus&) const = default;
};

// What a batch does to the saved checkpoint. A checkpoint is a list of opaque
// parts: the live agent saves its whole state now and then and, in between,
// appends only what changed (agent/run/checkpoint.h), so that a large deferred
// queue is not written again with every batch.
struct CheckpointUpdate {
  bool append = false;             // false: `parts` replace the saved ones
  std::vector<std::string> parts;  // oldest first

  static CheckpointUpdate Replace(std::string part);
  static CheckpointUpdate Append(std::string part);
  // Folds `later` in, as if the two had been written one after the other.
  void Then(CheckpointUpdate&& later);
  bool operator==(const CheckpointUpdate& o) const {
    return append == o.append && parts == o.parts;
  }
};

// A CheckpointUpdate as one blob (the spool keeps it so) and back. A blob of
// an older version, one checkpoint written whole, reads as its replacement.
std::string EncodeCheckpointUpdate(const CheckpointUpdate& u);
CheckpointUpdate DecodeCheckpointUpdate(std::string_view blob);

// One slice of first_seen time's records (a UTC hour or minute), as
// Store::SliceStamps sees them.
struct SliceStamp {
  TimeUs start = 0;  // the slice's start
  int64_t records = 0;
  int64_t max_id = 0;      // the largest row id (0 where the store keeps counts)
  int64_t id_sum = 0;      // a digest of the sum of the row ids, or MySQL's count
                           // of the hour's changes (message_hour)
  int64_t generation = 0;  // SQLite: purges so far (after one, ids may be used again)
  bool operator==(const SliceStamp&) const = default;
};

class Store {
 public:
  virtual ~Store() = default;
  // Writes the records in one transaction: all or nothing.
  Status Write(const std::vector<MessageRecord>& records) { return WriteBatch(records, nullptr); }
  // Writes the records and, when `checkpoint` is set, applies it to the saved
  // checkpoint, in one transaction.
  virtual Status WriteBatch(const std::vector<MessageRecord>& records,
                            const CheckpointUpdate* checkpoint) = 0;
  // The saved checkpoint: its parts, oldest first; empty when there is none.
  virtual StatusOr<std::vector<std::string>> LoadCheckpoint() = 0;
  // Calls `fn` for each matching record, oldest first (by arrival, first_seen;
  // `since` and `until` select on it too), at most `q.limit` of them.
  virtual Status Search(const SearchQuery& q, const std::function<void(MessageRecord&&)>& fn) = 0;
  // Search, giving each record's position too (the next page starts after the
  // last one's: q.after). Stores without row ids say NotFound.
  virtual Status SearchWithCursor(
      const SearchQuery& q, const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
    static_cast<void>(q), static_cast<void>(fn);
    return Status::NotFound("this store has no search cursor");
  }
  // Search for a report (agent/report/summary.h): the same records, but each
  // holds only the fields a Summary reads (SummaryReads in
  // agent/store/record_columns.h; the rest empty), read with their recipients
  // in one query and no events or scans decoded. By default Search.
  virtual Status SearchForSummary(const SearchQuery& q,
                                  const std::function<void(MessageRecord&&)>& fn) {
    return Search(q, fn);
  }
  // For each slice of first_seen that [since, until) touches, whole (UTC
  // hours or minutes: `width` is kSliceHour or kSliceMinute): how many
  // records it holds and a digest of their row ids. A write, rewrite or purge
  // of any record of a slice changes its stamp, because row ids are not used
  // twice (a rewritten record gets a new, larger id; SQLite may give an id
  // again after a purge, so its stamps carry the purges; MySQL's hours come
  // from the writers' counts of each hour's changes instead): the web console
  // keeps a slice's report while its stamp stands (docs/web.md, "Reports").
  // Slices without records are left out. NotFound when the store cannot say.
  static constexpr TimeUs kSliceHour = 3600 * kUsPerSecond, kSliceMinute = 60 * kUsPerSecond;
  virtual StatusOr<std::vector<SliceStamp>> SliceStamps(TimeUs since, TimeUs until, TimeUs width) {
    static_cast<void>(since), static_cast<void>(until), static_cast<void>(width);
    return Status::NotFound("this store keeps no slice stamps");
  }
  // How many records match `q`, whatever its limit. By default through Search.
  virtual StatusOr<int64_t> CountMatches(const SearchQuery& q);
  // CountMatches, but it stops at `cap` (and says `cap`), or once it has
  // examined about `work_rows` rows (then `stopped`, and `n` is what it found
  // by then): the web console's total, whose cost is bounded whatever the
  // search and the store's size (docs/web.md, "The total"). By default
  // through Search with the cap as the limit, and no work bound.
  virtual StatusOr<MatchCount> CountMatchesUpTo(const SearchQuery& q, int64_t cap,
                                                int64_t work_rows = kCountWorkRows);
  // The longest time slice, in seconds, that one statement of a bounded
  // search or total of `q` should read; none: any, and a search is one
  // query first. Given, a search goes to slices at once (MariaDB: a
  // recipient key checked per message costs something for each daily
  // partition of its statement's window, MysqlDialect).
  virtual std::optional<int64_t> SliceSecondsFor(const SearchQuery& q) const {
    static_cast<void>(q);
    return std::nullopt;
  }
  // The first q.limit matches of `q` in time, each record whole, read as
  // SearchWithin reads a page but on to the end of the bound: it stops once
  // it has examined about `work_rows` rows, and then says so in `*stopped`
  // (what it gave by then are the first matches in time, or none). The web
  // console's reports not made by the hour (docs/web.md, "Reports"); not
  // SearchForSummary's lean rows, whose one statement cannot be bounded
  // without sorting every match first on MariaDB. A store without BoundWork
  // never stops.
  virtual Status SearchFirstWithin(const SearchQuery& q, int64_t work_rows,
                                   const std::function<void(MessageRecord&&)>& fn, bool* stopped);
  // SearchWithCursor for a page of the web console, with a work bound: it may
  // stop once it has examined about `work_rows` rows, with fewer than
  // q.limit records; then `*resume` is where the search goes on (every match
  // before it was given to `fn`), and a search from it always gets further
  // (docs/web.md, "A page's work bound"; store_bounded.cc). A store without
  // BoundWork never stops.
  virtual Status SearchWithin(const SearchQuery& q, int64_t work_rows,
                              const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
                              std::optional<SearchCursor>* resume);
  virtual Status AddLineStats(const LineStats& stats) = 0;
  virtual StatusOr<LineStats> GetLineStats() = 0;
  virtual StatusOr<std::map<std::string, int64_t>> CountByOutcome() = 0;

  // A large load into an empty store may defer index maintenance until
  // EndBulkLoad() (building an index once is far cheaper than updating it per
  // row). Searches between the two calls are slow. After a crash in between,
  // the next open repairs the indexes. Both are no-ops where not useful.
  // `input_bytes`: the size of what is to be loaded, kInputUnknown if not
  // known; a store may write a small load as it comes, where the fixed cost
  // of its DDL would outweigh what deferring saves.
  static constexpr int64_t kInputUnknown = -1;
  virtual Status BeginBulkLoad(int64_t input_bytes) {
    (void)input_bytes;
    return Status::Ok();
  }
  virtual Status EndBulkLoad() { return Status::Ok(); }

  // Replays are idempotent (`mailtrail replay`): from this call on, a record
  // of a message the store already held when it was called is not written
  // again. A message is (host, queue id, first_seen), the identity by which a
  // live update replaces its record; the held record is kept, unless it is
  // open and the new one saw more (HeldActionFor). A record without a queue
  // id (NOQUEUE) is (host, first_seen, last_seen, client IP, sender), counted:
  // the n-th such record of a replay is skipped when the store held at least
  // n. Records newer than the newest held cost no lookup. Call before
  // BeginBulkLoad; not for the live agent.
  virtual Status SkipHeldRecords() {
    return Status::InvalidArgument("this store cannot skip records it holds");
  }
  struct HeldCounts {
    int64_t kept = 0;      // held and closed: not written again
    int64_t replaced = 0;  // held but open: replaced by the replay's record
  };
  virtual HeldCounts held_counts() const { return {}; }

  // Removes the records first seen before `day` (days since 1970-01-01 UTC) and
  // says how many messages went. MySQL drops whole daily partitions.
  virtual StatusOr<int64_t> PurgeBefore(int64_t day) = 0;
  // What the last PurgeBefore could not finish, for the admin (SQLite: a
  // reader held the write-ahead log, so the file shrinks once it lets go);
  // empty when it finished.
  virtual std::string PurgePending() { return {}; }

  // Blocks: every one ever made, keyed by (kind, key, created); saving one again
  // replaces it. `active_at` >= 0: only those with expires > active_at.
  virtual Status SaveBlocks(const std::vector<Block>& blocks) = 0;
  virtual StatusOr<std::vector<Block>> LoadBlocks(TimeUs active_at) = 0;
  // The rows of exactly these blocks, whatever their ends; a block the store
  // has no row of (not saved yet) is left out.
  virtual StatusOr<std::vector<Block>> LoadBlocksOf(const std::vector<BlockId>& ids) = 0;
  // An agent's refresh: the blocks that end after `from` (now: the active
  // ones, other agents' and extends), and the rows of `mine` (the agent's
  // active blocks) that are not among them, so an end another process wrote
  // (`blocks remove`) is seen. Not the rows that ended since the oldest of
  // `mine` began: with one long block active, every refresh read the
  // store's history (helper-110 F7).
  virtual StatusOr<std::vector<Block>> LoadRefresh(TimeUs from, const std::vector<BlockId>& mine);
  // Moves the end of `key`'s blocks (any kind) active at `now` to `end`, and
  // says how many. `end` <= `now` removes them, and marks them removed; a
  // later end (an extend) moves only blocks never removed. One statement, not
  // a read and a write: a block another process removes meanwhile stays
  // ended whichever clock read first, and one extended meanwhile takes this end.
  virtual StatusOr<int> SetBlockEnds(const std::string& key, TimeUs now, TimeUs end) = 0;
  // Ends the active blocks of `key` (any kind) at `at`; says how many.
  StatusOr<int> EndBlocks(const std::string& key, TimeUs at) { return SetBlockEnds(key, at, at); }

  // Fleet-wide detection (docs/detection.md): replaces `agent`'s window counts
  // by `mine`, drops every agent's counts of buckets before `since`, and
  // returns the other agents' counts from `since` on. Stores without the
  // table (the spool's own) say NotFound.
  virtual StatusOr<std::vector<WindowCount>> ExchangeCounts(const std::string& agent,
                                                            const std::vector<WindowCount>& mine,
                                                            TimeUs since) {
    static_cast<void>(agent), static_cast<void>(mine), static_cast<void>(since);
    return Status::NotFound("this store does not keep detection counts");
  }

  // Fleet-wide answers (docs/detection.md, agent/store/answer_plan.h):
  // notes that `r.agent` is there (detect_answer_agent, written again each
  // minute of `r.mono_now`, its value from `r.wall_now`); adds `r.mine` as its rows, numbered on
  // after the larger of `r.cursor.written` and its last row, but only when
  // another agent is there (alone: nobody would read them; `alone` says so);
  // drops its own rows learned before `r.since` (log time: each agent by its
  // own) and the rows of agents gone (whose presence stood still for
  // AnswerGoneAfter(`r.window`) as `r.mono_now` counts it, never compared
  // with their clocks), 10,000 an exchange at most on SQLite; returns
  // at most `r.limit` rows of the other agents after `r.cursor.read`, and the
  // cursor past them. An agent whose last row is below the cursor's (its
  // rows written again from the start) is read from its first. Stores
  // without the tables (the spool's own) say NotFound.
  virtual StatusOr<AnswerExchange> ExchangeAnswers(const AnswerRequest& r) {
    static_cast<void>(r);
    return Status::NotFound("this store does not keep answers");
  }

  // Replaces `status.agent`'s row; lists every agent's, by name. Stores
  // without the table (the spool's own) say NotFound; an older read-only
  // SQLite store lists none.
  virtual Status SaveAgentStatus(const AgentStatus& status) {
    static_cast<void>(status);
    return Status::NotFound("this store does not keep agent status");
  }
  virtual StatusOr<std::vector<AgentStatus>> ListAgentStatus() {
    return Status::NotFound("this store does not keep agent status");
  }

  // What opening did to the schema: its version before (0: there was none, the
  // schema was created) and after. Equal when nothing was applied.
  struct SchemaChange {
    int64_t from = 0, to = 0;
  };
  SchemaChange schema_change() const { return schema_change_; }

  // The seconds [first, last + 1) of the messages' first_seen; none when the
  // store is empty (or does not say: then a replay goes on with no record).
  virtual StatusOr<std::optional<std::pair<int64_t, int64_t>>> TimeSpan() {
    return std::optional<std::pair<int64_t, int64_t>>();
  }

 protected:
  // Counts `q`'s matches through Search, at most `cap`, into `*n` (so a
  // search stopped by an error or a work bound still says what it found).
  Status CountBySearch(const SearchQuery& q, int64_t cap, int64_t* n);

  // SearchWithin's parts, each in the store's own measure and SQL.
  // While alive, a bound on the work of the store's statements: they stop
  // once they have examined about so many rows between them.
  class WorkBound {
   public:
    virtual ~WorkBound() = default;
    // Whether a statement was stopped by it: what it returned is a part.
    virtual bool spent() const = 0;
  };
  // A bound of about `work_rows` rows examined; none: the store has no bound
  // (SearchWithin is then one query).
  virtual std::unique_ptr<WorkBound> BoundWork(int64_t work_rows) {
    static_cast<void>(work_rows);
    return nullptr;
  }
  // While `on`, searches read message in time order through its index on
  // first_seen, whatever else they name (SearchWithin's slices).
  virtual Status ReadInTimeOrder(bool on) {
    static_cast<void>(on);
    return Status::Ok();
  }

 private:
  // SearchWithin's and SearchFirstWithin's one query, then
  // (store_bounded.cc) the slices.
  Status SearchBounded(const SearchQuery& q, int64_t work_rows,
                       const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
                       std::optional<SearchCursor>* resume, bool to_the_bound);
  // SearchWithin's way on when its one query stopped before a match: the
  // window slice by slice in time order (store_bounded.cc).
  Status SearchInSlices(const SearchQuery& q, int64_t work_rows,
                        const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
                        std::optional<SearchCursor>* resume, bool bound_first = false);

 protected:
  SchemaChange schema_change_;  // set by the implementation's Open
};

inline constexpr int64_t kDefaultSqliteCacheMb = 64;
// SQLite (Debian's build) maps at most 2 GiB of a file, whatever is asked.
inline constexpr int64_t kDefaultReaderMmapMb = 2048;
inline constexpr size_t kDefaultDictionaryCache = 262144;

struct StoreOptions {
  Detail detail = Detail::kStandard;
  // SQLite: a missing database file is created (false: opening it is an error,
  // as for the read-only verbs). Ignored by MySQL (`db migrate` creates its schema).
  bool create_missing = true;
  // MySQL: opened as a writer, with its agent row (named agent_name) that holds
  // its checkpoint and ids; false: a reader (no agent row, a long query timeout
  // for reports). Ignored by SQLite (one writer, no agent rows).
  bool as_writer = true;
  // SQLite: opened read-only (search, show, stats, report, blocks list): a
  // database the user may only read is searched, and nothing is changed
  // (no migration, no index repair). Ignored by MySQL (its grants decide).
  bool read_only = false;
  // MySQL: apply pending schema migrations (`mailtrail db migrate`). Without it
  // an older schema is refused with a hint; a newer one is always refused.
  bool migrate = false;
  // MySQL: the file holding the password (its first line).
  std::string password_file;
  // MySQL: this writer's name in a shared database (its checkpoint and ids);
  // empty: the machine's host name. Two writers must not share a name.
  std::string agent_name;
  // MySQL: a local SQLite file where batches wait while the server is
  // unreachable (live agent); empty: no spool, a write fails after the retries.
  std::string spool_path;
  int64_t spool_max_bytes = 1LL << 30;
  // SQLite: the page cache of the connection, in MiB. A live store updates its
  // indexes in place, and once they outgrow this cache every batch reads and
  // writes pages through the kernel (docs/benchmarks.md).
  int64_t sqlite_cache_mb = kDefaultSqliteCacheMb;
  // SQLite: how much of the file the connection reads through a memory map, in
  // MiB; 0: none (every page is copied in by pread). The readers' default is
  // kDefaultReaderMmapMb (agent/cli/store_args.h, [web] mmap_mb); the pages show
  // in the process's RSS as file pages, the kernel's page cache, not its own.
  int64_t sqlite_mmap_mb = 0;
  // Both: dictionary texts cached per kind and generation (two generations), so
  // that a repeated address or host name costs no query.
  size_t dictionary_cache = kDefaultDictionaryCache;
  // MySQL: the clock a failed write's retry backoff sleeps on, and the spool's
  // drain retries wait on; SQLite: the one a batch's wait for a file another
  // process holds locked is timed by (LockedWait); null: the system's.
  const Clock* clock = nullptr;
  // MySQL: where a record whose times its columns cannot hold is said (once a
  // minute; MysqlStore::WriteBatch).
  Logger* log = &StderrLog();
};

// "sqlite:/path/to/file.db" (or a bare path), "mysql://user@host:port/db" or
// "mysql://user@localhost/db?socket=/path" (agent/store/mysql_url.h).
StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view url, const StoreOptions& options);
// The same with default options but these. A `writer` is created if missing
// and opened as_writer; else it is a reader: neither.
StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view url, Detail detail, bool writer);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_STORE_H_
