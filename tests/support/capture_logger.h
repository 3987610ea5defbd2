// CaptureLogger: a Logger that keeps its lines for a test to assert on,
// instead of stderr. Lines pass through OneLogLine, as on stderr.
#ifndef MAILTRAIL_TESTS_SUPPORT_CAPTURE_LOGGER_H_
#define MAILTRAIL_TESTS_SUPPORT_CAPTURE_LOGGER_H_

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"

namespace mailtrail {

class CaptureLogger : public Logger {
 public:
  void Write(LogLevel level, std::string_view message) override {
    std::lock_guard<std::mutex> hold(mu_);
    levels_.push_back(level);
    lines_.push_back(OneLogLine(message));
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> hold(mu_);
    return lines_;
  }
  std::vector<LogLevel> levels() const {
    std::lock_guard<std::mutex> hold(mu_);
    return levels_;
  }
  // How many lines hold `part`.
  size_t Count(std::string_view part) const {
    std::lock_guard<std::mutex> hold(mu_);
    size_t n = 0;
    for (const auto& l : lines_) n += l.find(part) != std::string::npos;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<LogLevel> levels_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_CAPTURE_LOGGER_H_
