// ParseLine: one log line -> one Event. Pure: no I/O, no clock, no globals
// (ARCHITECTURE.md). Bounded work per line; never fails on any input bytes.
#ifndef MAILTRAIL_PARSERS_LINE_PARSER_H_
#define MAILTRAIL_PARSERS_LINE_PARSER_H_

#include <string_view>

#include "parsers/envelope.h"
#include "parsers/event.h"

namespace mailtrail {

// Lines longer than this are not parsed (counted as unparsable by the caller).
constexpr size_t kMaxLineLength = 64 * 1024;

Event ParseLine(std::string_view line, const ParseContext& ctx);

}  // namespace mailtrail

#endif  // MAILTRAIL_PARSERS_LINE_PARSER_H_
