#include "agent/queue/postqueue.h"

#include <nlohmann/json.hpp>

#include "base/run_program.h"
#include "base/text.h"

namespace mailtrail {

QueueScan ScanPostqueueJson(std::string_view jsonl) {
  QueueScan s;
  size_t line_no = 0;
  while (!jsonl.empty()) {
    const size_t nl = jsonl.find('\n');
    const std::string_view line = jsonl.substr(0, nl);
    jsonl.remove_prefix(nl == std::string_view::npos ? jsonl.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const auto str = [&](const char* key) -> std::string {
      if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
      return j[key].get<std::string>();
    };
    const std::string queue = str("queue_name");
    if (queue.empty()) {
      ++s.corrupt;
      if (s.errors.size() < 10)
        s.errors.push_back("postqueue line " + std::to_string(line_no) + ": " +
                           EscapeForLog(line, 120));
      continue;
    }
    ++s.files;
    ++s.per_queue[queue];
    // postqueue shows the null sender as MAILER-DAEMON.
    const std::string sender = str("sender");
    if (queue != "deferred" || (sender != "MAILER-DAEMON" && !sender.empty())) continue;
    ++s.deferred_bounces;
    if (j.contains("arrival_time") && j["arrival_time"].is_number_integer()) {
      const int64_t t = j["arrival_time"].get<int64_t>();
      if (s.oldest_bounce == 0 || t < s.oldest_bounce) s.oldest_bounce = t;
    }
    if (!j.contains("recipients") || !j["recipients"].is_array()) continue;
    for (const auto& r : j["recipients"]) {
      if (!r.is_object() || !r.contains("address") || !r["address"].is_string()) continue;
      const std::string a = r["address"].get<std::string>();
      const size_t at = a.rfind('@');
      ++s.bounce_domains[AsciiLower(at == std::string::npos ? "" : a.substr(at + 1))];
    }
  }
  return s;
}

QueueScan ScanWithPostqueue(const std::string& postqueue, const std::string& config_dir) {
  auto out = RunProgram({postqueue, "-c", config_dir, "-j"});
  if (!out.ok()) {
    QueueScan s;
    s.walk = out.status();
    return s;
  }
  return ScanPostqueueJson(*out);
}

}  // namespace mailtrail
