#include "agent/run/supervisor.h"

#include <algorithm>

#include "agent/blocks/allowlist.h"
#include "agent/config/config_keys.h"
#include "agent/journal/journal_writers.h"
#include "agent/run/enforcement.h"
#include "base/text.h"

namespace mailtrail {

AgentOptions ToAgentOptions(const Config& c, Logger* log) {
  AgentOptions o;
  o.log = log;
  o.logs = c.logs.paths;
  if (c.input.journal) {
    JournalSource js;
    if (!c.input.journal_directory.empty()) js.directories = {c.input.journal_directory};
    js.matches = c.input.journal_matches;
    const ResolvedWriters writers = ResolveJournalWriters(c.input.journal_writers);
    js.writers = writers.uids;
    o.journal = js;
    o.journal_writers = writers.description;
    o.journal_writers_doubtful = writers.doubtful;
  }
  o.from_start = c.logs.from_start;
  o.flush_interval = c.writer.flush_interval;
  o.batch_records = c.writer.batch_records;
  o.writer_queue = c.writer.queue_batches;
  o.checkpoint_bytes_per_second = c.writer.checkpoint_kib_per_s * 1024;
  o.tracker.grace = c.tracker.grace;
  o.tracker.stale_after = c.tracker.stale_after;
  o.tracker.max_open = c.tracker.max_open;
  o.tracker.keep_events = c.store.detail == Detail::kFull;
  o.tracker.host = c.agent.host;
  o.detect = c.detect.enabled;
  o.detector.subject_bounces = static_cast<int>(c.detect.subject_bounces);
  o.detector.subject_min_ips = static_cast<int>(c.detect.subject_ips);
  o.detector.subject_source_bounces = static_cast<int>(c.detect.subject_source_bounces);
  o.detector.answers.enabled = c.detect.answers;
  o.detector.answers.window = c.detect.answer_window;
  o.detector.subject_window = c.detect.subject_window;
  o.detector.ip_bounces = static_cast<int>(c.detect.ip_bounces);
  o.detector.ip_window = c.detect.ip_window;
  o.detector.block_period = c.blocks.period;
  o.detector.rules = c.detect.rules;
  o.fleet = c.detect.enabled && c.detect.fleet;
  o.detector.answers.share = o.fleet;  // mail relayed here may be answered to another MX
  o.fleet_interval = c.detect.fleet_interval;
  o.fleet_agent = c.agent.name;
  o.blocks.period = c.blocks.period;
  o.blocks.max_period = c.blocks.max_period;
  o.blocks.max_active = static_cast<size_t>(c.blocks.max_active);
  o.blocks.max_new_per_minute = static_cast<int>(c.blocks.max_new_per_minute);
  o.blocks.live = !c.blocks.dry_run;
  AllowlistOf(c, /*local=*/c.detect.enabled, &o.blocks, *log);
  if (c.detect.enabled && c.blocks.allow_own_addresses) o.own_addresses = OwnAddresses;
  // Our own servers' notices on their way out are not counted, and an
  // allowlisted subject makes no flood.
  o.detector.never_counted = NeverBlocked(o.blocks);
  o.detector.unblockable_subjects = o.blocks.allow_subjects;
  // The store is read this often for blocks others added or ended: a removal
  // reaches the enforcement within 5 s (a read, its answer, then a tick).
  o.block_refresh = 2 * kUsPerSecond;
  return o;
}

Status DamagedStoreSaysTheWayOut(const Status& st) {
  if (st.code() != Status::Code::kCorruption) return st;
  if (st.message().rfind("the spool ", 0) == 0) return st;  // says its own way out
  return Status::Corruption(st.message() +
                            " (the database is damaged: restore it from a backup, or move it"
                            " aside and start with a new one; `sqlite3 FILE .recover` may save"
                            " its records)");
}

struct Supervisor::QueueReader {
  QueueReader(QueueWatcherOptions o, const Clock* clock) : watcher(std::move(o), &cache, clock) {}
  QueueHintCache cache;
  QueueWatcher watcher;
};

// A configuration started: what the supervisor then holds.
struct Supervisor::Running {
  Config config;
  int offset = 0;
  std::unique_ptr<Store> store;
  std::unique_ptr<QueueReader> queue;
  std::unique_ptr<Agent> agent;  // declared last: gone before what it points to
};

Supervisor::Supervisor(FileSystem* fs, const Clock* clock, SupervisorHooks hooks)
    : fs_(fs), clock_(clock), hooks_(std::move(hooks)) {}

Supervisor::~Supervisor() { StopAll(); }

void Supervisor::StopAll() {
  agent_.reset();
  queue_.reset();
  store_.reset();
}

void Supervisor::Adopt(Running&& r) {
  config_ = std::move(r.config);
  offset_ = r.offset;
  store_ = std::move(r.store);
  queue_ = std::move(r.queue);
  agent_ = std::move(r.agent);
}

// `wait_for_store` (the first start only, while signals are held): a store
// that is down (MySQL restarting, the network) holds the checkpoint to resume
// from, so wait for it instead of exiting; nothing is read meanwhile and the
// log keeps every line (docs/install.md). Asked to stop while waiting:
// `out->agent` stays null.
Status Supervisor::StartRunning(const Config& c, int offset, bool wait_for_store, Running* out) {
  AgentOptions options = ToAgentOptions(c, hooks_.log);
  options.utc_offset_seconds = offset;
  StoreOptions store_options = ToStoreOptions(c);
  store_options.clock = clock_;
  std::unique_ptr<QueueReader> queue;
  if (c.queue.read != QueueRead::kOff) {
    QueueWatcherOptions qo;
    qo.queue_dir = c.queue.directory;
    qo.read_files = c.queue.read == QueueRead::kFiles;
    qo.postfix_config_dir = c.blocks.postfix_config_dir;
    qo.scan_interval = c.queue.scan_interval;
    qo.bounce_alert = c.queue.bounce_alert;
    qo.log = hooks_.log;
    queue = std::make_unique<QueueReader>(qo, clock_);
    if (Status st = queue->watcher.Start(); !st.ok()) return st;
    if (qo.read_files) options.queue_hints = &queue->cache;
    options.queue_watcher = &queue->watcher;
  }
  // The store opened and the agent resumed from its checkpoint; unavailable:
  // a database that is down, a SQLite file another process holds locked.
  std::unique_ptr<Store> store;
  std::unique_ptr<Agent> agent;
  auto open_and_start = [&]() -> Status {
    agent.reset();
    if (!store) {
      auto opened = OpenStore(c.store.url, store_options);
      if (!opened.ok()) return opened.status();
      store = std::move(*opened);
    }
    agent = std::make_unique<Agent>(options, store.get(), fs_, clock_);
    return agent->Start();
  };
  Status st = open_and_start();
  wait_for_store = wait_for_store && hooks_.wait_for_store != nullptr;
  for (TimeUs wait = kUsPerSecond; wait_for_store && st.code() == Status::Code::kUnavailable;
       wait = std::min(2 * wait, 30 * kUsPerSecond)) {
    hooks_.log->Warn("store unavailable (" + EscapeForLog(st.message(), 300) +
                     "); waiting for it (again in " + std::to_string(wait / kUsPerSecond) + " s)");
    hooks_.status("waiting for the store to resume from its checkpoint");
    if (!hooks_.wait_for_store(wait)) return Status::Ok();
    st = open_and_start();
  }
  if (!store) return DamagedStoreSaysTheWayOut(st);
  if (!st.ok()) {
    const std::string what = "resuming from the checkpoint: " + st.message();
    // A checkpoint that cannot be read will not become readable by retrying.
    if (st.code() == Status::Code::kCorruption)
      return Status::Corruption(what +
                                " (to start afresh, keeping the records: mailtrail db "
                                "forget-checkpoint with this store, and --agent NAME if the "
                                "configuration names one)");
    return st.code() == Status::Code::kUnavailable ? Status::Unavailable(what)
                                                   : Status::IoError(what);
  }
  out->config = c;
  out->offset = offset;
  out->store = std::move(store);
  out->queue = std::move(queue);
  out->agent = std::move(agent);
  return Status::Ok();
}

Status Supervisor::Start(const Config& c, int utc_offset_seconds, bool wait_for_store) {
  Running fresh;
  Status st = StartRunning(c, utc_offset_seconds, wait_for_store, &fresh);
  if (st.ok()) Adopt(std::move(fresh));
  return st;
}

Supervisor::ReloadResult Supervisor::Reload(const Config& next, int utc_offset_seconds) {
  ReloadResult result{Reloaded::kApplied, Status::Ok(), {}};
  if (agent_)
    if (Status st = agent_->Stop(); !st.ok())
      hooks_.log->Warn("stopping for the reload: " + EscapeForLog(st.message(), 300));
  const Config previous = config_;
  const int previous_offset = offset_;
  StopAll();
  Running fresh;
  if (Status st = StartRunning(next, utc_offset_seconds, false, &fresh); !st.ok()) {
    result.why = st;
    result.outcome = Reloaded::kRestored;
    Running back;
    if (Status bst = StartRunning(previous, previous_offset, false, &back); !bst.ok()) {
      result.outcome = Reloaded::kStopped;
      result.why =
          Status::IoError(st.message() + "; and the previous configuration: " + bst.message());
      return result;
    }
    Adopt(std::move(back));
    return result;
  }
  // The enforcement backends and the policy service are built once, at
  // start: their sections wait for a restart.
  result.restart = SectionsWaitingForRestart(previous, next);
  Adopt(std::move(fresh));
  return result;
}

}  // namespace mailtrail
