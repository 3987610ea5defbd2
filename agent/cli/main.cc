// mailtrail: the command-line entry point. Wires the verbs to the real clock.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/cli/verbs.h"

namespace {

class SystemClock : public mailtrail::Clock {
 public:
  mailtrail::TimeUs WallNow() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
  mailtrail::TimeUs MonotonicNow() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
  }
};

constexpr const char* kUsage =
    "usage: mailtrail VERB [options]\n"
    "  replay FILE...   read Postfix logs (plain or .gz, in order) into the store\n"
    "  search           find message records (--format table|jsonl)\n"
    "  show QID|MSGID   the life of one message, with its linked legs and NDRs\n"
    "  stats            line kinds seen, unknown lines, records by outcome\n"
    "  report           a summary of a time window: totals, top senders, domains, rejects\n"
    "  run              follow the mail log live (through rotations and restarts)\n"
    "  enforce          --reconcile: make the Postfix tables and firewalls match the store\n"
    "  check-config     check a configuration file (exit 78 when it is wrong)\n"
    "  db migrate|purge|forget-checkpoint\n"
    "                   create/upgrade the store's schema; drop old days; start afresh\n"
    "  detect FILE...   the backscatter blocks logs would cause (nothing enforced)\n"
    "  blocks ...       list, add, remove, explain the blocks kept in the store\n"
    "  queue show|scan  one Postfix queue file; what waits in the queue (bounces)\n"
    "  web              the web console: search, messages, blocks (read-only, loopback)\n"
    "  --version        the version, git revision, store schema and libraries\n"
    "Run `mailtrail VERB --help` for a verb's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? mailtrail::cli::kExitUsage : 0;
  }
  const std::string verb = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  SystemClock clock;
  struct {
    const char* name;
    int (*run)(const std::vector<std::string>&, const mailtrail::Clock&);
  } const kVerbs[] = {
      {"replay", mailtrail::cli::ReplayMain},
      {"search", mailtrail::cli::SearchMain},
      {"show", mailtrail::cli::ShowMain},
      {"stats", mailtrail::cli::StatsMain},
      {"run", mailtrail::cli::RunMain},
      {"check-config", mailtrail::cli::CheckConfigMain},
      {"db", mailtrail::cli::DbMain},
      {"detect", mailtrail::cli::DetectMain},
      {"blocks", mailtrail::cli::BlocksMain},
      {"queue", mailtrail::cli::QueueMain},
      {"report", mailtrail::cli::ReportMain},
      {"enforce", mailtrail::cli::EnforceMain},
      {"web", mailtrail::cli::WebMain},
      {"--version", mailtrail::cli::VersionMain},
      {"version", mailtrail::cli::VersionMain},
  };
  for (const auto& v : kVerbs)
    if (verb == v.name) return v.run(args, clock);
  std::fprintf(stderr, "mailtrail: unknown verb '%s'\n%s", verb.c_str(), kUsage);
  return mailtrail::cli::kExitUsage;
}
