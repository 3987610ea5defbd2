#include "agent/uv/run_loop.h"

#include <systemd/sd-daemon.h>
#include <uv.h>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>

#include "base/text.h"

namespace mailtrail {

namespace {

// Set by HeldSignal before the loop runs (async-signal-safe: a flag only).
volatile sig_atomic_t g_held_stop = 0, g_held_hup = 0;

void HeldSignal(int signum) {
  if (signum == SIGHUP)
    g_held_hup = 1;
  else
    g_held_stop = 1;
}

struct LoopState;
void Watch(LoopState* s, const std::vector<std::string>& dirs, uint64_t every_ms);
void RunSteps(LoopState* s);

struct LoopState : LoopControl {
  Agent* agent = nullptr;
  uint64_t every_ms = 1000;
  uint64_t watchdog_usec = 0;  // systemd's WatchdogSec, 0 when off
  uint64_t last_status_ms = 0;
  int64_t last_lines = 0;
  uv_loop_t loop;
  uv_timer_t tick, again;
  uv_signal_t sigterm, sigint, sighup;
  std::vector<std::unique_ptr<uv_fs_event_t>> watches;
  std::function<void(LoopControl*)> on_reload;
  std::function<void()> on_tick;
  Logger* log = &StderrLog();
  LoopEnd end;
  // The agent is stopping (StepStop), for the loop's end or for a reload
  // (then `after_stop` starts the next one); since when (uv_now), and whether
  // a long wait was said.
  enum class Ending { kNone, kReload, kStop } ending = Ending::kNone;
  std::function<void()> after_stop;
  uint64_t ending_since_ms = 0;
  bool ending_said = false;
  bool stopping = false;  // uv_stop called

  void StopAgentThen(std::function<void()> then) override {
    if (ending != Ending::kNone) return;  // a stop or a reload runs already
    after_stop = std::move(then);
    BeginEnding(Ending::kReload);
  }
  void SwapAgent(Agent* next, const std::vector<std::string>& watch_dirs) override {
    agent = next;
    // Stopped watches stay allocated until the loop closes every handle.
    for (auto& w : watches) uv_fs_event_stop(w.get());
    Watch(this, watch_dirs, every_ms);
  }
  void SetPollInterval(TimeUs every) override {
    every_ms = static_cast<uint64_t>(every / 1000) + 1;
    uv_timer_set_repeat(&tick, every_ms);
  }
  void BeginEnding(Ending why) {
    ending = why;
    ending_since_ms = uv_now(&loop);
    ending_said = false;
    if (why == Ending::kStop) sd_notify(0, "STOPPING=1");
    RunSteps(this);
  }
};

void EndLoop(LoopState* s) {
  if (s->stopping) return;
  s->stopping = true;
  uv_stop(&s->loop);
}

constexpr uint64_t kWaitForStoreMs = 20;
constexpr uint64_t kStopWaitSaidMs = 3000;

void StepAgainSoon(LoopState* s, uint64_t after_ms) {
  uv_timer_start(
      &s->again, [](uv_timer_t* t) { RunSteps(static_cast<LoopState*>(t->data)); }, after_ms, 0);
}

// One step of an agent that is stopping: done, the loop ends or the reload
// starts the next agent; not yet, it is looked at again soon.
void StepEnding(LoopState* s) {
  auto done = s->agent->StepStop();
  if (done.ok() && !*done) {
    if (!s->ending_said && uv_now(&s->loop) - s->ending_since_ms >= kStopWaitSaidMs) {
      s->ending_said = true;
      s->log->Warn(
          s->ending == LoopState::Ending::kStop
              ? "stopping: waiting for the store to take the last batch (its own messages say "
                "why); a second SIGTERM stops at once and loses nothing: the lines since the "
                "last checkpoint are read again at the next start"
              : "reload: waiting for the store to take the running agent's last batch (its own "
                "messages say why); the new configuration starts once it has");
    }
    StepAgainSoon(s, kWaitForStoreMs);
    return;
  }
  if (s->ending == LoopState::Ending::kStop) {
    if (!done.ok() && s->end.error.ok()) s->end.error = done.status();
    EndLoop(s);
    return;
  }
  // A reload: the supervisor says a failed stop (Supervisor::Reload).
  s->ending = LoopState::Ending::kNone;
  std::function<void()> then = std::move(s->after_stop);
  s->after_stop = nullptr;
  then();
  StepAgainSoon(s, 0);
}

// Work until the logs are read or the step budget says "more": then yield to the
// loop (signals, timers) and continue from a zero timer.
void RunSteps(LoopState* s) {
  if (s->stopping) return;
  if (s->ending != LoopState::Ending::kNone) {
    StepEnding(s);
    return;
  }
  for (int i = 0; i < 8; ++i) {
    auto n = s->agent->Step();
    if (!n.ok()) {
      s->end.error = n.status();
      s->BeginEnding(LoopState::Ending::kStop);
      return;
    }
    if (*n == 0) {
      // The store took no batch: look again in a moment, not at the next tick
      // (a catch-up goes at the store's pace).
      if (s->agent->waiting_for_store()) StepAgainSoon(s, kWaitForStoreMs);
      return;
    }
  }
  StepAgainSoon(s, 0);
}

// What the status line adds to the counts: a pause or a stop that waits.
const char* Phase(const LoopState& s) {
  switch (s.ending) {
    case LoopState::Ending::kStop:
      return "; stopping (waiting for the store)";
    case LoopState::Ending::kReload:
      return "; reloading (waiting for the store)";
    case LoopState::Ending::kNone:
      break;
  }
  return s.agent->waiting_for_store() ? "; reading paused (the store takes no batch)" : "";
}

// systemd (Type=notify): a status line and the watchdog keep-alive, from the tick
// timer, so a stuck loop stops feeding the watchdog. No-ops without systemd.
void Notify(LoopState* s) {
  const uint64_t now_ms = uv_now(&s->loop);
  if (now_ms - s->last_status_ms < 1000 && s->last_status_ms != 0) return;
  const double secs = s->last_status_ms ? (now_ms - s->last_status_ms) / 1000.0 : 1.0;
  const int64_t lines = s->agent->lines_read();
  sd_notifyf(0,
             "STATUS=%.0f lines/s, %lld lines, %lld records written, %zu messages open, "
             "lag %.0f s / %lld bytes%s%s",
             (lines - s->last_lines) / secs, static_cast<long long>(lines),
             static_cast<long long>(s->agent->records_written()), s->agent->open_records(),
             s->agent->lag_seconds(), static_cast<long long>(s->agent->backlog_bytes()), Phase(*s),
             s->watchdog_usec ? "\nWATCHDOG=1" : "");
  s->last_status_ms = now_ms;
  s->last_lines = lines;
}

void OnSignal(uv_signal_t* h, int signum) {
  auto* s = static_cast<LoopState*>(h->data);
  if (signum == SIGHUP) {
    if (s->ending == LoopState::Ending::kStop) return;  // stopping: nothing to reload
    if (s->on_reload) {
      s->on_reload(s);
    } else {
      s->log->Warn("SIGHUP: no configuration file to reload");
    }
    return;
  }
  switch (s->ending) {
    case LoopState::Ending::kNone:
      s->BeginEnding(LoopState::Ending::kStop);
      break;
    case LoopState::Ending::kReload:  // the reload's stop runs: it ends the loop instead
      s->log->Info("stop during a reload: the running agent stops, no new one starts");
      s->after_stop = nullptr;
      s->BeginEnding(LoopState::Ending::kStop);  // its wait is said anew, as a stop's
      break;
    case LoopState::Ending::kStop:  // a second one: the store has not taken the last batch
      s->log->Warn(
          "stopped without waiting for the store to take the last batch: nothing is lost, "
          "the lines since the last checkpoint are read again at the next start");
      s->end.cut_short = true;
      EndLoop(s);
      break;
  }
}

}  // namespace

namespace {

// The directory, not the file: a watch on a file follows its inode and would
// miss the new file after a rename rotation (docs/dependencies.md).
void Watch(LoopState* s, const std::vector<std::string>& dirs, uint64_t every_ms) {
  for (const auto& dir : dirs) {
    auto w = std::make_unique<uv_fs_event_t>();
    uv_fs_event_init(&s->loop, w.get());
    w->data = s;
    const int rc = uv_fs_event_start(
        w.get(),
        [](uv_fs_event_t* h, const char*, int, int) { RunSteps(static_cast<LoopState*>(h->data)); },
        dir.c_str(), 0);
    if (rc != 0)
      s->log->Warn("cannot watch " + EscapeForLog(dir) + " (" + uv_strerror(rc) +
                   "); polling every " + std::to_string(every_ms) + " ms");
    s->watches.push_back(std::move(w));
  }
}

}  // namespace

void HoldSignalsUntilTheLoop() {
  struct sigaction sa = {};
  sa.sa_handler = HeldSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
  // A client gone before its answer (the policy service's, libuv's writes)
  // is an error of that write, not the end of the agent: SIGPIPE killed it
  // wherever it was not ignored already (a shell, a container; systemd
  // ignores it for its services; helper-110).
  signal(SIGPIPE, SIG_IGN);
}

bool WaitUnlessStopped(const Clock& clock, TimeUs how_long) {
  constexpr TimeUs kStep = kUsPerSecond / 10;
  for (TimeUs waited = 0; waited < how_long && !g_held_stop; waited += kStep) {
    if (waited % kUsPerSecond == 0) sd_notify(0, "WATCHDOG=1");
    clock.SleepFor(std::min(kStep, how_long - waited));
  }
  return !g_held_stop;
}

LoopEnd RunAgentLoop(Agent* agent, const RunLoopOptions& options) {
  auto s = std::make_unique<LoopState>();
  s->agent = agent;
  s->on_reload = options.on_reload;
  s->on_tick = options.on_tick;
  s->log = options.log;
  if (uv_loop_init(&s->loop) != 0) return {Status::IoError("cannot create the event loop")};
  for (uv_timer_t* t : {&s->tick, &s->again}) {
    uv_timer_init(&s->loop, t);
    t->data = s.get();
  }
  const uint64_t every_ms = static_cast<uint64_t>(options.poll_interval / 1000) + 1;
  if (sd_watchdog_enabled(0, &s->watchdog_usec) <= 0) s->watchdog_usec = 0;
  uv_timer_start(
      &s->tick,
      [](uv_timer_t* t) {
        auto* st = static_cast<LoopState*>(t->data);
        RunSteps(st);
        Notify(st);
        if (st->on_tick) st->on_tick();
      },
      0, every_ms);
  for (auto [sig, h] :
       {std::pair{SIGTERM, &s->sigterm}, {SIGINT, &s->sigint}, {SIGHUP, &s->sighup}}) {
    uv_signal_init(&s->loop, h);
    h->data = s.get();
    uv_signal_start(h, OnSignal, sig);
  }
  s->every_ms = every_ms;
  Watch(s.get(), options.watch_dirs, every_ms);
  // Signals that came during the start, now that the loop's handlers catch any
  // new one: a stop stops before the first step, a SIGHUP reloads once.
  const bool held_stop = g_held_stop;
  if (g_held_hup && !held_stop) {
    s->log->Info("SIGHUP during the start");
    OnSignal(&s->sighup, SIGHUP);
  }
  g_held_stop = 0;
  g_held_hup = 0;
  sd_notify(0, "READY=1");
  if (held_stop) s->BeginEnding(LoopState::Ending::kStop);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  // Close every handle, let the loop finish closing them, then stop the agent.
  uv_walk(
      &s->loop,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_loop_close(&s->loop);
  // libuv restored the default actions: the agent has stopped (its last batch
  // written, or cut short by a second signal), so a signal now ends what is
  // left, the store's close (a spool's drain can wait on a held table,
  // helper-106), and loses nothing.
  return s->end;
}

}  // namespace mailtrail
