// The live agent's event loop (libuv): file events on the logs' directories and
// a steady timer drive Agent::Step(); SIGTERM/SIGINT stop it cleanly (a final
// flush of records and checkpoint); SIGHUP is acknowledged. The only code that
// includes <uv.h> (docs/architecture.md).
#ifndef MAILTRAIL_AGENT_UV_RUN_LOOP_H_
#define MAILTRAIL_AGENT_UV_RUN_LOOP_H_

#include <functional>
#include <string>
#include <vector>

#include "agent/run/agent.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"

namespace mailtrail {

// What a SIGHUP handler may do to the running loop.
class LoopControl {
 public:
  virtual ~LoopControl() = default;
  // Drives `next` from now on (the caller has stopped the previous agent), and
  // watches these directories instead.
  virtual void SwapAgent(Agent* next, const std::vector<std::string>& watch_dirs) = 0;
  // Re-checks the logs this often from the next tick on.
  virtual void SetPollInterval(TimeUs every) = 0;
};

struct RunLoopOptions {
  std::vector<std::string> watch_dirs;          // directories of the followed logs
  TimeUs poll_interval = kUsPerSecond;          // steady re-check (inotify can overflow)
  std::function<void(LoopControl*)> on_reload;  // SIGHUP; on the loop's thread
  std::function<void()> on_tick;                // every poll_interval; on the loop's thread
  Logger* log = &StderrLog();                   // signals it cannot act on, unwatched dirs
};

// Catches SIGTERM, SIGINT and SIGHUP and only remembers them, until
// RunAgentLoop takes them over (and again after it ends). Call it first thing in
// `run`: the start (opening the store, reading the checkpoint) can take seconds,
// and a SIGHUP then (logrotate's postrotate, a reload) would otherwise kill the
// process (SIGHUP's default action; systemd then sees exit 129).
void HoldSignalsUntilTheLoop();

// Sleeps `how_long` on `clock` (in short steps) unless SIGTERM or SIGINT was
// held meanwhile or before: false then, and the caller stops instead of
// waiting on. Feeds systemd's watchdog while it waits.
bool WaitUnlessStopped(const Clock& clock, TimeUs how_long);

// Runs until SIGTERM or SIGINT, then stops the (current) agent. A signal held
// by HoldSignalsUntilTheLoop acts as soon as the loop runs. Returns the first
// error.
Status RunAgentLoop(Agent* agent, const RunLoopOptions& options);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_UV_RUN_LOOP_H_
