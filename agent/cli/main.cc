// mailtrail: the command-line entry point. Wires the verbs to the real clock.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/cli/verbs.h"
#include "base/real_clock.h"

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(mailtrail::cli::TopHelp().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? mailtrail::cli::kExitUsage : 0;
  }
  const std::string verb = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  mailtrail::RealClock clock;
  mailtrail::cli::RegisterLiveConsole();  // `run` serves the console when [web] says so
  struct {
    const char* name;
    int (*run)(const std::vector<std::string>&, const mailtrail::Clock&);
  } const kVerbs[] = {
      // One verb a line.
      // clang-format off
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
      {"help", mailtrail::cli::HelpMain},
      // clang-format on
  };
  for (const auto& v : kVerbs)
    if (verb == v.name) return v.run(args, clock);
  std::fprintf(stderr, "mailtrail: unknown verb '%s'\n%s", verb.c_str(),
               mailtrail::cli::TopHelp().c_str());
  return mailtrail::cli::kExitUsage;
}
