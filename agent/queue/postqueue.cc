#include "agent/queue/postqueue.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/run_program.h"
#include "base/text.h"

namespace mailtrail {

namespace {
// A line longer than this is no JSON of postqueue's we can use (a message
// with tens of thousands of recipients): counted corrupt, not kept whole.
constexpr size_t kMaxLine = 16 << 20;
}  // namespace

void PostqueueJsonCounter::Feed(std::string_view piece) {
  while (!piece.empty()) {
    const size_t nl = piece.find('\n');
    const std::string_view part = piece.substr(0, nl);
    const bool ended = nl != std::string_view::npos;
    piece.remove_prefix(ended ? nl + 1 : piece.size());
    if (!skipping_ && partial_.size() + part.size() > kMaxLine) {
      partial_.resize(std::min<size_t>(partial_.size(), 120));
      skipping_ = true;
    }
    if (!skipping_) {
      if (ended && partial_.empty()) {
        Line(part);  // the common case: no copy
        continue;
      }
      partial_.append(part);
    }
    if (!ended) return;
    if (skipping_) {
      ++line_no_;
      ++scan_.corrupt;
      if (scan_.errors.size() < 10)
        scan_.errors.push_back("postqueue line " + std::to_string(line_no_) + ": over " +
                               std::to_string(kMaxLine >> 20) +
                               " MiB, skipped: " + EscapeForLog(partial_, 120));
      skipping_ = false;
    } else {
      Line(partial_);
    }
    partial_.clear();
  }
}

QueueScan PostqueueJsonCounter::Finish() {
  if (!partial_.empty() || skipping_) Feed("\n");
  return std::move(scan_);
}

QueueScan ScanPostqueueJson(std::string_view jsonl) {
  PostqueueJsonCounter c;
  c.Feed(jsonl);
  return c.Finish();
}

void PostqueueJsonCounter::Line(std::string_view line) {
  QueueScan& s = scan_;
  ++line_no_;
  if (line.empty()) return;
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  const auto str = [&](const char* key) -> std::string {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
    return j[key].get<std::string>();
  };
  const std::string queue = str("queue_name");
  if (queue.empty()) {
    ++s.corrupt;
    if (s.errors.size() < 10)
      s.errors.push_back("postqueue line " + std::to_string(line_no_) + ": " +
                         EscapeForLog(line, 120));
    return;
  }
  ++s.files;
  ++s.per_queue[queue];
  // postqueue shows the null sender as MAILER-DAEMON.
  const std::string sender = str("sender");
  if (queue != "deferred" || (sender != "MAILER-DAEMON" && !sender.empty())) return;
  ++s.deferred_bounces;
  if (j.contains("arrival_time") && j["arrival_time"].is_number_integer()) {
    const int64_t t = j["arrival_time"].get<int64_t>();
    if (s.oldest_bounce == 0 || t < s.oldest_bounce) s.oldest_bounce = t;
  }
  if (!j.contains("recipients") || !j["recipients"].is_array()) return;
  for (const auto& r : j["recipients"]) {
    if (!r.is_object() || !r.contains("address") || !r["address"].is_string()) continue;
    const std::string a = r["address"].get<std::string>();
    const size_t at = a.rfind('@');
    ++s.bounce_domains[AsciiLower(at == std::string::npos ? "" : a.substr(at + 1))];
  }
}

QueueScan ScanWithPostqueue(const std::string& postqueue, const std::string& config_dir,
                            int cancel_fd, int timeout_ms) {
  PostqueueJsonCounter counter;
  RunOptions o;
  o.timeout_ms = timeout_ms;
  o.cancel_fd = cancel_fd;
  o.on_stdout = [&counter](std::string_view piece) { counter.Feed(piece); };
  auto out = RunProgram({postqueue, "-c", config_dir, "-j"}, o);
  QueueScan s = counter.Finish();
  if (!out.ok()) {
    // What it printed before it failed is not the queue: the counts would
    // say fewer messages than there are.
    QueueScan failed;
    failed.walk = out.status();
    return failed;
  }
  return s;
}

}  // namespace mailtrail
