// `mailtrail run --log PATH... [--store URL]`: the live agent. Follows the logs
// through rotations, writes records with a checkpoint in every transaction, and
// resumes exactly where it stopped (also after SIGKILL). Here: the command
// line and the configuration file into a Config, the loop, signals, metrics;
// the store, queue reader and agent are the Supervisor's (agent/run/supervisor.h),
// the policy service and the backends LiveEnforcement's (agent/run/enforcement.h).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include <systemd/sd-daemon.h>

#include "agent/blocks/allowlist.h"
#include "agent/cli/args.h"
#include "agent/cli/live_console.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/config/config.h"
#include "agent/config/config_keys.h"
#include "agent/journal/journal_reader.h"
#include "agent/journal/journal_writers.h"
#include "agent/metrics/metrics_server.h"
#include "agent/run/agent.h"
#include "agent/run/enforcement.h"
#include "agent/run/firewall_lock.h"
#include "agent/run/start_notes.h"
#include "agent/run/supervisor.h"
#include "agent/store/store.h"
#include "agent/uv/run_loop.h"
#include "base/cidr.h"
#include "base/file_system.h"
#include "base/log.h"
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
  if (args.Has("journal")) c.input.journal = true;
  if (auto v = args.Get("journal-directory")) {
    c.input.journal = true;
    c.input.journal_directory = AbsoluteLogPath(*v);
  }
  if (args.Has("journal-match")) c.input.journal_matches = args.GetAll("journal-match");
  for (const auto& m : c.input.journal_matches)
    if (!ValidJournalMatch(m))
      return Status::InvalidArgument("--journal-match must be FIELD=VALUE or FIELD=PREFIX*: " + m);
  if (args.Has("journal-writer")) c.input.journal_writers = args.GetAll("journal-writer");
  for (const auto& w : c.input.journal_writers)
    if (!ValidJournalWriter(w))
      return Status::InvalidArgument("--journal-writer must be a user name, a user id or *: " + w);
  // Said, not ignored: an admin who adds --journal-writer meant the journal
  // (helper-96: `run --journal-writer` without it was accepted silently).
  if (!c.input.journal && (args.Has("journal-writer") || args.Has("journal-match")))
    return Status::InvalidArgument(
        "--journal-match and --journal-writer are for the journal: add --journal (or "
        "--journal-directory DIR, or [input] journal = true)");
  // The journal and no log named: the journal only (no /var/log/mail.log default).
  if (c.input.journal && logs.empty() && !c.logs.paths_given) c.logs.paths.clear();
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

// The directories whose changes wake the agent: of the logs, and of the journal
// files (a directory's watch sees its files written; the poll interval is the
// fallback).
std::vector<std::string> WatchDirs(const Config& c) {
  std::set<std::string> dirs;
  for (const auto& l : c.logs.paths) {
    const size_t slash = l.rfind('/');
    dirs.insert(slash == std::string::npos ? "." : (slash == 0 ? "/" : l.substr(0, slash)));
  }
  if (c.input.journal && !c.input.journal_directory.empty()) dirs.insert(c.input.journal_directory);
  if (c.input.journal && c.input.journal_directory.empty()) {
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

// SIGHUP: the configuration read and checked again, with its timezone's
// offset; a bad one is said and nothing changes (nullopt).
struct NextConfig {
  Config config;
  int offset = 0;
};
std::optional<NextConfig> ReadForReload(const Args& args, const std::vector<std::string>& logs,
                                        const Clock& clock, bool reload_under_way) {
  auto next = Configure(args, logs);
  int offset = 0;
  if (next.ok() && !ParseTz(next->logs.timezone, clock, &offset))
    next = Status::InvalidArgument("timezone must be UTC, local, +HH:MM or -HH:MM");
  if (!next.ok()) {
    StderrLog().Warn(std::string(reload_under_way
                                     ? "reload refused; the reload under way starts the "
                                       "configuration read before: "
                                     : "reload refused, keeping the running configuration: ") +
                     EscapeForLog(next.status().message(), 300));
    return std::nullopt;
  }
  return NextConfig{std::move(*next), offset};
}

// Once the running agent has stopped (its records and checkpoint committed),
// the supervisor starts one with `next`, which resumes from that checkpoint.
// A new configuration that cannot start restores the running one; if neither
// starts, the process exits (systemd restarts it).
void Reload(const NextConfig& next, Supervisor* supervisor, LoopControl* loop) {
  const TimeUs poll_before = supervisor->config().logs.poll_interval;
  const Supervisor::ReloadResult r = supervisor->Reload(next.config, next.offset);
  switch (r.outcome) {
    case Supervisor::Reloaded::kStopped:
      StderrLog().Error("reload failed and cannot restart either: " +
                        EscapeForLog(r.why.message(), 500));
      std::exit(kExitFailure);  // systemd restarts the service
    case Supervisor::Reloaded::kRestored:
      StderrLog().Warn("reload failed (" + EscapeForLog(r.why.message(), 300) +
                       "); back to the previous configuration");
      break;
    case Supervisor::Reloaded::kApplied: {
      std::string later;
      for (const std::string& section : r.restart) later += " " + section;
      const Config& c = next.config;
      StderrLog().Info("configuration reloaded: " + std::to_string(c.logs.paths.size()) +
                       " log(s)" + (c.input.journal ? " and the journal" : "") + " into " +
                       EscapeForLog(c.store.url) + (later.empty() ? "" : "; at the next restart:") +
                       later);
      break;
    }
  }
  loop->SwapAgent(supervisor->agent(), WatchDirs(supervisor->config()));
  if (supervisor->config().logs.poll_interval != poll_before)
    loop->SetPollInterval(supervisor->config().logs.poll_interval);
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
        {"journal", false, "read Postfix's messages from the systemd journal ([input] journal)"},
        {"journal-match", true,
         "which journal entries: FIELD=VALUE or FIELD=PREFIX*; repeat (default: "
         "SYSLOG_IDENTIFIER postfix* or the mail facility)",
         "RULE"},
        {"journal-directory", true, "the journal files of this directory, not the system journal",
         "DIR"},
        kJournalWriterFlag,
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
  const std::vector<StartNote> notes = StartNotes(*c, OwnAddresses());
  if (!notes.empty() && notes.front().level == NoteLevel::kFatal) {
    std::fprintf(stderr, "mailtrail: %s: %s\n", path.c_str(), notes.front().text.c_str());
    return kExitFailure;  // not 78: see StartNotes
  }
  std::printf("%s: ok (%zu log(s)%s into %s)\n", path.c_str(), c->logs.paths.size(),
              c->input.journal ? " and the journal" : "", c->store.url.c_str());
  for (const StartNote& n : notes)
    std::fprintf(stderr, "mailtrail: %s%s\n",
                 n.level == NoteLevel::kInfo ? "" : "warning: ", n.text.c_str());
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
  SupervisorHooks hooks;
  hooks.wait_for_store = [&clock](TimeUs t) { return WaitUnlessStopped(clock, t); };
  hooks.log = &StderrLog();  // the daemon's diagnostics: one logger (docs/style.md "Logging")
  hooks.status = [](const std::string& what) { sd_notify(0, ("READY=1\nSTATUS=" + what).c_str()); };
  Supervisor supervisor(RealFileSystem(), &clock, hooks);
  if (Status st = supervisor.Start(*config, offset, /*wait_for_store=*/true); !st.ok())
    return FailWith(st);
  if (!supervisor.agent()) return kExitOk;  // SIGTERM while it waited for the store
  RunLoopOptions loop;
  loop.poll_interval = config->logs.poll_interval;
  loop.watch_dirs = WatchDirs(*config);
  MetricsServer metrics;
  std::string metrics_listen = config->metrics.listen;  // where it listens now
  if (!metrics_listen.empty()) {
    if (Status ms = metrics.Start(metrics_listen); !ms.ok()) return FailWith(ms);
    metrics.Publish(supervisor.agent()->RenderMetrics());
  }
  // A reload validates the file at once (a bad one is said now), then stops
  // the running agent as steps of the loop, and starts the next once it has
  // (LoopControl::StopAgentThen). A SIGHUP while that waits for the store
  // replaces the configuration it will start.
  std::optional<NextConfig> reload_next;
  auto move_metrics = [&] {
    // A new [metrics] listen: the server moves (or stops); if the new
    // address cannot be had, the old one is kept and that is said.
    const std::string want = supervisor.config().metrics.listen;
    if (want == metrics_listen) return;
    metrics.Stop();
    if (want.empty()) {
      metrics_listen.clear();
      return;
    }
    if (Status ms = metrics.Start(want); ms.ok()) {
      metrics_listen = want;
      metrics.Publish(supervisor.agent()->RenderMetrics());
    } else {
      StderrLog().Warn("metrics not moved to " + EscapeForLog(want) + " (" +
                       EscapeForLog(ms.message()) + "); still on " +
                       (metrics_listen.empty() ? "nothing" : metrics_listen));
      if (!metrics_listen.empty() && !metrics.Start(metrics_listen).ok()) metrics_listen.clear();
    }
  };
  if (args->Has("config")) {
    loop.on_reload = [&](LoopControl* control) {
      std::optional<NextConfig> next =
          ReadForReload(*args, logs, clock, /*reload_under_way=*/reload_next.has_value());
      if (!next) return;
      if (reload_next) {
        StderrLog().Info("reload under way: it starts the configuration as read now");
        reload_next = std::move(next);
        return;
      }
      reload_next = std::move(next);
      control->StopAgentThen([&, control] {
        const NextConfig now = std::move(*reload_next);
        reload_next.reset();
        Reload(now, &supervisor, control);
        move_metrics();
      });
    };
  }
  // The policy service, Postfix tables and firewalls, kept matching the live
  // blocks (agent/run/enforcement.h); built once, at start. Not inside a
  // network namespace of its own, where a firewall blocks nothing.
  const std::vector<StartNote> notes = StartNotes(*config, OwnAddresses());
  if (!notes.empty() && notes.front().level == NoteLevel::kFatal) {
    std::fprintf(stderr, "mailtrail: %s\n", notes.front().text.c_str());
    return kExitFailure;  // not 78: see StartNotes
  }
  for (const StartNote& n : notes) {
    if (n.level == NoteLevel::kWarning) {
      StderrLog().Warn(n.text);
    } else {
      StderrLog().Info(n.text);
    }
  }
  // One agent per network namespace writes its firewall (firewall_lock.h):
  // held until this process ends, reloads included.
  std::optional<FirewallLock> firewall_lock;
  if (config->detect.enabled && (config->enforce.nftables || config->enforce.iptables)) {
    auto lock = FirewallLock::Take();
    if (!lock.ok()) return FailWith(lock.status());
    if (!lock->warning().empty()) StderrLog().Warn(lock->warning());
    firewall_lock.emplace(std::move(*lock));
  }
  auto enforcement = LiveEnforcement::Start(*config);
  if (!enforcement.ok()) return FailWith(enforcement.status());
  if (!(*enforcement)->notice().empty())
    StderrLog().Info(EscapeForLog((*enforcement)->notice(), 300));
  // The web console ([web] listen), on a read-only connection of its own.
  std::unique_ptr<LiveConsole> console;
  if (!config->web.listen.empty()) {
    auto c = StartLiveConsole(*config, clock);
    if (!c.ok()) return FailWith(c.status());
    console = std::move(*c);
    StderrLog().Info("web console on " + console->url());
    for (const std::string& w : console->warnings()) StderrLog().Warn(EscapeForLog(w, 300));
  }
  auto tick = [&] {
    if (!metrics_listen.empty()) metrics.Publish(supervisor.agent()->RenderMetrics());
    (*enforcement)->Tick(supervisor.agent()->blocks(), clock.WallNow(), clock.MonotonicNow());
  };
  tick();
  loop.on_tick = tick;
  StderrLog().Info("following " + std::to_string(config->logs.paths.size()) + " log(s)" +
                   (supervisor.agent()->journal() ? " and the journal" : "") + " into " +
                   EscapeForLog(config->store.url));
  const LoopEnd end = RunAgentLoop(supervisor.agent(), loop);
  (*enforcement)->Stop();
  const Agent* agent = supervisor.agent();
  const std::string counts = std::to_string(agent->lines_read()) + " lines (" +
                             std::to_string(agent->unknown_lines()) + " unknown), " +
                             std::to_string(agent->records_written()) + " records written, " +
                             std::to_string(agent->open_records()) + " messages open";
  if (end.cut_short) {
    // The writer's thread still waits on the store: the process ends without
    // destroying the agent (which would join it). Uncommitted is uncommitted:
    // the store rolls it back, the checkpoint resumes before it.
    StderrLog().Info("stopped after " + counts + " (the last batch not written)");
    std::fflush(nullptr);
    std::_Exit(kExitOk);
  }
  const Status stop = supervisor.agent()->Stop();  // stopped by the loop: its outcome
  const Status st = end.error.ok() ? stop : end.error;
  StderrLog().Info("stopped after " + counts);
  if (!st.ok()) return FailWith(DamagedStoreSaysTheWayOut(st));  // found damaged while running
  return kExitOk;
}

}  // namespace mailtrail::cli
