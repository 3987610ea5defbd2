// Agent::PublishStatus: the row `mailtrail stats` and the web console's status
// page show for this agent (Store::SaveAgentStatus).
#include "agent/run/agent.h"

namespace mailtrail {

void Agent::PublishStatus(TimeUs mono_now) {
  AgentStatus s;
  s.agent = options_.tracker.host.empty() ? options_.fleet_agent : options_.tracker.host;
  s.updated = clock_->WallNow();
  s.started = started_;
  s.last_line = last_line_log_time_;
  s.lag_seconds = lag_seconds();
  s.lines = lines_read();
  if (last_status_ >= 0 && mono_now > last_status_)
    s.lines_per_second = static_cast<double>(s.lines - last_status_lines_) * kUsPerSecond /
                         (mono_now - last_status_);
  s.unknown_lines = unknown_lines();
  s.open_messages = static_cast<int64_t>(open_records());
  s.backlog_bytes = backlog_bytes();
  if (const QueueWatcher* q = options_.queue_watcher) {
    s.queue_files_read = q->files_read();
    s.queue_files_vanished = q->vanished();
    s.queue_read_errors = q->read_errors();
  }
  last_status_ = mono_now;
  last_status_lines_ = s.lines;
  writer_->PublishStatus(std::move(s));
}

}  // namespace mailtrail
