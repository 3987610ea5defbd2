// What agents sharing a store exchange for fleet-wide detection
// (docs/detection.md): WindowCount, one bucket of one agent's detection window
// (FloodDetector::FleetCounts, Store::ExchangeCounts), and SharedAnswer, mail
// one agent relayed that notices to another may answer (OutboundMemory,
// Store::ExchangeAnswers). Plain data, here beside the record and the block so
// that the store can carry it without linking the detector.
#ifndef MAILTRAIL_AGENT_TRACK_WINDOW_COUNT_H_
#define MAILTRAIL_AGENT_TRACK_WINDOW_COUNT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/civil_time.h"

namespace mailtrail {

struct WindowCount {
  std::string agent;  // who counted it (empty in what an agent publishes)
  // "i\tIP" (bounces from IP), "s\tSUBJECT" (bounces with the normalized
  // subject), "c\tSUBJECT\tIP" (bounces with it from IP).
  std::string key;
  TimeUs bucket = 0;  // log time: the start of the bucket
  int count = 0;
};

// One key of an agent's OutboundMemory (outbound.h: "m\tID", "d\tSENDER\tORG"
// or "s\tSENDER\tSUBJECT"), as learned there: the credits it added, when.
struct SharedAnswer {
  std::string agent;  // who learned it (empty in what an agent publishes)
  int64_t seq = 0;    // its place among that agent's rows, from 1 (set by the store)
  std::string key;
  TimeUs learned = 0;  // log time
  int credits = 0;
};

// Another agent's presence as this one last read it, and for how long this
// one has read it unchanged (agent/store/answer_plan.h).
struct HeardAgent {
  TimeUs seen = 0;
  int64_t seq = 0;
  TimeUs stood = 0;  // by this agent's monotonic clock, a minute at most between two reads
  // Its presence row's incarnation (answer_plan.h); kBornUnknown when read
  // from a state saved before incarnations: that row's is then taken as it is.
  int64_t born = 0;
  static constexpr int64_t kBornUnknown = -1;
};

// Where an agent stands in the others' answers: the last row read of each
// (by seq: each agent writes its rows in order, so every agent's rows are
// read in order, whichever commits first), the last one it wrote, and the
// others' presences as it last read them.
struct AnswerCursor {
  std::map<std::string, int64_t> read;
  int64_t written = 0;
  std::map<std::string, HeardAgent> heard;
  // This process's monotonic clock at its last exchange, and when it last
  // wrote its presence; 0: not yet (not saved with the state).
  TimeUs heard_at = 0;
  TimeUs said_at = 0;
};

// What an agent asks of Store::ExchangeAnswers.
struct AnswerRequest {
  std::string agent;
  std::vector<SharedAnswer> mine;  // learned since the last exchange
  AnswerCursor cursor;
  TimeUs wall_now = 0;  // its wall clock: written as its presence, compared with no other's
  // Its monotonic clock when the store runs the exchange: how long the
  // others' presences stood still, when its own is due (AsyncWriter sets it).
  TimeUs mono_now = 0;
  TimeUs since = 0;   // log time: its own rows learned before go
  TimeUs window = 0;  // an agent whose presence stood still this long is gone, and its rows
  size_t limit = 0;   // the others' rows read at most
};

// What Store::ExchangeAnswers returns: the other agents' rows after the
// cursor (oldest first, each agent's in order), and the cursor past them.
struct AnswerExchange {
  std::vector<SharedAnswer> theirs;
  AnswerCursor cursor;
  bool alone = false;  // no other agent exchanges answers: this one's were not kept
  // Published, but the others' could not be read (said by the writer; they
  // are read at the next exchange).
  std::string warning;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_WINDOW_COUNT_H_
