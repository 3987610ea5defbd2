// The live agent's composition root: from a Config, the store, the queue
// reader and the Agent, started (resumed from the checkpoint), and replaced
// on a reload. No exit inside: what cannot go on is returned to the caller
// (`mailtrail run`, or a test), which decides.
// Thread: the caller's (the loop's).
#ifndef MAILTRAIL_AGENT_RUN_SUPERVISOR_H_
#define MAILTRAIL_AGENT_RUN_SUPERVISOR_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/queue/queue_watcher.h"
#include "agent/run/agent.h"
#include "base/clock.h"
#include "base/file_system.h"
#include "base/log.h"

namespace mailtrail {

// The agent's options from the configuration (allowlists included: local
// ones, mynetworks and this machine's addresses, when detection is on; what
// cannot be read of them is said to `log`, which the agent then logs to).
AgentOptions ToAgentOptions(const Config& c, Logger* log = &StderrLog());

// A damaged database will not heal by restarting: Corruption (exit 65, which
// the unit does not restart) with the way out; other statuses as they are.
Status DamagedStoreSaysTheWayOut(const Status& st);

struct SupervisorHooks {
  // The store is down at the first start: wait this long; false when asked to
  // stop meanwhile. Null: do not wait (the start fails with kUnavailable).
  std::function<bool(TimeUs)> wait_for_store;
  // Where the supervisor, the agent and the queue reader tell the operator
  // things (the journal); and the service's status line.
  Logger* log = &StderrLog();
  std::function<void(const std::string&)> status = [](const std::string&) {};
};

class Supervisor {
 public:
  Supervisor(FileSystem* fs, const Clock* clock, SupervisorHooks hooks);
  ~Supervisor();

  // Opens the store and starts (resumes) an agent for `c`, whose timezone is
  // `utc_offset_seconds` east of UTC. Ok with no agent(): asked to stop while
  // it waited for the store.
  Status Start(const Config& c, int utc_offset_seconds, bool wait_for_store);

  enum class Reloaded {
    kApplied,   // running `next` now
    kRestored,  // `next` could not start: running the previous configuration again
    kStopped,   // neither starts: nothing runs (the caller exits; systemd restarts it)
  };
  struct ReloadResult {
    Reloaded outcome;
    Status why;                        // why `next` (and then the previous) did not start
    std::vector<std::string> restart;  // sections that wait for a restart ("[policy]")
  };
  // Stops the agent (its records and checkpoint committed) and starts one
  // with `next`, which resumes from that checkpoint.
  ReloadResult Reload(const Config& next, int utc_offset_seconds);

  Agent* agent() const { return agent_.get(); }
  const Config& config() const { return config_; }

 private:
  // The queue reader of [queue]: the watcher (declared last, so stopped
  // first) writes into the cache the agent reads.
  struct QueueReader;
  struct Running;
  Status StartRunning(const Config& c, int offset, bool wait_for_store, Running* out);
  void Adopt(Running&& r);
  void StopAll();

  FileSystem* fs_;
  const Clock* clock_;
  SupervisorHooks hooks_;
  Config config_;
  int offset_ = 0;
  std::unique_ptr<Store> store_;
  std::unique_ptr<QueueReader> queue_;  // null: [queue] read = "off"
  std::unique_ptr<Agent> agent_;        // declared last: gone before what it points to
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_RUN_SUPERVISOR_H_
