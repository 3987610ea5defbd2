#include "actions/reconciler.h"

namespace mailtrail {

Reconciler::Reconciler(bool dry_run) : dry_run_(dry_run) {}

void Reconciler::Add(std::unique_ptr<Action> action) {
  actions_.push_back({std::move(action), {}, false});
}

void Reconciler::Sync(const DesiredBlocks& desired, TimeUs now) {
  if (dry_run_) {
    if (!dry_said_ || !(desired == last_))
      log->Info("dry run: would enforce " + std::to_string(desired.ips.size()) + " IPs, " +
                std::to_string(desired.cidrs.size()) + " networks, " +
                std::to_string(desired.subjects.size()) + " subjects");
    dry_said_ = true;
    last_ = desired;
    return;
  }
  last_ = desired;
  for (Entry& e : actions_) {
    if (e.ever && e.applied == desired) continue;
    Status st = e.action->Apply(desired, now);
    if (st.ok()) {
      e.applied = desired;
      e.ever = true;
      continue;
    }
    if (st.code() == Status::Code::kUnavailable) continue;  // not now: next Sync
    log->Limited(LogLevel::kWarn, std::string("reconcile.") + e.action->name(),
                 std::string(e.action->name()) + " not updated (" + st.message() + "); retrying",
                 now);
  }
}

void Reconciler::Recheck() {
  for (Entry& e : actions_) e.ever = false;
}

size_t Reconciler::in_sync() const {
  size_t n = 0;
  for (const Entry& e : actions_) n += e.ever && e.applied == last_;
  return n;
}

}  // namespace mailtrail
