// The lines of a compressed test corpus (tests/data/corpus/NAME), and of a
// hostile-input probe (tests/data/probes/NAME, plain text).
#ifndef MAILTRAIL_TESTS_SUPPORT_CORPUS_H_
#define MAILTRAIL_TESTS_SUPPORT_CORPUS_H_

#include <zlib.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mailtrail {

inline std::vector<std::string> ReadCorpusLines(const std::string& name) {
  std::vector<std::string> lines;
  gzFile gz = gzopen((std::string(MT_SOURCE_DIR) + "/tests/data/corpus/" + name).c_str(), "rb");
  if (gz == nullptr) return lines;
  std::string all;
  char buf[65536];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
  gzclose(gz);
  std::istringstream in(all);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

inline std::vector<std::string> ReadProbeLines(const std::string& name) {
  std::ifstream in(std::string(MT_SOURCE_DIR) + "/tests/data/probes/" + name);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_CORPUS_H_
