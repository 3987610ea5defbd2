#include "agent/track/amavis_tasks.h"

#include <algorithm>
#include <string_view>

namespace mailtrail {

namespace {

// "(TASK) TEXT": sets `task` and `text`.
bool TaskOf(std::string_view message, std::string_view* task, std::string_view* text) {
  if (message.empty() || message[0] != '(') return false;
  const size_t close = message.find(") ");
  if (close == std::string_view::npos) return false;
  *task = message.substr(1, close - 1);
  *text = message.substr(close + 2);
  return true;
}

bool IsMainLineShaped(std::string_view text) {
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
  std::string_view task, text;
  if (!TaskOf(ev.message, &task, &text)) return true;
  const Key key{std::string(ev.host), std::string(task)};
  auto it = tasks_.find(key);
  Task* t = it == tasks_.end() || ev.time - it->second.began > kTaskLife ? nullptr : &it->second;
  const bool part = ev.kind == EventKind::kAmavisPart;
  const bool joined = !part && ev.split == SplitPart::kLast;  // ParseJoinedAmavis
  if (t == nullptr) {
    // The first record of a task that begins "Passed " or "Blocked " is its
    // main line, or the first part of it; records before it (other log
    // levels' lines) are not the sender's to shape.
    if (!IsMainLineShaped(text)) return true;
    t = Begin(key, ev.time);
    t->last_used = ++uses_;
    // A first part: the main line is the join of it and the next parts.
    if (!part) ReadMain(ev, t);
    return true;
  }
  t->last_used = ++uses_;
  if (!t->main_read) {
    // The main line's parts are written back to back: its middle and last
    // parts, then the line they make. Any other record of the task first (a
    // first part again, a whole record, a line a newline began) means the
    // main line lost a part, and what follows is the sender's (helper-132).
    if (part && ev.split != SplitPart::kFirst) return true;
    if (joined) {
      ReadMain(ev, t);
      return true;
    }
    // Lost: no record after this is read as the task's scan (no Passed line
    // was read, so no Blocked line follows one).
    t->main_read = true;
  }
  if (ev.kind != EventKind::kScan) return true;  // parts, noise, unknown lines
  if (t->passed && !t->blocked && ev.verdict.substr(0, 8) == "Blocked " && ev.next_qid.empty() &&
      ev.qid == t->qid && ev.message_id == t->message_id && ev.from == t->from) {
    t->blocked = true;
    return true;
  }
  ++refused_;
  return false;
}

void AmavisTasks::ReadMain(const Event& ev, Task* t) {
  t->main_read = true;
  if (ev.kind == EventKind::kScan && ev.verdict.substr(0, 7) == "Passed ") {
    t->passed = true;
    t->qid = std::string(ev.qid);
    t->message_id = std::string(ev.message_id);
    t->from = std::string(ev.from);
  }
}

}  // namespace mailtrail
