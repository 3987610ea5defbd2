// mailtrail: the command-line entry point. Wires the verbs (the one table,
// agent/cli/verb_table.cc) to the real clock.
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
  std::string verb = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  mailtrail::RealClock clock;
  mailtrail::cli::RegisterWebConsole();  // `run` serves the console, `web` runs it
  // Not rows of the table: `help` has no spec (it prints the others'), and
  // `version` is another spelling of the `--version` verb.
  if (verb == "help") return mailtrail::cli::HelpMain(args, clock);
  if (verb == "version") verb = "--version";
  if (const mailtrail::cli::Verb* v = mailtrail::cli::FindVerb(verb)) return v->run(args, clock);
  std::fprintf(stderr, "mailtrail: unknown verb '%s'\n%s", verb.c_str(),
               mailtrail::cli::TopHelp().c_str());
  return mailtrail::cli::kExitUsage;
}
