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
#include "agent/cli/verbs.h"
#include "agent/config/config.h"
#include "agent/metrics/metrics_server.h"
#include "agent/run/agent.h"
#include "agent/store/store.h"
#include "agent/uv/run_loop.h"
#include "base/cidr.h"
#include "base/file_system.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {

const std::vector<FlagSpec> kFlags = {
    {"config", true, "configuration file (TOML; see examples/mailtrail.toml)"},
    {"store", true, "where records go (overrides [store] url)"},
    {"log", true, "a log to follow; repeat for several (overrides [logs] paths)"},
    {"detail", true, "minimal | standard | full (overrides [store] detail)"},
    {"journal", false, "read Postfix's messages from the systemd journal ([input] journal)"},
    {"journal-match", true,
     "FIELD=VALUE or FIELD=PREFIX*: which journal entries; repeat (default: SYSLOG_IDENTIFIER "
     "postfix* or the mail facility)"},
    {"journal-directory", true, "the journal files of this directory, not the system journal"},
    {"from-start", false, "first start without a checkpoint: read the logs from their start"},
    {"flush-interval", true, "milliseconds between commits at most (default 1000)"},
    {"poll-interval", true, "milliseconds between re-checks of the logs (default 1000)"},
    {"tz", true, "time zone of yearless timestamps: UTC (default), +HH:MM, -HH:MM, local"},
    {"metrics", true, "serve Prometheus metrics on this loopback HOST:PORT (default off)"},
    {"password-file", true, "MySQL: the password's file (overrides [store] password_file)"},
    {"spool", true, "MySQL: the outage spool file, \"\" for none (overrides [store] spool)"},
    {"agent", true, "MySQL: this agent's name in the database (overrides [agent] name)"},
    {"host", true, "the records' host, instead of the log's host field (overrides [agent] host)"},
    {"allow", true, "never block this IP or CIDR; repeat (overrides [blocks] allow)"},
    {"policy-socket", true, "serve the Postfix policy service here (overrides [policy] socket)"},
    {"access-map", true, "write blocked clients to this access table ([enforce] access_map)"},
    {"header-checks", true, "write blocked subjects to this pcre table ([enforce] header_checks)"},
    {"postfix-config-dir", true, "Postfix's configuration directory (default /etc/postfix)"},
    {"help", false, "this help"},
};

bool Millis(const std::optional<std::string>& v, TimeUs* out) {
  if (!v) return true;
  char* end = nullptr;
  const long ms = std::strtol(v->c_str(), &end, 10);
  if (*end != '\0' || ms < 1 || ms > 3600000) return false;
  *out = static_cast<TimeUs>(ms) * 1000;
  return true;
}

// The configuration file, then the command line's overrides.
StatusOr<Config> Configure(const Args& args, const std::vector<std::string>& logs,
                           const std::vector<std::string>& journal_matches) {
  Config c;
  if (auto path = args.Get("config")) {
    auto loaded = LoadConfig(*path);
    if (!loaded.ok()) return loaded.status();
    c = *loaded;
  }
  if (!logs.empty()) c.log_paths = logs;
  if (args.Has("journal")) c.journal = true;
  if (auto v = args.Get("journal-directory")) {
    c.journal = true;
    c.journal_directory = AbsoluteLogPath(*v);
  }
  if (!journal_matches.empty()) c.journal_matches = journal_matches;
  for (const auto& m : c.journal_matches)
    if (!ValidJournalMatch(m))
      return Status::InvalidArgument("--journal-match must be FIELD=VALUE or FIELD=PREFIX*: " + m);
  // The journal and no log named: the journal only (no /var/log/mail.log default).
  if (c.journal && logs.empty() && !c.log_paths_given) c.log_paths.clear();
  if (auto v = args.Get("store")) c.store_url = *v;
  if (auto v = args.Get("detail")) {
    auto d = DetailFromName(*v);
    if (!d) return Status::InvalidArgument("--detail must be minimal, standard or full");
    c.detail = *d;
  }
  if (args.Has("from-start")) c.from_start = true;
  if (auto v = args.Get("tz")) c.timezone = *v;
  if (auto v = args.Get("metrics")) c.metrics_listen = *v;
  if (auto v = args.Get("password-file")) c.password_file = *v;
  if (auto v = args.Get("spool")) c.spool_path = *v;
  if (auto v = args.Get("agent")) c.agent_name = *v;
  if (auto v = args.Get("host")) c.host = *v;
  if (auto v = args.Get("policy-socket")) c.policy_socket = *v;
  if (auto v = args.Get("access-map")) c.access_map = *v;
  if (auto v = args.Get("header-checks")) c.header_checks = *v;
  if (auto v = args.Get("postfix-config-dir")) c.postfix_config_dir = *v;
  if (args.Has("allow")) {
    c.allow = args.GetAll("allow");
    for (const auto& a : c.allow)
      if (!Cidr::Parse(a)) return Status::InvalidArgument("--allow needs an IP or CIDR: " + a);
  }
  // The checkpoint keys each log by its absolute path: the same file named
  // two ways is one log (issue 18: "mail.log" and "/var/log/mail.log" read it
  // twice), and named twice it would be read twice.
  std::set<std::string> seen;
  for (auto& path : c.log_paths) {
    path = AbsoluteLogPath(path);
    if (!seen.insert(path).second)
      return Status::InvalidArgument("the log " + path + " is named twice");
  }
  if (!Millis(args.Get("flush-interval"), &c.flush_interval) ||
      !Millis(args.Get("poll-interval"), &c.poll_interval))
    return Status::InvalidArgument("intervals are milliseconds, 1 to 3600000");
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
  o.logs = c.log_paths;
  if (c.journal) {
    JournalSource js;
    if (!c.journal_directory.empty()) js.directories = {c.journal_directory};
    js.matches = c.journal_matches;
    o.journal = js;
  }
  o.from_start = c.from_start;
  o.flush_interval = c.flush_interval;
  o.batch_records = c.batch_records;
  o.writer_queue = c.queue_batches;
  o.checkpoint_bytes_per_second = c.checkpoint_kib_per_s * 1024;
  o.tracker.grace = c.grace;
  o.tracker.stale_after = c.stale_after;
  o.tracker.max_open = c.max_open;
  o.tracker.keep_events = c.detail == Detail::kFull;
  o.tracker.host = c.host;
  o.detect = c.detect;
  o.detector.subject_bounces = static_cast<int>(c.subject_bounces);
  o.detector.subject_min_ips = static_cast<int>(c.subject_min_ips);
  o.detector.subject_source_bounces = static_cast<int>(c.subject_source_bounces);
  o.detector.answers.enabled = c.answers;
  o.detector.answers.window = c.answer_window;
  o.detector.subject_window = c.subject_window;
  o.detector.ip_bounces = static_cast<int>(c.ip_bounces);
  o.detector.ip_window = c.ip_window;
  o.detector.block_period = c.block_period;
  o.detector.rules = c.rules;
  o.fleet = c.detect && c.fleet;
  o.fleet_interval = c.fleet_interval;
  o.fleet_agent = c.agent_name;
  o.blocks.period = c.block_period;
  o.blocks.max_period = c.block_max_period;
  o.blocks.max_active = static_cast<size_t>(c.max_active_blocks);
  o.blocks.max_new_per_minute = static_cast<int>(c.max_new_blocks_per_minute);
  o.blocks.live = !c.dry_run;
  AllowlistOf(c, /*local=*/c.detect, &o.blocks);
  // The store is read this often for blocks others added or ended: a removal
  // reaches the enforcement within 5 s (a read, its answer, then a tick).
  o.block_refresh = 2 * kUsPerSecond;
  return o;
}

// The directories whose changes wake the agent: of the logs, and of the journal
// files (a directory's watch sees its files written; the poll interval is the
// fallback).
std::vector<std::string> WatchDirs(const Config& c) {
  std::set<std::string> dirs;
  for (const auto& l : c.log_paths) {
    const size_t slash = l.rfind('/');
    dirs.insert(slash == std::string::npos ? "." : (slash == 0 ? "/" : l.substr(0, slash)));
  }
  if (c.journal && !c.journal_directory.empty()) dirs.insert(c.journal_directory);
  if (c.journal && c.journal_directory.empty()) {
    // journald writes /var/log/journal/MACHINE-ID (or /run/log/journal/... when
    // it does not keep the journal on disk).
    std::string id;
    if (FILE* f = std::fopen("/etc/machine-id", "r")) {
      char buf[64] = {};
      if (std::fgets(buf, sizeof buf, f)) id = buf;
      std::fclose(f);
    }
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    for (const char* base : {"/var/log/journal/", "/run/log/journal/"})
      if (!id.empty() && RealFileSystem()->Stat(base + id).ok()) dirs.insert(base + id);
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
  if (!ParseTz(c.timezone, clock, &options.utc_offset_seconds))
    return Status::InvalidArgument("timezone must be UTC, local, +HH:MM or -HH:MM");
  auto store = OpenStore(c.store_url, ToStoreOptions(c));
  if (!store.ok()) return DamagedStoreSaysTheWayOut(store.status());
  std::unique_ptr<QueueReader> queue;
  if (c.queue_read != "off") {
    QueueWatcherOptions qo;
    qo.queue_dir = c.queue_dir;
    qo.read_files = c.queue_read == "files";
    qo.postfix_config_dir = c.postfix_config_dir;
    qo.scan_interval = c.queue_scan_interval;
    qo.bounce_alert = c.queue_bounce_alert;
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
void Reload(const Args& args, const std::vector<std::string>& logs,
            const std::vector<std::string>& journal_matches, const Clock& clock, Running* running,
            LoopControl* loop) {
  auto next = Configure(args, logs, journal_matches);
  int offset = 0;
  if (next.ok() && !ParseTz(next->timezone, clock, &offset))
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
    if (next->policy_socket != previous.policy_socket ||
        next->policy_listen != previous.policy_listen ||
        next->policy_reply != previous.policy_reply ||
        next->policy_socket_mode != previous.policy_socket_mode ||
        next->policy_socket_group != previous.policy_socket_group ||
        next->policy_idle_timeout != previous.policy_idle_timeout ||
        next->policy_max_connections != previous.policy_max_connections ||
        next->policy_max_connections_per_peer != previous.policy_max_connections_per_peer)
      later += " [policy]";
    if (next->access_map != previous.access_map ||
        next->access_map_type != previous.access_map_type ||
        next->header_checks != previous.header_checks ||
        next->reload_interval != previous.reload_interval ||
        next->postfix_reload != previous.postfix_reload ||
        next->enforce_dry_run != previous.enforce_dry_run || next->nftables != previous.nftables ||
        next->iptables != previous.iptables || next->firewall_ports != previous.firewall_ports ||
        next->nftables_remove_on_stop != previous.nftables_remove_on_stop ||
        next->iptables_remove_on_stop != previous.iptables_remove_on_stop)
      later += " [enforce]";
    std::fprintf(stderr, "mailtrail: configuration reloaded: %zu log(s)%s into %s%s%s\n",
                 next->log_paths.size(), next->journal ? " and the journal" : "",
                 EscapeForLog(next->store_url).c_str(),
                 later.empty() ? "" : "; at the next restart:", later.c_str());
  }
  *running = std::move(fresh);
  loop->SwapAgent(running->agent.get(), WatchDirs(running->config));
  if (running->config.poll_interval != previous.poll_interval)
    loop->SetPollInterval(running->config.poll_interval);
}

}  // namespace

int CheckConfigMain(const std::vector<std::string>& argv, const Clock& clock) {
  if (argv.size() == 1 && (argv[0] == "--help" || argv[0] == "-h")) {
    std::printf("usage: mailtrail check-config [FILE]   (default %s)\n", kDefaultConfigPath);
    return kExitOk;
  }
  if (argv.size() > 1 || (argv.size() == 1 && argv[0].rfind("--", 0) == 0)) {
    std::fprintf(stderr, "usage: mailtrail check-config [FILE]   (default %s)\n",
                 kDefaultConfigPath);
    return kExitUsage;
  }
  const std::string path = argv.empty() ? kDefaultConfigPath : argv[0];
  auto c = LoadConfig(path);
  int offset = 0;
  if (c.ok() && !ParseTz(c->timezone, clock, &offset))
    c = Status::InvalidArgument(path + ": [logs] timezone must be UTC, local, +HH:MM or -HH:MM");
  if (!c.ok()) {
    std::fprintf(stderr, "mailtrail: %s\n", EscapeForLog(c.status().message(), 500).c_str());
    return kExitConfig;
  }
  std::printf("%s: ok (%zu log(s)%s into %s)\n", path.c_str(), c->log_paths.size(),
              c->journal ? " and the journal" : "", c->store_url.c_str());
  return kExitOk;
}

int RunMain(const std::vector<std::string>& argv, const Clock& clock) {
  HoldSignalsUntilTheLoop();  // first: a SIGHUP during the start must not kill it
  // --log repeats: collect them before the generic parser keeps only the last.
  std::vector<std::string> logs, journal_matches, rest;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--log" && i + 1 < argv.size()) {
      logs.push_back(argv[++i]);
    } else if (argv[i].rfind("--log=", 0) == 0) {
      logs.push_back(argv[i].substr(6));
    } else if (argv[i] == "--journal-match" && i + 1 < argv.size()) {
      journal_matches.push_back(argv[++i]);
    } else if (argv[i].rfind("--journal-match=", 0) == 0) {
      journal_matches.push_back(argv[i].substr(16));
    } else {
      rest.push_back(argv[i]);
    }
  }
  auto args = ParseArgs(rest, kFlags);
  if (!args.ok() || !args->positionals.empty()) {
    std::fprintf(stderr, "mailtrail run: %s\n",
                 args.ok() ? "unexpected argument" : args.status().message().c_str());
    return kExitUsage;
  }
  if (args->Has("help")) {
    std::printf("usage: mailtrail run [options]\n%s", FlagsHelp(kFlags).c_str());
    return kExitOk;
  }
  auto config = Configure(*args, logs, journal_matches);
  if (config.ok() && !config->metrics_listen.empty()) {
    std::string host;
    int port;
    if (Status st = ParseLoopbackListen(config->metrics_listen, &host, &port); !st.ok())
      config = st;
  }
  int offset = 0;
  if (config.ok() && !ParseTz(config->timezone, clock, &offset))
    config = Status::InvalidArgument("timezone must be UTC, local, +HH:MM or -HH:MM");
  if (!config.ok()) {
    std::fprintf(stderr, "mailtrail: %s\n", EscapeForLog(config.status().message(), 500).c_str());
    return kExitConfig;
  }
  Running running;
  if (Status st = StartRunning(*config, clock, &running, /*wait_for_store=*/true); !st.ok()) {
    Fail(st.message());
    return st.code() == Status::Code::kCorruption ? kExitDataErr : kExitFailure;
  }
  if (!running.agent) return kExitOk;  // SIGTERM while it waited for the store
  RunLoopOptions loop;
  loop.poll_interval = config->poll_interval;
  loop.watch_dirs = WatchDirs(*config);
  MetricsServer metrics;
  std::string metrics_listen = config->metrics_listen;  // where it listens now
  if (!metrics_listen.empty()) {
    if (Status ms = metrics.Start(metrics_listen); !ms.ok()) return Fail(ms.message());
    metrics.Publish(running.agent->RenderMetrics());
  }
  if (args->Has("config")) {
    loop.on_reload = [&](LoopControl* control) {
      Reload(*args, logs, journal_matches, clock, &running, control);
      // A new [metrics] listen: the server moves (or stops); if the new
      // address cannot be had, the old one is kept and that is said.
      const std::string want = running.config.metrics_listen;
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
  if (!config->policy_socket.empty() || !config->policy_listen.empty()) {
    PolicyServer::Options po;
    po.socket_path = config->policy_socket;
    po.tcp_listen = config->policy_listen;
    po.reply = config->policy_reply;
    po.socket_mode = config->policy_socket_mode;
    po.socket_group = config->policy_socket_group;
    po.socket_group_required = config->policy_socket_group_required;
    po.idle_timeout_ms = static_cast<int>(config->policy_idle_timeout / 1000);
    po.max_connections = static_cast<size_t>(config->policy_max_connections);
    po.max_connections_per_peer = static_cast<size_t>(config->policy_max_connections_per_peer);
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
  std::fprintf(stderr, "mailtrail: following %zu log(s)%s into %s\n", config->log_paths.size(),
               running.agent->journal() ? " and the journal" : "",
               EscapeForLog(config->store_url).c_str());
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
    const Status why = DamagedStoreSaysTheWayOut(st);  // found damaged while running
    Fail(why.message());
    return why.code() == Status::Code::kCorruption ? kExitDataErr : kExitFailure;
  }
  return kExitOk;
}

}  // namespace mailtrail::cli
