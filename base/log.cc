#include "base/log.h"

#include <cstdio>

#include "base/enum_names.h"

namespace mailtrail {

namespace {
constexpr EnumNames<LogLevel, 3> kLogLevels{
    "level", {{{LogLevel::kInfo, "info"}, {LogLevel::kWarn, "warn"}, {LogLevel::kError, "error"}}}};
}  // namespace

const char* LogLevelName(LogLevel level) { return kLogLevels.Name(level); }

bool Logger::Limited(LogLevel level, std::string_view key, std::string_view message, TimeUs now,
                     RateLimit limit) {
  bool last = false;
  {
    std::lock_guard<std::mutex> hold(mu_);
    auto it = windows_.find(key);
    if (it == windows_.end()) it = windows_.emplace(std::string(key), Window{}).first;
    Window& w = it->second;
    if (w.said == 0 || now - w.start >= limit.period) w = Window{now, 0};  // a new period
    if (w.said >= limit.lines) return false;
    last = ++w.said == limit.lines;
  }
  if (limit.say_when_full && last) {
    Write(level, std::string(message) + "; further ones this minute are counted, not said");
  } else {
    Write(level, message);
  }
  return true;
}

std::string OneLogLine(std::string_view message, size_t max_len) {
  std::string out;
  const size_t n = message.size() < max_len ? message.size() : max_len;
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(message[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out.append(buf);
    }
  }
  if (n < message.size()) out.append("...");
  return out;
}

std::string StderrLogger::Format(std::string_view message) const {
  std::string line;
  if (clock_ != nullptr) line = FormatRfc3339(clock_->WallNow()) + " ";
  return line + prefix_ + ": " + OneLogLine(message);
}

void StderrLogger::Write(LogLevel, std::string_view message) {
  // One fputs of the whole line: lines from two threads do not interleave.
  const std::string line = Format(message) + "\n";
  std::fputs(line.c_str(), stderr);
}

Logger& StderrLog() {
  static StderrLogger* log = new StderrLogger();  // never destroyed: usable during exit
  return *log;
}

}  // namespace mailtrail
