#include "agent/run/agent.h"

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "agent/run/checkpoint.h"
#include "base/host_name.h"
#include "base/text.h"
#include "parsers/line_parser.h"

namespace mailtrail {

namespace {
// Year and month now, in the log's zone: the reference for yearless stamps.
void YearMonthNow(const Clock& clock, int utc_offset, int* year, int* month) {
  const time_t t = static_cast<time_t>(clock.WallNow() / kUsPerSecond) + utc_offset;
  struct tm tm;
  gmtime_r(&t, &tm);
  *year = tm.tm_year + 1900;
  *month = tm.tm_mon + 1;
}
// Live records are written at removal and updated by late lines: queryable
// within a flush interval instead of after the grace period.
TrackerOptions LiveTracker(TrackerOptions o) {
  o.emit_at_removed = true;
  return o;
}

}  // namespace

// Parses and tracks the lines of one stream.
class Agent::Lines : public LineHandler {
 public:
  Lines(Agent* agent, StreamState* state) : agent_(agent), state_(state) {}
  void OnLine(const TailLine& line) override {
    if (line.overlong) {
      state_->counter.CountOverlong();
      return;
    }
    const Event ev = state_->dating.Parse(line.bytes);
    state_->counter.Count(ev, line.bytes);
    agent_->tracker_.Process(ev);
  }

 private:
  Agent* agent_;
  StreamState* state_;
};

// Hands each closed record to the writer, after the detector has seen it, and
// each delivery to the detector.
class Agent::Tee : public RecordSink {
 public:
  explicit Tee(Agent* agent) : agent_(agent) {}
  void OnRecord(MessageRecord&& r) override {
    if (agent_->options_.queue_hints) agent_->Enrich(&r);
    if (!r.is_update) {
      agent_->flow_.Count(r);
      if (agent_->detector_) agent_->Detect(r);
    }
    agent_->writer_->OnRecord(std::move(r));
  }
  void OnDelivery(const MessageRecord& open, size_t recipient) override {
    if (agent_->detector_) agent_->DetectDelivery(open, recipient);
  }

 private:
  Agent* agent_;
};

Agent::Agent(AgentOptions options, Store* store, FileSystem* fs, const Clock* clock)
    : options_(std::move(options)),
      store_(store),
      fs_(fs),
      clock_(clock),
      writer_(std::make_unique<AsyncWriter>(store, options_.batch_records, options_.writer_queue,
                                            /*auto_batches=*/false, clock)),
      detector_(options_.detect ? std::make_unique<FloodDetector>(options_.detector) : nullptr),
      blocks_(options_.detect ? std::make_unique<BlockManager>(options_.blocks) : nullptr),
      tee_(std::make_unique<Tee>(this)),
      tracker_(LiveTracker(options_.tracker), tee_.get()) {
  writer_->set_log(options_.log);
  if (blocks_) blocks_->log = options_.log;
  for (const Cidr& n : options_.blocks.allow_cidrs) own_known_.insert(n.ToString());
  if (options_.fleet_agent.empty()) options_.fleet_agent = MachineName("mailtrail");
  started_ = clock_->WallNow();
  FileStreamOptions fo;
  fo.start_at_end = !options_.from_start;
  fo.rotate_wait = options_.rotate_wait;
  for (const auto& path : options_.logs) {
    streams_.push_back(std::make_unique<FileStream>(path, fs, fo));
    // The clock is the reference for yearless stamps: a month later than now
    // is last year's.
    int year, month;
    YearMonthNow(*clock_, options_.utc_offset_seconds, &year, &month);
    states_.push_back({LineCounter(), DatedLineParser(options_.utc_offset_seconds, year, month)});
  }
}

Agent::~Agent() = default;

Status Agent::Start() {
  // The checkpoint first: a store that is away fails the start here, before
  // anything changed, so the caller may wait and call Start() again.
  auto saved = store_->LoadCheckpoint();
  if (!saved.ok()) return saved.status();
  if (blocks_) {
    // The blocks that ended within max_period or later: the active ones come
    // back, and strikes count on. A store that is away (the checkpoint came
    // from the spool) does not stop the start: detection begins afresh, and
    // its blocks are saved once the store is back.
    start_wall_ = clock_->WallNow();
    auto all = store_->LoadBlocks(blocks_->RestoreFrom(start_wall_));
    if (all.ok()) {
      blocks_->Restore(*all, clock_->WallNow());
      // The rows' texts (evidence, reasons) are freed between the keys the
      // manager keeps, and glibc keeps such pages: 150,000 rows held 373 MB
      // after the start where 116 MB was in use (helper-110's store).
      if (all->size() > 10000) {
        all = std::vector<Block>{};
        malloc_trim(0);
      }
    } else if (all.status().code() == Status::Code::kUnavailable) {
      options_.log->Warn("blocks not restored (" + EscapeForLog(all.status().message(), 300) +
                         "); detection starts afresh");
    } else {
      return all.status();
    }
  }
  last_flush_ = clock_->MonotonicNow();
  if (saved->empty()) {
    // A first start: take hold of each log now (nothing read yet) and commit
    // that as the first checkpoint. Killed before its first batch, the agent
    // then resumes these very files, also when they were rotated meanwhile;
    // without it, the restart was a first start again and read only the file
    // at the path, not the rotated one (issue 18).
    if (!options_.from_start && !streams_.empty())
      options_.log->Info(
          "no checkpoint in the store: each log is read from its end, the lines in it now are "
          "not (`run --from-start` or `[logs] from_start = true` reads them at a first start, "
          "`mailtrail replay` at any time)");
    for (size_t i = 0; i < streams_.size(); ++i) {
      Lines none(this, &states_[i]);
      if (auto n = streams_[i]->Poll(clock_->MonotonicNow(), &none, 0); !n.ok()) return n.status();
    }
    if (Status js = StartJournal(nullptr); !js.ok()) return js;
    Status st = Flush();
    whole_state_bytes_ = 0;  // it only names the files: the next one is whole again
    return st;
  }
  // The whole state, then each change set after it; the streams stand where
  // the last part says.
  Checkpoint cp;
  std::string detector_state;  // the last part's that carries one
  for (size_t i = 0; i < saved->size(); ++i) {
    auto part = DecodeCheckpoint((*saved)[i]);
    if (!part.ok()) return part.status();
    if (!part->detector_state.empty()) detector_state = std::move(part->detector_state);
    Status st = i == 0 ? tracker_.LoadState(part->tracker_state)
                       : tracker_.ApplyChanges(part->tracker_state);
    if (!st.ok()) return st;
    (i == 0 ? whole_state_bytes_ : changes_bytes_) += static_cast<int64_t>((*saved)[i].size());
    cp = std::move(*part);
  }
  checkpoint_seq_ = cp.seq;
  // The windows as they stood at the checkpoint: the lines after it are read
  // again and counted once. A damaged state costs the windows, not the start.
  if (detector_ && !detector_state.empty()) {
    if (Status st = detector_->LoadState(detector_state); !st.ok())
      options_.log->Warn("detection starts afresh: " + EscapeForLog(st.message(), 300));
  }
  // Log time goes on from where it stood, by the wall clock, until lines come.
  last_line_log_time_ = tracker_.now();
  last_line_mono_ = last_flush_;
  for (const auto& s : cp.streams) {
    for (size_t i = 0; i < streams_.size(); ++i) {
      if (!SameLog(s, i, cp)) continue;
      streams_[i]->RestoreTo(s.positions);
      if (s.year != 0) {
        states_[i].dating =
            DatedLineParser::Resume(options_.utc_offset_seconds, s.year, s.month, s.last_time);
      }
    }
  }
  return StartJournal(&cp);
}

Status Agent::StartJournal(const Checkpoint* saved) {
  if (!options_.journal) return Status::Ok();
  if (!journal_) {
    auto reader = JournalReader::Open(*options_.journal);
    if (!reader.ok()) return reader.status();
    journal_ = std::move(*reader);
    journal_->set_clock(clock_);  // how long an entry still being written is waited for
    options_.log->Write(options_.journal_writers_doubtful ? LogLevel::kWarn : LogLevel::kInfo,
                        "journal: the lines of Postfix and amavis are taken from " +
                            (options_.journal->writers ? EscapeForLog(options_.journal_writers, 500)
                                                       : std::string("anyone")) +
                            " (docs/security.md rule 9)");
    // Its lines' RFC 3339 stamps carry their year: the parser guesses none.
    journal_state_.emplace(StreamState{LineCounter(), DatedLineParser::WithYear(0, 1970)});
  }
  // A checkpoint that read the journal: on after its cursor ("": nothing was
  // there then, so everything now is new). Else a first start for the journal.
  if (saved && saved->journal_read) {
    options_.log->Info("reading " + EscapeForLog(journal_->name()) + " after " +
                       (saved->journal_cursor.empty()
                            ? std::string("nothing (from its start)")
                            : "cursor " + EscapeForLog(saved->journal_cursor, 300)));
    return saved->journal_cursor.empty() ? journal_->SeekHead()
                                         : journal_->SeekAfter(saved->journal_cursor);
  }
  if (!options_.from_start)
    options_.log->Info(
        "journal: no checkpoint of it: read from now on, its entries before are "
        "not (`run --from-start` or `[logs] from_start = true` reads them at a "
        "first start)");
  return options_.from_start ? journal_->SeekHead() : journal_->SeekTail();
}

void Agent::SayRefusedEntries() {
  const JournalCounters& c = journal_->counters();
  if (options_.log->Limited(
          LogLevel::kWarn, "journal.refused",
          "journal: " + std::to_string(c.refused - refused_said_) +
              " entries tagged as Postfix's or amavis's were written by other users and not "
              "read; they may be forged, or come from sendmail -bs, whose smtpd runs as its "
              "user (last: " +
              EscapeForLog(c.last_refused, 200) +
              "; [input] journal_writers names who may write them)",
          clock_->MonotonicNow(), RateLimit{1, 3600 * kUsPerSecond, /*say_when_full=*/false}))
    refused_said_ = c.refused;
}

bool Agent::SameLog(const Checkpoint::Stream& saved, size_t i, const Checkpoint& cp) const {
  if (streams_[i]->path() == saved.path) return true;
  // Saved under another name (a relative path, before paths were made
  // absolute; a directory reached by another link): the same log if the file
  // at this path now is the one it was reading, and this path has no saved
  // stream of its own.
  for (const auto& other : cp.streams)
    if (other.path == streams_[i]->path()) return false;
  if (saved.positions.empty()) return false;
  auto info = fs_->Stat(streams_[i]->path());
  return info.ok() && info->id == saved.positions.back().id;
}

StatusOr<size_t> Agent::Step() {
  if (Status st = writer_->error(); !st.ok()) return st;
  const TimeUs now = clock_->MonotonicNow();
  // A store that takes no batch (a full spool, a lock) pauses the reading
  // and everything of a step that would queue a batch: the loop goes on
  // (signals, the watchdog), blocks end on time, nothing is lost.
  if (!StoreHasRoom(now)) {
    // Queue files read meanwhile wait in the cache: their 60 s for their
    // message's first line begin when the reading does (helper-102 F6).
    SayIfBehindTheClock();
    KeepBlocksCurrent(now);
    return 0;
  }
  size_t total = 0;
  for (size_t i = 0; i < streams_.size() && total < options_.lines_per_step; ++i) {
    Lines lines(this, &states_[i]);
    auto n = streams_[i]->Poll(now, &lines, options_.lines_per_step - total);
    if (!n.ok()) return n.status();
    total += *n;
    // Where a restart took up each log: the first thing to read when lines
    // seem lost or doubled after one.
    if (std::string note = streams_[i]->TakeRestoreNote(); !note.empty())
      options_.log->Info(EscapeForLog(streams_[i]->path() + " after the restart: " + note, 2000));
    if (std::string warning = streams_[i]->TakeWarning(); !warning.empty())
      options_.log->Warn(EscapeForLog(warning, 2000));
  }
  if (journal_ && total < options_.lines_per_step) {
    Lines lines(this, &*journal_state_);
    auto n = journal_->Poll(&lines, options_.lines_per_step - total);
    if (!n.ok()) return n.status();
    total += *n;
    if (const int64_t refused = journal_->counters().refused; refused > refused_seen_) {
      refused_seen_ = refused;
      dirty_ = true;  // the cursor moved past them: a crash must not read them again
      if (refused > refused_said_) SayRefusedEntries();
    }
  }
  if (options_.queue_hints) KeepQueueHints();
  if (total > 0) {
    dirty_ = true;
    last_line_log_time_ = tracker_.now();
    last_line_mono_ = now;
  } else if (last_line_log_time_ != 0) {
    const size_t before = tracker_.open_records();
    tracker_.Tick(last_line_log_time_ + (now - last_line_mono_));
    if (tracker_.open_records() != before) dirty_ = true;
  }
  SayIfBehindTheClock();
  KeepBlocksCurrent(now);
  if (blocks_ && now - last_block_refresh_ >= options_.block_refresh) {
    last_block_refresh_ = now;
    // The active rows, and those of this agent's active blocks: an end the
    // store has earlier (`blocks remove`) ends them here (issue 19 item 2).
    // After a step back, the strikes a start with the clock ahead missed
    // (helper-113).
    const TimeUs wall = clock_->WallNow();
    writer_->RefreshBlocks(refresh_strikes_ ? strikes_from_ : wall, blocks_->RefreshIds());
  }
  if (blocks_ && options_.fleet && now - last_fleet_exchange_ >= options_.fleet_interval)
    ExchangeFleetCounts(now);
  if (writer_->pending_records() >= options_.batch_records ||
      (dirty_ && now - last_flush_ >= commit_interval())) {
    if (Status st = Flush(); !st.ok()) return st;
  }
  if (options_.status_interval > 0 &&
      (last_status_ < 0 || now - last_status_ >= options_.status_interval))
    PublishStatus(now);
  return total;
}

void Agent::KeepBlocksCurrent(TimeUs now) {
  if (!blocks_) return;
  NoticeClockSteps();
  ReadOwnAddresses(now);
  // Blocks end on time even when no new decision comes (the enforcement
  // mirrors the active set: a block leaves it at its expiry).
  blocks_->Expire(clock_->WallNow());
  // Blocks other agents decided (a shared store) become active here too.
  TimeUs read_from = 0;
  if (auto theirs = writer_->TakeRefreshedBlocks(&read_from)) {
    // A refresh that replaced the wider one, or one the store did not
    // answer, leaves it to the next (helper-115).
    if (refresh_strikes_ && read_from <= strikes_from_) refresh_strikes_ = false;
    for (const Block& b : blocks_->Restore(*theirs, clock_->WallNow()))
      options_.log->Warn(std::string("block ") + BlockKindName(b.kind) + " " +
                         EscapeForLog(b.key, 120) + " until " + FormatRfc3339(b.expires) +
                         " (decided by " + EscapeForLog(b.origin_host, 100) +
                         "): " + EscapeForLog(b.reason, 200));
  }
  if (detector_) DecideAgain(blocks_->TakeEnded());
  if (options_.fleet) TakeFleetExchange(now);
}

void Agent::NoticeClockSteps() {
  // Both clocks at once: a stall between the two readings (the process
  // stopped, a slow disk) would look like a step.
  const TimeUs mono_now = clock_->MonotonicNow();
  const TimeUs wall = clock_->WallNow();
  const TimeUs expected = last_wall_ + (mono_now - last_wall_mono_);
  const bool first = last_wall_mono_ < 0;
  last_wall_ = wall;
  last_wall_mono_ = mono_now;
  // Slewing (NTP's small corrections) stays far below this; a step is
  // `date -s`, a first sync after boot, a virtual machine resumed.
  if (first || wall >= expected - kClockStepBack) return;
  std::vector<Block> moved = blocks_->ClockSteppedBack(expected - wall, wall);
  // Back behind the start's clock: the rows the start did not read, from
  // the earliest step's on (a read asked for before a second step does not
  // cover it, helper-116).
  if (wall < start_wall_) {
    const TimeUs from = blocks_->RestoreFrom(wall);
    strikes_from_ = refresh_strikes_ ? std::min(strikes_from_, from) : from;
    refresh_strikes_ = true;
  }
  options_.log->Warn("the clock went back " + std::to_string((expected - wall) / kUsPerSecond) +
                     " s: " + std::to_string(moved.size()) +
                     " block(s) made here, active or ended, keep the time they had left "
                     "(their ends move back)");
  for (Block& b : moved) new_blocks_.push_back(std::move(b));
  if (!new_blocks_.empty()) dirty_ = true;
}

Status Agent::Flush() {
  Checkpoint cp;
  for (size_t i = 0; i < streams_.size(); ++i)
    cp.streams.push_back({streams_[i]->path(), streams_[i]->positions(), states_[i].dating.year(),
                          states_[i].dating.last_month(), states_[i].dating.last_time()});
  if (journal_) {
    cp.journal_read = true;
    cp.journal_cursor = journal_->cursor();
  }
  // Changes only, until they add up to the whole state: a restart then reads at
  // most twice the state, and a deferred queue is not written every second.
  const bool whole = whole_state_bytes_ == 0 || changes_bytes_ >= whole_state_bytes_;
  if (whole) {
    cp.tracker_state = tracker_.SaveState();
    tracker_.MarkSaved();
  } else {
    cp.tracker_state = tracker_.SaveChanges();
  }
  cp.seq = ++checkpoint_seq_;
  // The detector's state when it changed, and in every whole part (which
  // replaces the parts that held it before).
  if (detector_ && (whole || detector_changed_)) cp.detector_state = detector_->SaveState();
  detector_changed_ = false;
  std::vector<Block> blocks = std::move(new_blocks_);
  new_blocks_.clear();
  // Blocks whose saving failed (a store outage) are saved again, all of them.
  if (blocks_ && writer_->TakeBlocksUnsaved()) blocks = blocks_->Active();
  std::string encoded = EncodeCheckpoint(cp);
  last_checkpoint_bytes_ = static_cast<int64_t>(encoded.size());
  if (whole) {
    whole_state_bytes_ = last_checkpoint_bytes_;
    changes_bytes_ = 0;
    checkpoint_bytes_whole_total_ += last_checkpoint_bytes_;
  } else {
    changes_bytes_ += last_checkpoint_bytes_;
    checkpoint_bytes_changes_total_ += last_checkpoint_bytes_;
  }
  writer_->Commit(whole ? CheckpointUpdate::Replace(std::move(encoded))
                        : CheckpointUpdate::Append(std::move(encoded)),
                  std::move(blocks));
  last_flush_ = clock_->MonotonicNow();
  dirty_ = false;
  return writer_->error();
}

TimeUs Agent::commit_interval() const {
  const int64_t rate = options_.checkpoint_bytes_per_second;
  if (rate <= 0) return options_.flush_interval;
  const TimeUs by_size =
      static_cast<TimeUs>(static_cast<double>(last_checkpoint_bytes_) / rate * kUsPerSecond);
  return std::max(options_.flush_interval, by_size);
}

int64_t Agent::lines_read() const {
  int64_t n = 0;
  for (const auto& s : states_) n += s.counter.lines();
  if (journal_state_) n += journal_state_->counter.lines();
  return n;
}

int64_t Agent::unknown_lines() const {
  int64_t n = 0;
  for (const auto& s : states_) n += s.counter.count(EventKind::kUnknown);
  if (journal_state_) n += journal_state_->counter.count(EventKind::kUnknown);
  return n;
}

}  // namespace mailtrail
