// How one fleet-wide answer exchange goes (Store::ExchangeAnswers,
// docs/detection.md), decided from the presence rows (detect_answer_agent)
// the same way by every backend, which then only does the SQL.
//
// Presence is judged on the reader's own monotonic clock, never by comparing
// one agent's wall clock with another's: an agent is there while its row
// keeps changing (it writes it again each minute of its monotonic clock,
// with a value that differs from the last), and gone once the row has stood
// still for the gone time, as the reader measured it. Comparing wall clocks
// took an agent whose clock was a day off as gone, and deleted its rows
// (helper-74). Time the reader did not read (a store that did not answer, the
// reader stopped) counts a minute at most, so that an outage or a restart
// never makes the others look gone; how long each stood is in the state.
#ifndef MAILTRAIL_AGENT_STORE_ANSWER_PLAN_H_
#define MAILTRAIL_AGENT_STORE_ANSWER_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "agent/track/window_count.h"

namespace mailtrail {

// How often an agent writes its presence again while nothing else changes.
constexpr TimeUs kAnswerPresenceRefresh = 60 * kUsPerSecond;

// One row of detect_answer_agent: an agent, its last row, when it last said
// it was there (its own wall clock: compared only with its earlier values).
struct AnswerPresence {
  std::string agent;
  int64_t seq = 0;
  TimeUs seen = 0;
  // Set when the row was made, kept while it stands (0: made before schema
  // SQLite 16 / MySQL 12): another value is the agent back with a new row,
  // whose rows may be numbered from 1 again.
  int64_t born = 0;
};

struct AnswerPlan {
  // No other agent is there: this one's rows are not written.
  bool alone = false;
  // This agent's rows are numbered first + 1 .. last.
  int64_t first = 0;
  int64_t last = 0;
  // Its presence row must be written, with `seen` and `last`: new, moved
  // on, or a minute old.
  bool say_present = false;
  TimeUs seen = 0;
  int64_t born = 0;  // kept from this agent's row, or new (its wall clock) with a new row
  // Agents gone: their rows up to `seq` go, then their presence row, only if
  // it still reads `seen`, `seq` and `born` (one back meanwhile keeps it).
  std::vector<AnswerPresence> gone;
  // Agents to read, after `after` (each has rows past it).
  struct Read {
    std::string agent;
    int64_t after = 0;
  };
  std::vector<Read> read;
  // What the exchange returns unless reading fails: the cursor with every
  // agent in the table at where it stood (the backend moves it past what it
  // reads), the presences as now heard, and `last`.
  AnswerCursor cursor;
};

// `agents` is every row of detect_answer_agent, this agent's included.
AnswerPlan PlanAnswerExchange(const AnswerRequest& r, const std::vector<AnswerPresence>& agents);

// How long an agent's presence stands still before it is taken as gone: a
// window, and never less than a few of its refreshes.
TimeUs AnswerGoneAfter(TimeUs window);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_ANSWER_PLAN_H_
