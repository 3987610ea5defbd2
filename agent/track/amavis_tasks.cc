#include "agent/track/amavis_tasks.h"

#include <algorithm>
#include <string_view>

namespace mailtrail {

namespace {

// "(TASK) Passed ..." or "(TASK) Blocked ...": sets `task`.
bool IsMainLineShaped(std::string_view message, std::string_view* task) {
  if (message.empty() || message[0] != '(') return false;
  const size_t close = message.find(") ");
  if (close == std::string_view::npos) return false;
  *task = message.substr(1, close - 1);
  const std::string_view text = message.substr(close + 2);
  return text.substr(0, 7) == "Passed " || text.substr(0, 8) == "Blocked ";
}

}  // namespace

bool AmavisTasks::Admit(const Event& ev) {
  std::string_view task;
  if (!IsMainLineShaped(ev.message, &task)) return true;
  const Key key{std::string(ev.host), ev.pid};
  auto it = by_process_.find(key);
  if (it == by_process_.end() || it->second.task != task) {
    // The first such record of a task: its main line (or the first line of it).
    if (it == by_process_.end()) {
      if (by_process_.size() >= kMaxProcesses)
        by_process_.erase(std::min_element(
            by_process_.begin(), by_process_.end(),
            [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; }));
      it = by_process_.emplace(key, Task{}).first;
    }
    Task& t = it->second;
    t = Task{};
    t.task = std::string(task);
    t.last_used = ++uses_;
    if (ev.kind == EventKind::kScan && ev.verdict.substr(0, 7) == "Passed ") {
      t.passed = true;
      t.qid = std::string(ev.qid);
      t.message_id = std::string(ev.message_id);
      t.from = std::string(ev.from);
    }
    return true;
  }
  Task& t = it->second;
  t.last_used = ++uses_;
  if (ev.kind != EventKind::kScan) return true;  // a per-recipient line: noise
  if (t.passed && !t.blocked && ev.verdict.substr(0, 8) == "Blocked " && ev.next_qid.empty() &&
      ev.qid == t.qid && ev.message_id == t.message_id && ev.from == t.from) {
    t.blocked = true;
    return true;
  }
  ++refused_;
  return false;
}

}  // namespace mailtrail
