// `mailtrail blocks list|add|remove|explain`: the blocks kept in the store.
//   blocks list [--all] [--format table|jsonl]
//   blocks add ip|cidr|subject KEY --for 1h --reason TEXT [--config FILE]
//   blocks remove KEY
//   blocks explain KEY
// (each with --store URL [--password-file FILE]). Enforcement is not built yet:
// these blocks are recorded and listed, not applied.
#include <cstdio>
#include <cstdlib>

#include "actions/postfix/postfix_tables.h"
#include "agent/cli/args.h"
#include "agent/cli/block_guard.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/detect/subject.h"
#include "base/cidr.h"
#include "base/host_name.h"
#include "base/text.h"

namespace mailtrail::cli {

namespace {
const std::vector<FlagSpec> kFlags = {
    kStoreFlag,
    kPasswordFileFlag,
    {"all", false, "list: also ended blocks and those decided from replayed lines"},
    {"format", true, "list: table (default) or jsonl (RECORD.md blocks)"},
    {"for", true, "add: how long: 90s, 30m, 1h, 2d"},
    {"reason", true, "add: why (shown in lists and logs)"},
    {"config", true,
     "add, explain: the agent's configuration, for its allowlist (default "
     "/etc/mailtrail/mailtrail.toml if readable)"},
    {"postfix-config-dir", true, "add, explain: where Postfix's main.cf is, for mynetworks"},
    {"help", false, "this help"},
};

constexpr const char* kUsage =
    "usage: mailtrail blocks list [--all] [--format table|jsonl] [--store URL]\n"
    "       mailtrail blocks add ip|cidr|subject KEY --for 1h --reason TEXT [--store URL]\n"
    "                            [--config FILE] [--postfix-config-dir DIR]\n"
    "       mailtrail blocks remove KEY [--store URL]\n"
    "       mailtrail blocks explain KEY [--store URL] [--config FILE]\n";

// "90s", "30m", "1h", "2d" -> microseconds; -1 when malformed.
TimeUs Duration(const std::string& s) {
  if (s.size() < 2 || s.size() > 8) return -1;
  const char unit = s.back();
  const std::string n = s.substr(0, s.size() - 1);
  if (n.find_first_not_of("0123456789") != std::string::npos) return -1;
  const int64_t v = std::strtoll(n.c_str(), nullptr, 10);
  const int64_t mult = unit == 's'   ? 1
                       : unit == 'm' ? 60
                       : unit == 'h' ? 3600
                       : unit == 'd' ? 86400
                                     : 0;
  if (mult == 0 || v <= 0) return -1;
  return v * mult * kUsPerSecond;
}

void PrintBlock(const Block& b, const std::string& format) {
  std::string line;
  if (format == "jsonl") {
    AppendBlockJson(b, &line);
  } else {
    line = FormatRfc3339(b.created) + "  " + b.kind + " " + EscapeForLog(b.key, 60) + "  until " +
           FormatRfc3339(b.expires) + (b.live ? "  " : "  (replayed, not live)  ") +
           EscapeForLog(b.reason, 160);
  }
  std::printf("%s\n", line.c_str());
}
}  // namespace

int BlocksMain(const std::vector<std::string>& argv, const Clock& clock) {
  auto args = ParseArgs(argv, kFlags);
  if (!args.ok()) {
    std::fprintf(stderr, "mailtrail blocks: %s\n%s", args.status().message().c_str(), kUsage);
    return kExitUsage;
  }
  if (args->Has("help")) {
    std::printf("%s%s", kUsage, FlagsHelp(kFlags).c_str());
    return kExitOk;
  }
  const auto& pos = args->positionals;
  const std::string what = pos.empty() ? "" : pos[0];
  const TimeUs now = clock.WallNow();
  if (what == "list" && pos.size() == 1) {
    const std::string format = args->Get("format").value_or("table");
    if (format != "table" && format != "jsonl") {
      std::fprintf(stderr, "mailtrail blocks: --format must be table or jsonl\n");
      return kExitUsage;
    }
    auto store = OpenStoreFromArgs(*args, ReaderOptions());
    if (!store.ok()) return Fail(store.status().message());
    auto blocks = (*store)->LoadBlocks(args->Has("all") ? -1 : now);
    if (!blocks.ok()) return Fail(blocks.status().message());
    for (const Block& b : *blocks)
      if (args->Has("all") || b.live) PrintBlock(b, format);
    return kExitOk;
  }
  if (what == "add" && pos.size() == 3) {
    if (pos[1] != "ip" && pos[1] != "cidr" && pos[1] != "subject") {
      std::fputs(kUsage, stderr);
      return kExitUsage;
    }
    auto guard = LoadBlockGuard(args->Get("config"), args->Get("postfix-config-dir"));
    if (!guard.ok()) return Fail(guard.status().message());
    const TimeUs period = Duration(args->Get("for").value_or(""));
    auto b = ManualBlock(*guard, pos[1], pos[2], args->Get("reason").value_or(""), now,
                         period < 0 ? 0 : period);
    if (!b.ok()) {
      if (b.status().message().rfind("refused: ", 0) != 0) return Fail(b.status().message());
      std::fprintf(stderr, "mailtrail blocks: %s\n",
                   EscapeForLog(b.status().message(), 410).c_str());
      return kExitUsage;
    }
    if (period < 0) {
      std::fprintf(stderr, "mailtrail blocks add: --for needs a duration like 90s, 30m, 1h, 2d\n");
      return kExitUsage;
    }
    StoreOptions o;
    o.create = false;
    auto store = OpenStoreFromArgs(*args, o);
    if (!store.ok()) return Fail(store.status().message());
    if (Status st = (*store)->SaveBlocks({*b}); !st.ok()) return Fail(st.message());
    PrintBlock(*b, "table");
    return kExitOk;
  }
  if (what == "remove" && pos.size() == 2) {
    StoreOptions o = ReaderOptions();  // nothing created, but written to
    o.read_only = false;
    auto store = OpenStoreFromArgs(*args, o);
    if (!store.ok()) return Fail(store.status().message());
    int n = 0;
    for (const std::string& key : {pos[1], NormalizeSubject(pos[1])}) {
      auto ended = (*store)->EndBlocks(key, now);
      if (!ended.ok()) return Fail(ended.status().message());
      n += *ended;
      if (n) break;
    }
    std::printf("%d block(s) ended\n", n);
    return n ? kExitOk : kExitFailure;
  }
  if (what == "explain" && pos.size() == 2) {
    auto guard = LoadBlockGuard(args->Get("config"), args->Get("postfix-config-dir"));
    if (!guard.ok()) return Fail(guard.status().message());
    auto store = OpenStoreFromArgs(*args, ReaderOptions());
    if (!store.ok()) return Fail(store.status().message());
    auto blocks = (*store)->LoadBlocks(-1);
    if (!blocks.ok()) return Fail(blocks.status().message());
    const std::string normalized = NormalizeSubject(pos[1]);
    int shown = 0;
    for (const Block& b : *blocks) {
      if (b.key != pos[1] && !(b.kind == "subject" && b.key == normalized)) continue;
      ++shown;
      std::printf("%s %s (%s)\n  rule %s, strike %d, decided on %s\n  %s -> %s%s\n  why: %s\n",
                  b.kind.c_str(), EscapeForLog(b.key, 200).c_str(),
                  b.expires > now ? "active" : "ended", b.rule.c_str(), b.strikes,
                  EscapeForLog(b.origin_host, 100).c_str(), FormatRfc3339(b.created).c_str(),
                  FormatRfc3339(b.expires).c_str(), b.live ? "" : " (replayed lines: not live)",
                  EscapeForLog(b.reason, 300).c_str());
      for (const auto& raw : b.raw_subjects) {
        std::printf("  subject seen: %s\n", EscapeForLog(raw, 200).c_str());
        // What enforcement writes for it, and what that refuses.
        const HeaderCheck check = HeaderChecksLine(raw);
        std::printf("    header_checks: %s\n    matches: %s\n", check.line.c_str(),
                    DescribeHeaderCheck(check).c_str());
      }
      if (b.kind == "subject" && SubjectChars(b.key) < guard->min_subject_chars)
        std::printf(
            "  not enforced here: %zu characters once normalised, fewer than %zu"
            " ([blocks] min_subject_chars)\n",
            SubjectChars(b.key), guard->min_subject_chars);
      if (b.kind != "subject") {
        const auto net = Cidr::Parse(b.key);
        if (const std::string why = net ? ProtectedReason(*guard, *net) : ""; !why.empty())
          std::printf("  not enforced here: %s\n", EscapeForLog(why, 300).c_str());
      }
      for (const auto& qid : b.evidence) {
        SearchQuery q;
        q.qid = qid;
        q.limit = 1;
        Status st = (*store)->Search(q, [](MessageRecord&& r) {
          std::printf("  message %s %s from %s sender <%s> subject %s\n", r.qid.c_str(),
                      FormatRfc3339(r.first_seen).c_str(),
                      EscapeForLog(r.client_ip.empty() ? "-" : r.client_ip, 60).c_str(),
                      EscapeForLog(r.sender.value_or(""), 100).c_str(),
                      EscapeForLog(r.subject.value_or(""), 120).c_str());
        });
        if (!st.ok()) std::printf("  message %s: %s\n", qid.c_str(), st.message().c_str());
      }
    }
    if (shown == 0) return Fail("no block for " + pos[1]);
    return kExitOk;
  }
  std::fputs(kUsage, stderr);
  return kExitUsage;
}

}  // namespace mailtrail::cli
