// Clock: the one way code learns the time (docs/style.md rule 6). The real clock is
// built only in agent/ entry points; tests use a fake. Parsers and the tracker
// take no clock at all: they run on the log's own time.
#ifndef MAILTRAIL_BASE_CLOCK_H_
#define MAILTRAIL_BASE_CLOCK_H_

#include "base/civil_time.h"

namespace mailtrail {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeUs WallNow() const = 0;       // UTC
  virtual TimeUs MonotonicNow() const = 0;  // for rates and timeouts
};

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_CLOCK_H_
