#include "agent/cli/agent_status_text.h"

#include <cstdio>

#include "base/civil_time.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {
std::string Format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}
}  // namespace

std::string AgentStatusText(const std::vector<AgentStatus>& agents, TimeUs now) {
  std::string out =
      "Live agents (a row each, saved every 10 s by `mailtrail run`; counts since "
      "its start):\n";
  if (agents.empty()) return out + "  none has saved its status in this store\n";
  for (const AgentStatus& a : agents) {
    out += Format("  %s: saved %s (%.0f s ago), running since %s\n",
                  EscapeForLog(a.agent, 255).c_str(), FormatRfc3339(a.updated).c_str(),
                  (now - a.updated) / 1e6, FormatRfc3339(a.started).c_str());
    out += Format(
        "    lines %lld (%.1f/s), unknown %lld, records written %lld, open messages "
        "%lld\n",
        static_cast<long long>(a.lines), a.lines_per_second,
        static_cast<long long>(a.unknown_lines), static_cast<long long>(a.records),
        static_cast<long long>(a.open_messages));
    out += Format("    newest line %s, lag %.1f s, not read yet %lld bytes\n",
                  a.last_line ? FormatRfc3339(a.last_line).c_str() : "none", a.lag_seconds,
                  static_cast<long long>(a.backlog_bytes));
    out += Format(
        "    queue files read %lld, vanished before they could be read %lld, read "
        "errors %lld\n",
        static_cast<long long>(a.queue_files_read), static_cast<long long>(a.queue_files_vanished),
        static_cast<long long>(a.queue_read_errors));
  }
  return out;
}

}  // namespace mailtrail::cli
