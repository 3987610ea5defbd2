// Stepping a live agent in a test as its loop would: Agent::Step reads nothing
// while the store's writer has no room for a batch (the loop then steps again
// soon, agent/uv), so a test that steps on a fake clock waits for that room
// first, and does not depend on how fast the writer thread is.
#ifndef MAILTRAIL_TESTS_SUPPORT_AGENT_STEPS_H_
#define MAILTRAIL_TESTS_SUPPORT_AGENT_STEPS_H_

#include <chrono>
#include <thread>

#include "agent/run/agent.h"

namespace mailtrail {

// Waits until the writer could take a batch (a minute at most: a guard
// against a writer that never takes one, no time asserted).
inline bool WaitForWriterRoom(const Agent& agent) {
  for (int i = 0; i < 60000 && !agent.writer().HasRoom(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return agent.writer().HasRoom();
}

inline StatusOr<size_t> StepWithRoom(Agent& agent) {
  if (!WaitForWriterRoom(agent)) return Status::IoError("the writer took no batch for a minute");
  return agent.Step();
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_AGENT_STEPS_H_
