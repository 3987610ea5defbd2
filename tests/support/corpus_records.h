// The records of five corpora replayed in one run (inbound, rejects, outbound
// with bounces, a backscatter flood, volume): what the report tests sum.
// With `two_hosts`, corpora 05 and 06 are logged by syslog host "mx2" instead
// of "mx", so that one store holds two hosts.
#ifndef MAILTRAIL_TESTS_SUPPORT_CORPUS_RECORDS_H_
#define MAILTRAIL_TESTS_SUPPORT_CORPUS_RECORDS_H_

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "agent/replay/replay.h"
#include "tests/support/corpus.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {

inline std::vector<MessageRecord> ReplayFiveCorpora(const TempDir& dir, bool two_hosts) {
  std::vector<std::string> files;
  for (const char* name : {"01-inbound-local", "02-smtp-rejects", "03-outbound-relay-bounce",
                           "05-backscatter-flood", "06-volume"}) {
    const bool second = two_hosts && (name[1] == '5' || name[1] == '6');
    std::ofstream out(dir.File(std::string(name) + ".log"));
    for (std::string line : ReadCorpusLines(std::string(name) + ".log.gz")) {
      if (second && line.size() > 19 && line.compare(15, 4, " mx ") == 0)
        line.replace(15, 4, " mx2 ");
      out << line << "\n";
    }
    files.push_back(dir.File(std::string(name) + ".log"));
  }
  RecordingSink sink;
  ReplayOptions options;
  options.year = 2026;
  LineCounter counter;
  EXPECT_TRUE(Replay(files, options, &sink, &counter, nullptr).ok());
  return std::move(sink.records);
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_CORPUS_RECORDS_H_
