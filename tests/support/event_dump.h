// DumpEvent: a stable one-line text form of an Event ("kind=client qid=... ..."),
// used by the parser corpus files (tests/parsers/corpus/*.txt). Only fields that
// are set are printed, always in the same order.
#ifndef MAILTRAIL_TESTS_SUPPORT_EVENT_DUMP_H_
#define MAILTRAIL_TESTS_SUPPORT_EVENT_DUMP_H_

#include <string>

#include "parsers/event.h"

namespace mailtrail {
std::string DumpEvent(const Event& ev);
}

#endif  // MAILTRAIL_TESTS_SUPPORT_EVENT_DUMP_H_
