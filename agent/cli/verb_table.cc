// The one list of `mailtrail`'s verbs: each verb's spec and the function that
// runs it, one row each. main(), `mailtrail --help`, `help VERB`, the man page
// and the completion all read this table, so a new verb is added here only.
#include "agent/cli/verbs.h"

namespace mailtrail::cli {

const std::vector<Verb>& AllVerbs() {
  // In the order `mailtrail --help` lists them.
  static const std::vector<Verb> verbs = {
      {&kReplayVerb, ReplayMain},
      {&kSearchVerb, SearchMain},
      {&kShowVerb, ShowMain},
      {&kStatsVerb, StatsMain},
      {&kReportVerb, ReportMain},
      {&kRunVerb, RunMain},
      {&kEnforceVerb, EnforceMain},
      {&kCheckConfigVerb, CheckConfigMain},
      {&kDbVerb, DbMain},
      {&kDetectVerb, DetectMain},
      {&kBlocksVerb, BlocksMain},
      {&kQueueVerb, QueueMain},
      {&kWebVerb, RegisteredWebMain},  // the console's code links this library
      {&kVersionVerb, VersionMain},
  };
  return verbs;
}

const std::vector<const VerbSpec*>& AllVerbSpecs() {
  static const std::vector<const VerbSpec*> specs = [] {
    std::vector<const VerbSpec*> out;
    for (const Verb& v : AllVerbs()) out.push_back(v.spec);
    return out;
  }();
  return specs;
}

const Verb* FindVerb(std::string_view name) {
  for (const Verb& v : AllVerbs())
    if (name == v.spec->name) return &v;
  return nullptr;
}

}  // namespace mailtrail::cli
