// `mailtrail enforce --reconcile --config FILE [--store URL]`: one pass that
// makes every configured backend (access map, header_checks, nftables,
// iptables) hold exactly the blocks the store says are active now, allowlists
// applied as the agent would. Run by systemd/mailtrail-reconcile.timer every
// 30 s, so that nothing stays enforced long after its end when the agent is
// dead (kill -9 leaves the Postfix tables and the iptables rules as they were;
// nftables elements carry kernel timeouts), and a backend someone else changed
// is repaired (issue 19 items 4 and 5). With the agent alive it writes the
// same set the agent does.
// SECURITY: needs what the backends need (write access to the Postfix tables,
// CAP_NET_ADMIN for a firewall); reads the store only.
#include <cstdio>

#include "agent/blocks/desired.h"
#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/run/enforcement.h"
#include "base/text.h"

namespace mailtrail::cli {

const VerbSpec kEnforceVerb = {
    "enforce",
    "--reconcile: make the Postfix tables and firewalls match the store's active blocks",
    "--reconcile --config FILE [--store URL] [--password-file FILE]",
    {
        {"reconcile", false, "make every configured backend hold the store's active blocks"},
        {"config", true, "the agent's configuration file (its [enforce], [blocks] and [store])",
         "FILE"},
        kStoreFlag,
        kPasswordFileFlag,
        kHelpFlag,
    },
    0,
    0,
    {},
    "One pass, run by mailtrail-reconcile.timer every 30 s, so that nothing stays enforced long "
    "after its end when the agent is dead, and a backend someone else changed is repaired.",
};

int EnforceMain(const std::vector<std::string>& argv, const Clock& clock) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kEnforceVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  if (!args->Has("reconcile") || !args->Has("config"))
    return UsageError(kEnforceVerb, "--reconcile and --config are needed");
  auto config = LoadConfig(*args->Get("config"));
  if (!config.ok()) {
    std::fprintf(stderr, "mailtrail: %s\n", EscapeForLog(config.status().message(), 500).c_str());
    return kExitConfig;
  }
  if (auto v = args->Get("store")) config->store.url = *v;
  if (auto v = args->Get("password-file")) config->store.password_file = *v;
  Enforcement enforcement(*config);
  if (!enforcement.any()) {  // nothing configured to enforce: nothing left behind either
    enforcement.RemoveSwitchedOff();
    return kExitOk;
  }
  StoreOptions so = ReaderOptions();
  so.password_file = config->store.password_file;
  so.sqlite_mmap_mb = 0;  // a few block rows, every 30 s: a map buys nothing
  auto store = OpenStore(config->store.url, so);
  if (!store.ok()) return FailWith(store.status());
  const TimeUs now = clock.WallNow();
  auto saved = (*store)->LoadBlocks(now);
  if (!saved.ok()) return FailWith(saved.status());
  // The agent's rules decide what is enforced: its allowlists win over the
  // store, a block of the dry run is never live.
  BlockPolicy policy;
  AllowlistOf(*config, /*local=*/true, &policy);
  BlockManager blocks(policy);
  blocks.Restore(*saved, now);
  const DesiredBlocks desired = DesiredOf(blocks.Active(), now);
  Status st = enforcement.ApplyOnce(desired, clock.MonotonicNow());
  if (!st.ok()) return FailWith(st);
  std::fprintf(stderr, "mailtrail: enforced %zu IPs, %zu networks, %zu subjects\n",
               desired.ips.size(), desired.cidrs.size(), desired.subjects.size());
  return kExitOk;
}

}  // namespace mailtrail::cli
