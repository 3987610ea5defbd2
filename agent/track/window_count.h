// WindowCount: one bucket of one agent's detection window, as agents sharing a
// store publish them to count fleet-wide (FloodDetector::FleetCounts,
// Store::ExchangeCounts, docs/detection.md). Plain data, here beside the record
// and the block so that the store can carry it without linking the detector.
#ifndef MAILTRAIL_AGENT_TRACK_WINDOW_COUNT_H_
#define MAILTRAIL_AGENT_TRACK_WINDOW_COUNT_H_

#include <string>

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

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_WINDOW_COUNT_H_
