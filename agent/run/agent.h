// Agent: the live pipeline without its event loop. Follows the configured logs
// (FileStream), parses and tracks every new line, and hands records to the
// writer thread in batches that each carry the checkpoint covering them.
// Start() resumes from the store's checkpoint; Step() does one bounded round of
// work and is called by the event loop (agent/uv) on file events and timers, or
// directly by tests, which step it instead of sleeping.
//
// Threading: one thread calls everything (the loop's); the store is written by
// the AsyncWriter's thread. Time: from the injected Clock.
#ifndef MAILTRAIL_AGENT_RUN_AGENT_H_
#define MAILTRAIL_AGENT_RUN_AGENT_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/blocks/block_manager.h"
#include "agent/detect/flood_detector.h"
#include "agent/journal/journal_reader.h"
#include "agent/queue/queue_watcher.h"
#include "agent/replay/line_stats.h"
#include "agent/run/checkpoint.h"
#include "agent/run/mail_flow.h"
#include "agent/store/async_writer.h"
#include "agent/store/store.h"
#include "agent/tail/file_stream.h"
#include "agent/track/tracker.h"
#include "base/clock.h"
#include "base/file_system.h"
#include "base/log.h"
#include "parsers/line_parser.h"

namespace mailtrail {

struct AgentOptions {
  std::vector<std::string> logs;  // paths followed, each through its rotations
  bool from_start = false;        // first start without a checkpoint: read what is there
  // Postfix's messages from the systemd journal too (or instead of logs), with
  // its cursor in the checkpoint; from_start: its head at the first start,
  // else only what comes after the newest entry then.
  std::optional<JournalSource> journal;
  // Who its writers are, for the start message ("root (0), postfix (107)"),
  // and whether that is said as a warning (ResolvedWriters::doubtful).
  std::string journal_writers;
  bool journal_writers_doubtful = false;
  TimeUs flush_interval = kUsPerSecond;
  size_t batch_records = 20000;   // flush earlier when this many records wait
  size_t lines_per_step = 20000;  // work per Step(): bounded so signals stay timely
  size_t writer_queue = 4;        // batches in flight to the store (backpressure)
  // A checkpoint carries the open messages that changed since the one before,
  // and now and then all of them (~800 bytes per open message): commits by time
  // are spaced so that checkpoints write at most this many bytes per second on
  // average. 0: no limit.
  int64_t checkpoint_bytes_per_second = 4 << 20;
  int utc_offset_seconds = 0;
  TrackerOptions tracker;
  TimeUs rotate_wait = 5 * kUsPerSecond;
  // Backscatter detection on the records as they close (issue 5); its blocks
  // are saved with the batches and restored at start.
  bool detect = false;
  DetectorOptions detector;
  BlockPolicy blocks;
  // Lines older than this (by the wall clock) decide blocks that are recorded
  // but not live: catching up after downtime blocks nobody (docs/security.md rule 6).
  TimeUs live_horizon = 300 * kUsPerSecond;
  // How often the store's active blocks are read (those of other agents).
  TimeUs block_refresh = 5 * kUsPerSecond;
  // Fleet-wide detection (docs/detection.md): every fleet_interval this agent
  // publishes its window counts to the store as `fleet_agent` and adds the
  // other agents' to its own.
  bool fleet = false;
  TimeUs fleet_interval = 2 * kUsPerSecond;
  std::string fleet_agent;  // "": this machine's host name
  // What the queue files said (issue 8): a closing record takes the Subject,
  // From: and Message-ID the log did not carry. Null: off. The watcher only
  // for its counters in the metrics.
  QueueHintCache* queue_hints = nullptr;
  const QueueWatcher* queue_watcher = nullptr;
  // How often this agent's status row is saved to the store (Store::
  // SaveAgentStatus: `mailtrail stats`, the web console); also at Stop().
  // 0: never.
  TimeUs status_interval = 10 * kUsPerSecond;
  // This machine's addresses (allowlist.h OwnAddresses), read again every
  // own_addresses_every: one it gains after the start (a DHCP lease, an IPv6
  // temporary address, an alias) is never blocked either, and a block of it
  // ends (helper-149 F7). Those in `blocks.allow_cidrs` at the start are
  // known already. Empty: not read ([blocks] allow_own_addresses = false).
  std::function<std::vector<Cidr>()> own_addresses;
  TimeUs own_addresses_every = 60 * kUsPerSecond;
  // Where the agent and its parts (blocks, writer) tell the operator things.
  Logger* log = &StderrLog();
};

class Agent {
 public:
  Agent(AgentOptions options, Store* store, FileSystem* fs, const Clock* clock);
  ~Agent();

  // Loads the checkpoint (if any) and restores the streams and open messages.
  Status Start();
  // Reads what is new (at most lines_per_step lines) and flushes when due.
  // Returns the number of lines read; lines_per_step means "call again soon".
  StatusOr<size_t> Step();
  // Queues everything so far with its checkpoint (one transaction).
  Status Flush();
  // True while the reading is paused because the store takes no batch: the
  // loop then steps again soon (agent/uv), not at its next timer.
  bool waiting_for_store() const { return paused_since_ >= 0; }
  // Stopping as steps of the event loop, which goes on meanwhile (the
  // watchdog, signals, the end of blocks: a stop that waited inside the loop
  // for a stuck store held all three, helper-104). Once the writer has room,
  // queues the final batch (records, checkpoint, status); true once the
  // writer has written everything and stopped. Blocks end on time until then.
  // Reads nothing: call it instead of Step() from the first call on.
  StatusOr<bool> StepStop();
  // The same, waiting for the writer. Open messages stay in the checkpoint.
  // Idempotent: after StepStop() said true, or a Stop(), returns its outcome.
  Status Stop();

  // How long records wait at most before a commit by time: the flush interval,
  // or longer when the last checkpoint was large (checkpoint_bytes_per_second).
  TimeUs commit_interval() const;

  // Totals over the followed logs.
  int64_t lines_read() const;
  int64_t unknown_lines() const;
  int64_t records_written() const { return writer_->stats().written; }
  const AsyncWriter& writer() const { return *writer_; }
  // Log time (UTC) of the newest line read, 0 before the first.
  TimeUs last_line_log_time() const { return last_line_log_time_; }
  // Wall clock minus the log time of the newest line read (0 before any).
  double lag_seconds() const {
    return last_line_log_time_ ? (clock_->WallNow() - last_line_log_time_) / 1e6 : 0;
  }
  // Bytes written to the logs and not read yet.
  int64_t backlog_bytes() const;
  // The Prometheus text of every counter (for the metrics endpoint).
  std::string RenderMetrics() const;
  size_t open_records() const { return tracker_.open_records(); }
  // Null when detection is off.
  const BlockManager* blocks() const { return blocks_.get(); }
  const FloodDetector* detector() const { return detector_.get(); }
  int64_t records_enriched() const { return enriched_; }  // given a field from a queue file
  const std::vector<std::unique_ptr<FileStream>>& streams() const { return streams_; }
  // Null unless reading the journal (after Start()).
  const JournalReader* journal() const { return journal_.get(); }

 private:
  class Lines;
  class Tee;
  void Detect(const MessageRecord& r);
  // Recipient `i` of the open record was delivered: the detector learns mail
  // we relayed as it goes out, not when its message closes.
  void DetectDelivery(const MessageRecord& open, size_t i);
  void DetectDeferral(const MessageRecord& open);
  // Makes blocks of decisions_ (said, and saved with the next batch).
  void ApplyDecisions();
  void Enrich(MessageRecord* r);
  // What `r`'s queue file said, if it was read, where the log said nothing
  // (agent_queue.cc). True if it changed `r`.
  bool FillFromQueue(MessageRecord* r) const;
  // Copies what newly read queue files said into the open records, which the
  // next checkpoint then keeps (a restart after the file is gone loses nothing).
  void KeepQueueHints();
  // Whether checkpoint stream `saved` is the log of streams_[i]: by path, or
  // by the identity of the file it was reading (a path saved another way).
  bool SameLog(const Checkpoint::Stream& saved, size_t i, const Checkpoint& cp) const;
  struct StreamState {
    LineCounter counter;     // this log's lines by kind
    DatedLineParser dating;  // year of its yearless stamps
  };

  AgentOptions options_;
  Store* store_;
  FileSystem* fs_;
  const Clock* clock_;
  std::unique_ptr<AsyncWriter> writer_;
  std::unique_ptr<FloodDetector> detector_;
  std::unique_ptr<BlockManager> blocks_;
  std::vector<Block> new_blocks_;  // made since the last flush
  std::vector<Decision> decisions_;
  TimeUs last_block_refresh_ = 0;
  // The clock stepped back behind where it stood at the start: refreshes
  // read the rows that ended within max_period too (from strikes_from_ or
  // earlier), until one such read is handed over. A start with the clock
  // ahead read none of them.
  bool refresh_strikes_ = false;
  TimeUs start_wall_ = 0, strikes_from_ = 0;
  // The wall clock stepped back since the last step: active blocks keep the
  // time they had left (BlockManager::ClockSteppedBack).
  void NoticeClockSteps();
  // AgentOptions::own_addresses, when due: a new one joins the allowlists.
  void ReadOwnAddresses(TimeUs mono_now);
  std::set<std::string>
      own_known_;             // allowlisted already (Cidr::ToString): at the start, and since
  TimeUs next_own_read_ = 0;  // monotonic
  static constexpr TimeUs kClockStepBack = 2 * kUsPerSecond;
  TimeUs last_wall_ = 0, last_wall_mono_ = -1;  // -1: not looked yet
  TimeUs last_fleet_exchange_ = 0;
  // Hands this agent's status row to the writer (agent/run/agent_status.cc).
  void PublishStatus(TimeUs mono_now);
  TimeUs started_ = 0;       // wall clock, at construction
  TimeUs last_status_ = -1;  // monotonic; -1: none yet
  int64_t last_status_lines_ = 0;
  // Publishes the detector's window counts and the mail it learned, asks for
  // the other agents' (agent_detect.cc).
  void ExchangeFleetCounts(TimeUs mono_now);
  // Takes the other agents' counts and answers the writer has read.
  void TakeFleetExchange(TimeUs mono_now);
  // The log time at monotonic `mono_now` (it goes on by the clock while logs
  // are quiet); 0 before the first line.
  TimeUs LogNow(TimeUs mono_now) const;
  bool answers_in_flight_ = false;  // one exchange at a time: each starts from the last's cursor
  int64_t answers_not_shared_said_ = 0;  // FloodDetector::answers_not_shared() last said
  TimeUs heard_saved_ = -1;              // when the others' presences were last marked to be saved
  // Says once per agent that its answers are read here (an admin sees the
  // fleet share them).
  void SayAnswerSources(const AnswerExchange& x);
  std::set<std::string> answer_sources_;
  std::unique_ptr<RecordSink> tee_;  // records to the writer, and to the detector
  MessageTracker tracker_;
  std::vector<std::unique_ptr<FileStream>> streams_;
  std::vector<StreamState> states_;
  // Opens the journal at Start() and puts it where the checkpoint says.
  Status StartJournal(const Checkpoint* saved);
  std::unique_ptr<JournalReader> journal_;
  std::optional<StreamState> journal_state_;
  // The keys of blocks the store ended early (`blocks remove`): the
  // detector may decide them again at once.
  void DecideAgain(const std::vector<Block>& ended);
  // Whether every log has been read to its end (nothing waits to be read).
  bool LogsReadToTheEnd() const;
  // A log whose newest line, all read, is older than live_horizon: its
  // decisions are recorded, never enforced. Said once an hour (helper-94: a
  // log in a zone west of [logs] timezone blocked nothing, silently).
  void SayIfBehindTheClock();
  TimeUs old_decision_ = 0;   // the latest decision on old lines, not looked at yet
  int64_t refused_said_ = 0;  // journal entries refused, as far as said
  int64_t refused_seen_ = 0;  // as far as a checkpoint covers them
  // Says (once a minute) the journal entries refused since it last did.
  void SayRefusedEntries();
  TimeUs last_flush_ = 0;
  // Takes what changed the active blocks: their ends, the clock stepping
  // back, the other agents' blocks and fleet counts the writer has read.
  // Queues nothing (so, also while the store takes no batch).
  void KeepBlocksCurrent(TimeUs mono_now);
  // Whether the writer has room for a batch (Step reads nothing while not),
  // saying a pause that lasts and its end.
  bool StoreHasRoom(TimeUs mono_now);
  static constexpr TimeUs kPauseSaid = 10 * kUsPerSecond;
  static constexpr TimeUs kPauseSaidAgain = 600 * kUsPerSecond;
  TimeUs paused_since_ = -1, last_pause_said_ = -1;  // monotonic; -1: not paused, never said
  bool pause_said_ = false;                          // this pause was said
  // Queues the last batch of a stop (the writer has room).
  void QueueFinalBatch(TimeUs mono_now);
  bool final_queued_ = false, stopped_ = false;
  Status final_status_, stop_status_;
  int64_t last_checkpoint_bytes_ = 0;
  // The store's checkpoint: the size of its whole state (0: none yet, nothing
  // to append changes to) and of the changes appended since.
  int64_t whole_state_bytes_ = 0, changes_bytes_ = 0;
  int64_t checkpoint_seq_ = 0;  // of the last part written
  int64_t checkpoint_bytes_whole_total_ = 0, checkpoint_bytes_changes_total_ = 0;
  // When the tracker last saw a line: quiet logs let log time pass by the wall
  // clock, so that records close after their grace period without new lines.
  TimeUs last_line_log_time_ = 0, last_line_mono_ = 0;
  bool dirty_ = false;             // lines consumed since the last flush
  bool detector_changed_ = false;  // records detected since the last flush
  int64_t enriched_ = 0;           // records given a field from a queue file
  int64_t hints_kept_ = 0;         // open records given a field from a queue file
  // Queue files read before their message's first log line: tried again.
  std::deque<std::pair<std::string, TimeUs>> hints_waiting_;
  MailFlow flow_;  // for the metrics: messages, recipients, delays, rejects
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_AGENT_H_
