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

AmavisTasks::Task* AmavisTasks::Begin(const Key& key, TimeUs time) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) {
    if (tasks_.size() >= kMaxTasks)
      tasks_.erase(std::min_element(tasks_.begin(), tasks_.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      }));
    it = tasks_.emplace(key, Task{}).first;
  }
  it->second = Task{};
  it->second.began = time;
  return &it->second;
}

bool AmavisTasks::Admit(const Event& ev) {
  std::string_view task;
  if (!IsMainLineShaped(ev.message, &task)) return true;
  const Key key{std::string(ev.host), std::string(task)};
  auto it = tasks_.find(key);
  Task* t = it == tasks_.end() || ev.time - it->second.began > kTaskLife ? nullptr : &it->second;
  const bool first_part = ev.kind == EventKind::kAmavisPart && ev.split == SplitPart::kFirst;
  const bool joined = ev.kind == EventKind::kScan && ev.split == SplitPart::kLast;
  if (t == nullptr) {
    t = Begin(key, ev.time);
    t->by_part = first_part;
  }
  t->last_used = ++uses_;
  if (first_part) {
    t->joining = true;
    return true;
  }
  const bool main = !t->main_read && (t->by_part ? joined && t->joining : true);
  if (main) {
    t->main_read = true;
    t->joining = false;
    if (ev.kind == EventKind::kScan && ev.verdict.substr(0, 7) == "Passed ") {
      t->passed = true;
      t->qid = std::string(ev.qid);
      t->message_id = std::string(ev.message_id);
      t->from = std::string(ev.from);
    }
    return true;
  }
  if (joined) t->joining = false;
  if (ev.kind != EventKind::kScan) return true;  // a per-recipient line, noise
  if (t->passed && !t->blocked && ev.verdict.substr(0, 8) == "Blocked " && ev.next_qid.empty() &&
      ev.qid == t->qid && ev.message_id == t->message_id && ev.from == t->from) {
    t->blocked = true;
    return true;
  }
  ++refused_;
  return false;
}

}  // namespace mailtrail
