// The live agent's event loop (libuv): file events on the logs' directories and
// a steady timer drive Agent::Step(); SIGTERM/SIGINT stop it cleanly (a final
// flush of records and checkpoint, stepped by the loop); SIGHUP calls on_reload. The only code that
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
  // Stops the running agent as steps of the loop (Agent::StepStop), which
  // goes on meanwhile (signals, the watchdog, on_tick), then calls `then` on
  // the loop's thread: it starts the next agent and SwapAgent()s it. A
  // SIGTERM meanwhile ends the loop once the agent has stopped, instead.
  virtual void StopAgentThen(std::function<void()> then) = 0;
  // Drives `next` from now on (the previous agent has stopped), and watches
  // these directories instead.
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
// process (SIGHUP's default action; systemd then sees exit 129). Ignores
// SIGPIPE for good: a policy client gone before its answer must not end the
// agent.
void HoldSignalsUntilTheLoop();

// Sleeps `how_long` on `clock` (in short steps) unless SIGTERM or SIGINT was
// held meanwhile or before: false then, and the caller stops instead of
// waiting on. Feeds systemd's watchdog while it waits.
bool WaitUnlessStopped(const Clock& clock, TimeUs how_long);

// How the loop ended.
struct LoopEnd {
  Status error;  // the first error (of a step, or of the agent's stop)
  // A second SIGTERM or SIGINT came while the agent waited for its store to
  // take the last batch: the agent did not stop (its writer's thread still
  // waits), so the caller must exit without destroying it (std::_Exit).
  // Nothing is lost: the lines since the last checkpoint are read again.
  bool cut_short = false;
};

// Runs until SIGTERM or SIGINT, then stops the (current) agent, as steps of
// the loop (a store that takes nothing must not hold it: helper-104). A
// signal held by HoldSignalsUntilTheLoop acts as soon as the loop runs.
LoopEnd RunAgentLoop(Agent* agent, const RunLoopOptions& options);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_UV_RUN_LOOP_H_
