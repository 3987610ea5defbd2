// `mailtrail run --log PATH... [--store URL]`: the live agent. Follows the logs
// through rotations, writes records with a checkpoint in every transaction, and
// resumes exactly where it stopped (also after SIGKILL).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include <systemd/sd-daemon.h>

#include "actions/policy/policy_server.h"
#include "agent/blocks/allowlist.h"
#include "agent/blocks/desired.h"
#include "agent/cli/args.h"
#include "agent/cli/enforcement.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/config/config.h"
#include "agent/config/config_keys.h"
#include "agent/metrics/metrics_server.h"
#include "agent/run/agent.h"
#include "agent/store/store.h"
#include "agent/uv/run_loop.h"
#include "base/cidr.h"
#include "base/file_system.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {

// The configuration file, then the command line's overrides.
StatusOr<Config> Configure(const Args& args, const std::vector<std::string>& logs) {
  Config c;
  if (auto path = args.Get("config")) {
    auto loaded = LoadConfig(*path);
    if (!loaded.ok()) return loaded.status();
    c = *loaded;
  }
  if (!logs.empty()) c.logs.paths = logs;
  if (auto v = args.Get("store")) c.store.url = *v;
  if (auto v = args.Get("detail")) c.store.detail = *DetailFromName(*v);  // checked by the spec
  if (args.Has("from-start")) c.logs.from_start = true;
  if (auto v = args.Get("tz")) c.logs.timezone = *v;
  if (auto v = args.Get("metrics")) c.metrics.listen = *v;
  if (auto v = args.Get("password-file")) c.store.password_file = *v;
  if (auto v = args.Get("spool")) c.store.spool = *v;
  if (auto v = args.Get("agent")) c.agent.name = *v;
  if (auto v = args.Get("host")) c.agent.host = *v;
  if (auto v = args.Get("policy-socket")) c.policy.socket = *v;
  if (auto v = args.Get("access-map")) c.enforce.access_map = *v;
  if (auto v = args.Get("header-checks")) c.enforce.header_checks = *v;
  if (auto v = args.Get("postfix-config-dir")) c.blocks.postfix_config_dir = *v;
  if (args.Has("allow")) c.blocks.allow = args.GetAll("allow");  // checked by RunMain
  // The checkpoint keys each log by its absolute path: the same file named
  // two ways is one log (issue 18: "mail.log" and "/var/log/mail.log" read it
  // twice), and named twice it would be read twice.
  std::set<std::string> seen;
  for (auto& path : c.logs.paths) {
    path = AbsoluteLogPath(path);
    if (!seen.insert(path).second)
      return Status::InvalidArgument("the log " + path + " is named twice");
  }
  // Checked by the spec (1 ms to 1 h).
  c.writer.flush_interval = args.Number("flush-interval", c.writer.flush_interval);
  c.logs.poll_interval = args.Number("poll-interval", c.logs.poll_interval);
  return c;
}

// The live IP and CIDR blocks, as the policy service looks them up.
PolicyTable PolicyTableOf(const std::vector<Block>& blocks) {
  PolicyTable t;
  for (const Block& b : blocks) {
    if (!b.live) continue;
    if (b.kind == "ip") {
      if (auto ip = IpAddress::Parse(b.key)) t.ips.insert(ip->ToString());
    } else if (b.kind == "cidr") {
      if (auto n = Cidr::Parse(b.key)) t.networks.push_back(*n);
    }
  }
  return t;
}

AgentOptions ToAgentOptions(const Config& c) {
  AgentOptions o;
  o.logs = c.logs.paths;
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
  o.fleet_interval = c.detect.fleet_interval;
  o.fleet_agent = c.agent.name;
  o.blocks.period = c.blocks.period;
  o.blocks.max_period = c.blocks.max_period;
  o.blocks.max_active = static_cast<size_t>(c.blocks.max_active);
  o.blocks.max_new_per_minute = static_cast<int>(c.blocks.max_new_per_minute);
  o.blocks.live = !c.blocks.dry_run;
  AllowlistOf(c, /*local=*/c.detect.enabled, &o.blocks);
  // The store is read this often for blocks others added or ended: a removal
  // reaches the enforcement within 5 s (a read, its answer, then a tick).
  o.block_refresh = 2 * kUsPerSecond;
  return o;
}

std::vector<std::string> WatchDirs(const std::vector<std::string>& logs) {
  std::set<std::string> dirs;
  for (const auto& l : logs) {
    const size_t slash = l.rfind('/');
    dirs.insert(slash == std::string::npos ? "." : (slash == 0 ? "/" : l.substr(0, slash)));
  }
  return {dirs.begin(), dirs.end()};
}

// The configuration in force, its store and the agent running with them.
// The queue reader of [queue]: the watcher (declared last, so stopped first)
// writes into the cache the agent reads.
struct QueueReader {
  explicit QueueReader(QueueWatcherOptions o) : watcher(std::move(o), &cache) {}
  QueueHintCache cache;
  QueueWatcher watcher;
};

struct Running {
  Config config;
  std::unique_ptr<Store> store;
  std::unique_ptr<QueueReader> queue;  // null: [queue] read = "off"
  std::unique_ptr<Agent> agent;        // declared last: gone before what it points to
};

// A damaged database will not heal by restarting: Corruption (exit 65, which
// the unit does not restart) with the way out.
Status DamagedStoreSaysTheWayOut(const Status& st) {
  if (st.code() != Status::Code::kCorruption) return st;
  if (st.message().rfind("the spool ", 0) == 0) return st;  // says its own way out
  return Status::Corruption(st.message() +
                            " (the database is damaged: restore it from a backup, or move it"
                            " aside and start with a new one; `sqlite3 FILE .recover` may save"
                            " its records)");
}

// Opens the store and starts (resumes) an agent for `c`.
// `wait_for_store` (the first start only, while signals are held): a store
// that is down (MySQL restarting, the network) holds the checkpoint to resume
// from, so wait for it instead of exiting; nothing is read meanwhile and the
// log keeps every line (docs/install.md). A SIGTERM while waiting leaves
// `out->agent` null.
Status StartRunning(const Config& c, const Clock& clock, Running* out,
                    bool wait_for_store = false) {
  AgentOptions options = ToAgentOptions(c);
  if (!ParseTz(c.logs.timezone, clock, &options.utc_offset_seconds))
    return Status::InvalidArgument("timezone must be UTC, local, +HH:MM or -HH:MM");
  auto store = OpenStore(c.store.url, ToStoreOptions(c));
  if (!store.ok()) return DamagedStoreSaysTheWayOut(store.status());
  std::unique_ptr<QueueReader> queue;
  if (c.queue.read != "off") {
    QueueWatcherOptions qo;
    qo.queue_dir = c.queue.directory;
    qo.read_files = c.queue.read == "files";
    qo.postfix_config_dir = c.blocks.postfix_config_dir;
    qo.scan_interval = c.queue.scan_interval;
    qo.bounce_alert = c.queue.bounce_alert;
    queue = std::make_unique<QueueReader>(qo);
    if (Status st = queue->watcher.Start(); !st.ok()) return st;
    if (qo.read_files) options.queue_hints = &queue->cache;
    options.queue_watcher = &queue->watcher;
  }
  auto agent = std::make_unique<Agent>(options, store->get(), RealFileSystem(), &clock);
  Status st = agent->Start();
  for (TimeUs wait = kUsPerSecond; wait_for_store && st.code() == Status::Code::kUnavailable;
       wait = std::min(2 * wait, 30 * kUsPerSecond)) {
    std::fprintf(stderr, "mailtrail: store unavailable (%s); waiting for it (again in %lld s)\n",
                 EscapeForLog(st.message(), 300).c_str(),
                 static_cast<long long>(wait / kUsPerSecond));
    sd_notify(0, "READY=1\nSTATUS=waiting for the store to resume from its checkpoint");
    if (!WaitUnlessStopped(wait)) return Status::Ok();
    st = agent->Start();
  }
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
  out->store = std::move(*store);
  out->queue = std::move(queue);
  out->agent = std::move(agent);
  return Status::Ok();
}

// SIGHUP: read and check the configuration again; if it is good, stop the agent
// (its records and checkpoint are committed) and start one with the new
// configuration, which resumes from that checkpoint. A bad file, or a new
// configuration that cannot start, keeps (or restores) the running one.
void Reload(const Args& args, const std::vector<std::string>& logs, const Clock& clock,
            Running* running, LoopControl* loop) {
  auto next = Configure(args, logs);
  int offset = 0;
  if (next.ok() && !ParseTz(next->logs.timezone, clock, &offset))
    next = Status::InvalidArgument("timezone must be UTC, local, +HH:MM or -HH:MM");
  if (!next.ok()) {
    std::fprintf(stderr, "mailtrail: reload refused, keeping the running configuration: %s\n",
                 EscapeForLog(next.status().message(), 300).c_str());
    return;
  }
  if (Status st = running->agent->Stop(); !st.ok())
    std::fprintf(stderr, "mailtrail: stopping for the reload: %s\n",
                 EscapeForLog(st.message(), 300).c_str());
  const Config previous = running->config;
  running->agent.reset();
  running->queue.reset();
  running->store.reset();
  Running fresh;
  Status st = StartRunning(*next, clock, &fresh);
  if (!st.ok()) {
    std::fprintf(stderr, "mailtrail: reload failed (%s); back to the previous configuration\n",
                 EscapeForLog(st.message(), 300).c_str());
    if (Status back = StartRunning(previous, clock, &fresh); !back.ok()) {
      std::fprintf(stderr, "mailtrail: cannot restart either: %s\n",
                   EscapeForLog(back.message(), 300).c_str());
      std::exit(kExitFailure);  // systemd restarts the service
    }
  } else {
    // The enforcement backends and the policy service are built once, at
    // start: their sections wait for a restart (and say so).
    std::string later;
    for (const std::string& section : SectionsWaitingForRestart(previous, *next))
      later += " " + section;
    std::fprintf(stderr, "mailtrail: configuration reloaded: %zu log(s) into %s%s%s\n",
                 next->logs.paths.size(), EscapeForLog(next->store.url).c_str(),
                 later.empty() ? "" : "; at the next restart:", later.c_str());
  }
  *running = std::move(fresh);
  loop->SwapAgent(running->agent.get(), WatchDirs(running->config.logs.paths));
  if (running->config.logs.poll_interval != previous.logs.poll_interval)
    loop->SetPollInterval(running->config.logs.poll_interval);
}

}  // namespace

const VerbSpec kRunVerb = {
    "run",
    "follow the mail log live, through rotations and restarts (the systemd service)",
    "[options]",
    {
        {"config", true, "configuration file (TOML; mailtrail.toml(5))", "FILE"},
        {"store", true, "where records go (overrides [store] url)", "URL"},
        {"log", true, "a log to follow; repeat for several (overrides [logs] paths)", "FILE"},
        ChoiceFlag("detail", "how much of each message to keep (overrides [store] detail)",
                   {"minimal", "standard", "full"}),
        {"from-start", false, "first start without a checkpoint: read the logs from their start"},
        DurationFlag("flush-interval",
                     "time between commits at most (default 1000 ms; a bare number is ms)", 1000,
                     3600 * kUsPerSecond, DurationUnit::kMilliseconds),
        DurationFlag("poll-interval",
                     "time between re-checks of the logs (default 1000 ms; a bare number is ms)",
                     1000, 3600 * kUsPerSecond, DurationUnit::kMilliseconds),
        kTzFlag,
        {"metrics", true, "serve Prometheus metrics on this loopback HOST:PORT (default off)",
         "HOST:PORT"},
        {"password-file", true, "MySQL: the password's file (overrides [store] password_file)",
         "FILE"},
        {"spool", true, "MySQL: the outage spool file, \"\" for none (overrides [store] spool)",
         "FILE"},
        {"agent", true, "MySQL: this agent's name in the database (overrides [agent] name)",
         "NAME"},
        {"host", true,
         "the records' host, instead of the log's host field (overrides [agent] host)", "NAME"},
        {"allow", true, "never block this IP or CIDR; repeat (overrides [blocks] allow)", "CIDR"},
        {"policy-socket", true, "serve the Postfix policy service here (overrides [policy] socket)",
         "FILE"},
        {"access-map", true, "write blocked clients to this access table ([enforce] access_map)",
         "FILE"},
        {"header-checks", true,
         "write blocked subjects to this pcre table ([enforce] header_checks)", "FILE"},
        {"postfix-config-dir", true, "Postfix's configuration directory (default /etc/postfix)",
         "DIR"},
        kHelpFlag,
    },
    0,
    0,
    {},
    "Records and a checkpoint are committed together, so a restart (even kill -9) resumes "
    "exactly. SIGHUP reloads the configuration file; a bad one keeps the running configuration. "
    "Exit status 65: the store or its checkpoint is damaged (restarting will not mend it); 78: "
    "the configuration is wrong.",
};

const VerbSpec kCheckConfigVerb = {
    "check-config",
    "check a configuration file (exit 78 when it is wrong)",
    "[--print] [FILE]",
    {
        {"print", false, "print every key's value in force (defaults included) as TOML"},
        kHelpFlag,
    },
    0,
    1,
    {},
    "FILE defaults to /etc/mailtrail/mailtrail.toml. Every key and its default: "
    "mailtrail.toml(5).",
};

int CheckConfigMain(const std::vector<std::string>& argv, const Clock& clock) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kCheckConfigVerb, argv, &parsed)) return *exit;
  const std::vector<std::string>& pos = parsed.operands;
  const std::string path = pos.empty() ? kDefaultConfigPath : pos[0];
  auto c = LoadConfig(path);
  int offset = 0;
  if (c.ok() && !ParseTz(c->logs.timezone, clock, &offset))
    c = Status::InvalidArgument(path + ": [logs] timezone must be UTC, local, +HH:MM or -HH:MM");
  if (!c.ok()) {
    std::fprintf(stderr, "mailtrail: %s\n", EscapeForLog(c.status().message(), 500).c_str());
    return kExitConfig;
  }
  if (parsed.args.Has("print")) {
    std::fputs(ConfigToml(*c).c_str(), stdout);
    return kExitOk;
  }
  std::printf("%s: ok (%zu log(s) into %s)\n", path.c_str(), c->logs.paths.size(),
              c->store.url.c_str());
  return kExitOk;
}

int RunMain(const std::vector<std::string>& argv, const Clock& clock) {
  HoldSignalsUntilTheLoop();  // first: a SIGHUP during the start must not kill it
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kRunVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  const std::vector<std::string> logs = args->GetAll("log");
  for (const auto& a : args->GetAll("allow"))
    if (!Cidr::Parse(a)) return UsageError(kRunVerb, "--allow needs an IP or CIDR: " + a);
  auto config = Configure(*args, logs);
  if (config.ok() && !config->metrics.listen.empty()) {
    std::string host;
    int port;
    if (Status st = ParseLoopbackListen(config->metrics.listen, &host, &port); !st.ok())
      config = st;
  }
  int offset = 0;
  if (config.ok() && !ParseTz(config->logs.timezone, clock, &offset))
    config = Status::InvalidArgument("timezone must be UTC, local, +HH:MM or -HH:MM");
  if (!config.ok()) {
    std::fprintf(stderr, "mailtrail: %s\n", EscapeForLog(config.status().message(), 500).c_str());
    return kExitConfig;
  }
  Running running;
  if (Status st = StartRunning(*config, clock, &running, /*wait_for_store=*/true); !st.ok())
    return FailWith(st);
  if (!running.agent) return kExitOk;  // SIGTERM while it waited for the store
  RunLoopOptions loop;
  loop.poll_interval = config->logs.poll_interval;
  loop.watch_dirs = WatchDirs(config->logs.paths);
  MetricsServer metrics;
  std::string metrics_listen = config->metrics.listen;  // where it listens now
  if (!metrics_listen.empty()) {
    if (Status ms = metrics.Start(metrics_listen); !ms.ok()) return Fail(ms.message());
    metrics.Publish(running.agent->RenderMetrics());
  }
  if (args->Has("config")) {
    loop.on_reload = [&](LoopControl* control) {
      Reload(*args, logs, clock, &running, control);
      // A new [metrics] listen: the server moves (or stops); if the new
      // address cannot be had, the old one is kept and that is said.
      const std::string want = running.config.metrics.listen;
      if (want == metrics_listen) return;
      metrics.Stop();
      if (want.empty()) {
        metrics_listen.clear();
        return;
      }
      if (Status ms = metrics.Start(want); ms.ok()) {
        metrics_listen = want;
        metrics.Publish(running.agent->RenderMetrics());
      } else {
        std::fprintf(stderr, "mailtrail: metrics not moved to %s (%s); still on %s\n",
                     EscapeForLog(want).c_str(), EscapeForLog(ms.message()).c_str(),
                     metrics_listen.empty() ? "nothing" : metrics_listen.c_str());
        if (!metrics_listen.empty() && !metrics.Start(metrics_listen).ok()) metrics_listen.clear();
      }
    };
  }
  // The policy service mirrors the live blocks (checked every tick).
  std::unique_ptr<PolicyServer> policy;
  uint64_t policy_version = ~uint64_t{0};
  if (!config->policy.socket.empty() || !config->policy.listen.empty()) {
    PolicyServer::Options po;
    po.socket_path = config->policy.socket;
    po.tcp_listen = config->policy.listen;
    po.reply = config->policy.reply;
    po.socket_mode = config->policy.socket_mode;
    po.socket_group = config->policy.socket_group;
    po.socket_group_required = config->policy.socket_group_required;
    po.idle_timeout_ms = static_cast<int>(config->policy.idle_timeout / 1000);
    po.max_connections = static_cast<size_t>(config->policy.max_connections);
    po.max_connections_per_peer = static_cast<size_t>(config->policy.max_connections_per_peer);
    auto started = PolicyServer::Start(po);
    if (!started.ok()) return Fail(started.status().message());
    policy = std::move(*started);
    if (!policy->notice().empty())
      std::fprintf(stderr, "mailtrail: %s\n", EscapeForLog(policy->notice(), 300).c_str());
  }
  // Postfix tables and firewalls, kept matching the live blocks and
  // rechecked every 30 s (agent/cli/enforcement.h).
  Enforcement enforcement(*config);
  DesiredBlocks desired;  // the live blocks as the backends get them, rebuilt on change
  auto tick = [&] {
    if (!metrics_listen.empty()) metrics.Publish(running.agent->RenderMetrics());
    const BlockManager* blocks = running.agent->blocks();
    if (!blocks) return;
    if (blocks->version() != policy_version) {
      policy_version = blocks->version();
      const std::vector<Block> active = blocks->Active();
      if (policy) policy->SetTable(PolicyTableOf(active));
      desired = DesiredOf(active, clock.WallNow());
    }
    // Every tick, not only on changes: a failed or debounced update is retried
    // (the reconciler skips the backends that already match).
    if (enforcement.any()) {
      desired.wall_now = clock.WallNow();  // for the firewall's remaining times
      enforcement.Sync(desired, clock.MonotonicNow());
    }
  };
  tick();
  loop.on_tick = tick;
  std::fprintf(stderr, "mailtrail: following %zu log(s) into %s\n", config->logs.paths.size(),
               EscapeForLog(config->store.url).c_str());
  Status st = RunAgentLoop(running.agent.get(), loop);
  enforcement.RemoveOnStop();
  std::fprintf(stderr,
               "mailtrail: stopped after %lld lines (%lld unknown), %lld records written, "
               "%zu messages open\n",
               static_cast<long long>(running.agent->lines_read()),
               static_cast<long long>(running.agent->unknown_lines()),
               static_cast<long long>(running.agent->records_written()),
               running.agent->open_records());
  if (!st.ok()) {
    return FailWith(DamagedStoreSaysTheWayOut(st));  // found damaged while running
  }
  return kExitOk;
}

}  // namespace mailtrail::cli
