// Reconciler: makes every action match the desired set of blocks, like a
// controller — on start (everything is applied once), on every change, and
// again after a failure (retried at each Sync, said once a minute per
// action). One failing action never stops the others. Dry run: actions are
// not called; what they would get is said when it changes.
// Someone else may change a backend behind our back (`nft flush ruleset` on a
// firewall reload, a deleted chain, an edited or removed Postfix table):
// Recheck() makes the next Sync apply every action again, and each action's
// Apply compares the backend's real state, so only what drifted is rewritten.
#ifndef MAILTRAIL_ACTIONS_RECONCILER_H_
#define MAILTRAIL_ACTIONS_RECONCILER_H_

#include <memory>
#include <string>
#include <vector>

#include "actions/action.h"
#include "base/log.h"

namespace mailtrail {

class Reconciler {
 public:
  explicit Reconciler(bool dry_run = false);
  void Add(std::unique_ptr<Action> action);
  // `now`: a monotonic time, for debounces and the once-a-minute messages.
  void Sync(const DesiredBlocks& desired, TimeUs now);
  // The next Sync applies every action again, matching or not (issue 19 item 5).
  void Recheck();
  // Actions that match the last desired set.
  size_t in_sync() const;
  Logger* log = &StderrLog();  // failures (once a minute per action) and dry runs

 private:
  struct Entry {
    std::unique_ptr<Action> action;
    DesiredBlocks applied;
    bool ever = false;
  };
  bool dry_run_;
  std::vector<Entry> actions_;
  DesiredBlocks last_;
  bool dry_said_ = false;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_RECONCILER_H_
