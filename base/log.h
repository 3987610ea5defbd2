// Logger: the one way a component tells the operator something (docs/style.md
// "Logging"). Components get a Logger* where their hooks used to be (options,
// or a public `log` member) and never write to stderr themselves; tests give
// them a capturing logger (tests/support/capture_logger.h) and assert on lines.
//
// SECURITY: messages carry text from logs, queue files and stores. Callers
// escape the untrusted parts (EscapeForLog: printable ASCII, backslash as
// \x5c, bounded); the logger then makes the whole message one bounded line
// (OneLogLine), so a caller that forgot cannot split or forge a line. Already
// escaped text passes through unchanged.
//
// Rate limits: a message that can repeat (one per bad file, per refused block)
// is said through Limited() with a key of its own; each key has one limiter,
// driven by the caller's time (log time when replaying, the Clock's when live).
//
// Thread: any (the stderr logger writes whole lines; the limiters are
// guarded), so a component's thread and the agent's may share one logger.
#ifndef MAILTRAIL_BASE_LOG_H_
#define MAILTRAIL_BASE_LOG_H_

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "base/civil_time.h"
#include "base/clock.h"

namespace mailtrail {

enum class LogLevel { kInfo, kWarn, kError };
const char* LogLevelName(LogLevel level);  // "info", "warn", "error"

// How often lines of one key may be said: `lines` per `period`, counted from
// the first line of the period. `say_when_full` ends the last allowed line with
// "; further ones this minute are counted, not said".
struct RateLimit {
  int lines = 1;
  TimeUs period = 60 * kUsPerSecond;
  bool say_when_full = false;
};

class Logger {
 public:
  virtual ~Logger() = default;
  // Says one line. Implementations pass `message` through OneLogLine.
  virtual void Write(LogLevel level, std::string_view message) = 0;

  void Info(std::string_view m) { Write(LogLevel::kInfo, m); }
  void Warn(std::string_view m) { Write(LogLevel::kWarn, m); }
  void Error(std::string_view m) { Write(LogLevel::kError, m); }
  // Says `message` unless `key` has had its `limit` of lines in the period
  // that holds `now`. True if it was said. Keys are the code's own words
  // ("queue", "blocks.cap"), never untrusted text: the map stays small.
  bool Limited(LogLevel level, std::string_view key, std::string_view message, TimeUs now,
               RateLimit limit = {});

 private:
  struct Window {
    TimeUs start = 0;
    int said = 0;
  };
  std::mutex mu_;  // guards windows_
  std::map<std::string, Window, std::less<>> windows_;
};

// `message` as one line: bytes outside printable ASCII become \xNN (a
// backslash is kept, so EscapeForLog's output is unchanged), at most
// `max_len` bytes of it (then "...").
std::string OneLogLine(std::string_view message, size_t max_len = 2000);

// Lines on stderr: "[TIME ]PREFIX: message\n", TIME (RFC 3339, from `clock`)
// only when a clock is given: under systemd the journal stamps each line.
class StderrLogger : public Logger {
 public:
  explicit StderrLogger(std::string prefix = "mailtrail", const Clock* clock = nullptr)
      : prefix_(std::move(prefix)), clock_(clock) {}
  void Write(LogLevel level, std::string_view message) override;
  // The line Write prints, without its newline (for tests).
  std::string Format(std::string_view message) const;

 private:
  std::string prefix_;
  const Clock* clock_;
};

// Says nothing (benchmarks, which time the work, not the messages).
class NullLogger : public Logger {
 public:
  void Write(LogLevel, std::string_view) override {}
};

// The process's stderr logger ("mailtrail: ..."): the default of every
// component's `log` until an entry point or a test injects another.
Logger& StderrLog();

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_LOG_H_
