// `mailtrail blocks list|add|extend|remove|explain`: the blocks kept in the
// store, which running agents read and enforce (docs/detection.md).
//   blocks list [--all] [--format table|jsonl]
//   blocks add ip|cidr|subject KEY --for 1h --reason TEXT [--config FILE]
//   blocks extend KEY --for 1h
//   blocks remove KEY
//   blocks explain KEY
// (each with --store URL [--password-file FILE]).
#include <cstdio>
#include <cstdlib>

#include "actions/postfix/postfix_tables.h"
#include "agent/cli/args.h"
#include "agent/cli/block_ends.h"
#include "agent/cli/block_explain.h"
#include "agent/cli/block_guard.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "base/cidr.h"
#include "base/host_name.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {
void PrintBlock(const Block& b, const std::string& format) {
  std::string line;
  if (format == "jsonl") {
    AppendBlockJson(b, &line);
  } else {
    line = FormatRfc3339(b.created) + "  " + BlockKindName(b.kind) + " " + EscapeForLog(b.key, 60) +
           "  until " + FormatRfc3339(b.expires) + (b.live ? "  " : "  (replayed, not live)  ") +
           EscapeForLog(b.reason, 160);
  }
  std::printf("%s\n", line.c_str());
}
const FlagSpec kConfigFlag = {
    "config", true,
    "the agent's configuration, for its allowlist (default /etc/mailtrail/mailtrail.toml if "
    "readable)",
    "FILE"};
const FlagSpec kPostfixDirFlag = {"postfix-config-dir", true,
                                  "where Postfix's main.cf is, for mynetworks", "DIR"};
}  // namespace

const VerbSpec kBlocksVerb = {
    "blocks",
    "list, add, extend, remove and explain the blocks kept in the store",
    "list|add|extend|remove|explain ...",
    {kStoreFlag, kPasswordFileFlag, kHelpFlag},
    0,
    0,
    {
        {"list",
         "the active blocks",
         "[--all] [--format table|jsonl] [--store URL]",
         {
             {"all", false, "also ended blocks and those decided from replayed lines"},
             ChoiceFlag("format", "table (default) or jsonl (docs/record.md blocks)",
                        {"table", "jsonl"}),
         }},
        {"add",
         "block an IP, a network or a subject by hand (allowlists still win)",
         "ip|cidr|subject KEY --for 1h --reason TEXT [--store URL] [--config FILE] "
         "[--postfix-config-dir DIR]",
         {
             DurationFlag("for", "how long: 90s, 30m, 1h, 2d", kUsPerSecond,
                          3650LL * 86400 * kUsPerSecond, DurationUnit::kNone),
             {"reason", true, "why (shown in lists and logs)", "TEXT"},
             kConfigFlag,
             kPostfixDirFlag,
         },
         2,
         2},
        {"extend",
         "make the active blocks of KEY (an IP, a network or a subject) end --for from now",
         "KEY --for 1h [--store URL]",
         {
             DurationFlag("for", "from now: 90s, 30m, 1h, 2d", kUsPerSecond,
                          3650LL * 86400 * kUsPerSecond, DurationUnit::kNone),
         },
         1,
         1},
        {"remove",
         "end the blocks of KEY (an IP, a network or a subject) now",
         "KEY [--store URL]",
         {},
         1,
         1},
        {"explain",
         "a block's rule, evidence and what enforcement writes for it",
         "KEY [--store URL] [--config FILE]",
         {kConfigFlag, kPostfixDirFlag},
         1,
         1},
    },
};

int BlocksMain(const std::vector<std::string>& argv, const Clock& clock) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kBlocksVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  const auto& pos = args->positionals;
  const std::string what = parsed.sub->name;
  const TimeUs now = clock.WallNow();
  if (what == "list" && pos.size() == 1) {
    const std::string format = args->Get("format").value_or("table");
    auto store = OpenStoreFromArgs(*args, ReaderOptions());
    if (!store.ok()) return FailWith(store.status());
    auto blocks = (*store)->LoadBlocks(args->Has("all") ? -1 : now);
    if (!blocks.ok()) return FailWith(blocks.status());
    for (const Block& b : *blocks)
      if (args->Has("all") || (b.live && !b.removed)) PrintBlock(b, format);
    return kExitOk;
  }
  if (what == "add" && pos.size() == 3) {
    const TimeUs period = args->Number("for", -1);
    if (period < 0) return UsageError(kBlocksVerb, "add needs --for, a duration like 1h");
    auto guard = LoadBlockGuard(args->Get("config"), args->Get("postfix-config-dir"));
    if (!guard.ok()) return FailWith(guard.status());
    // The same checks as the web console's (agent/cli/block_guard.h), the kind's too.
    auto b = ManualBlock(*guard, pos[1], pos[2], args->Get("reason").value_or(""), now, period);
    if (!b.ok()) {  // a bad key (2, with the usage), or one the allowlists protect (2)
      if (b.status().message().rfind("refused: ", 0) != 0)
        return UsageError(kBlocksVerb, b.status().message());
      std::fprintf(stderr, "mailtrail blocks: %s\n",
                   EscapeForLog(b.status().message(), 410).c_str());
      return kExitUsage;
    }
    StoreOptions o;
    o.create_missing = false;
    o.as_writer = false;
    auto store = OpenStoreFromArgs(*args, o);
    if (!store.ok()) return FailWith(store.status());
    if (Status st = (*store)->SaveBlocks({*b}); !st.ok()) return FailWith(st);
    PrintBlock(*b, "table");
    return kExitOk;
  }
  if ((what == "remove" || what == "extend") && pos.size() == 2) {
    TimeUs end = now;
    if (what == "extend") {
      const TimeUs period = args->Number("for", -1);
      if (period < 0) return UsageError(kBlocksVerb, "extend needs --for, a duration like 1h");
      end = now + period;
    }
    auto store = OpenStoreFromArgs(*args, ExistingStoreWriterOptions());
    if (!store.ok()) return FailWith(store.status());
    auto n = SetBlockEndsByKey(**store, pos[1], now, end);
    if (!n.ok()) return FailWith(n.status());
    if (what == "extend" && *n == 0) {
      auto why = WhyNotExtended(**store, pos[1], now);
      if (!why.ok()) return FailWith(why.status());
      std::printf("0 block(s) extended: %s\n", why->c_str());
    } else if (what == "extend") {
      std::printf("%d block(s) extended to %s\n", *n, FormatRfc3339(end).c_str());
    } else {
      std::printf("%d block(s) ended\n", *n);
    }
    return *n ? kExitOk : kExitFailure;
  }
  if (what == "explain" && pos.size() == 2) {
    auto guard = LoadBlockGuard(args->Get("config"), args->Get("postfix-config-dir"));
    if (!guard.ok()) return FailWith(guard.status());
    auto store = OpenStoreFromArgs(*args, ReaderOptions());
    if (!store.ok()) return FailWith(store.status());
    auto explained = ExplainBlocks(**store, *guard, pos[1], now);
    if (!explained.ok()) return FailWith(explained.status());
    const int shown = static_cast<int>(explained->size());
    for (const BlockExplanation& e : *explained) {
      const Block& b = e.block;
      std::printf("%s %s (%s)\n  rule %s, strike %d, decided on %s\n  %s -> %s%s\n  why: %s\n",
                  BlockKindName(b.kind), EscapeForLog(b.key, 200).c_str(),
                  e.active ? "active" : "ended", b.rule.c_str(), b.strikes,
                  EscapeForLog(b.origin_host, 100).c_str(), FormatRfc3339(b.created).c_str(),
                  FormatRfc3339(b.expires).c_str(), b.live ? "" : " (replayed lines: not live)",
                  EscapeForLog(b.reason, 300).c_str());
      for (const auto& s : e.subjects) {
        std::printf("  subject seen: %s\n", EscapeForLog(s.raw, 200).c_str());
        // What enforcement writes for it, and what that refuses.
        std::printf("    header_checks: %s\n    matches: %s\n", s.header_check.c_str(),
                    s.matches.c_str());
      }
      if (!e.not_enforced.empty())
        std::printf("  not enforced here: %s\n", EscapeForLog(e.not_enforced, 300).c_str());
      for (const auto& ev : e.evidence) {
        if (!ev.error.empty()) {
          std::printf("  message %s: %s\n", ev.qid.c_str(), ev.error.c_str());
        } else if (ev.record) {
          const MessageRecord& r = *ev.record;
          std::printf("  message %s %s from %s sender <%s> subject %s\n", r.qid.c_str(),
                      FormatRfc3339(r.first_seen).c_str(),
                      EscapeForLog(r.client_ip.empty() ? "-" : r.client_ip, 60).c_str(),
                      EscapeForLog(r.sender.value_or(""), 100).c_str(),
                      EscapeForLog(r.subject.value_or(""), 120).c_str());
        }
      }
    }
    if (shown == 0) return Fail("no block for " + pos[1]);
    return kExitOk;
  }
  return UsageError(kBlocksVerb, "unexpected arguments");
}

}  // namespace mailtrail::cli
