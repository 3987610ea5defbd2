// Stepping a live agent in a test as its loop would: Agent::Step reads nothing
// while the store's writer has no room for a batch (the loop then steps again
// soon, agent/uv), and the answers of the writer's control batches (the
// blocks of other agents, fleet counts) come back a step or more later. A
// test that steps on a fake clock, far faster than the real one, waits for
// the writer to be idle first, so that it depends on neither.
#ifndef MAILTRAIL_TESTS_SUPPORT_AGENT_STEPS_H_
#define MAILTRAIL_TESTS_SUPPORT_AGENT_STEPS_H_

#include <chrono>
#include <thread>

#include "agent/run/agent.h"

namespace mailtrail {

// Waits until the writer is idle (a minute at most: a guard against a writer
// that never gets there, no time asserted).
inline bool WaitForWriterIdle(const Agent& agent) {
  return agent.writer().WaitUntil([](const AsyncWriter::Stats& s) { return s.idle; }, 60000);
}

inline StatusOr<size_t> StepWithRoom(Agent& agent) {
  if (!WaitForWriterIdle(agent)) return Status::IoError("the writer took no batch for a minute");
  return agent.Step();
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_AGENT_STEPS_H_
