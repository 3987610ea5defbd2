// Runs every tests/parsers/corpus/*.txt file: each "LINE <raw>" is parsed with
// year 2026, UTC, and its DumpEvent must equal the "WANT <dump>" line after it.
// MT_REGENERATE=1 rewrites the WANT lines (then review the diff by eye).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "parsers/line_parser.h"
#include "tests/support/event_dump.h"

namespace mailtrail {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> CorpusFiles() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(MT_SOURCE_DIR) / "tests/parsers/corpus"))
    if (e.path().extension() == ".txt") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ParserCorpus, EveryLineParsesToItsExpectedEvent) {
  const bool regenerate = std::getenv("MT_REGENERATE") != nullptr;
  ParseContext ctx;
  ctx.year = 2026;
  size_t checked = 0;
  for (const auto& path : CorpusFiles()) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::ostringstream rewritten;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& l = lines[i];
      if (l.rfind("WANT ", 0) == 0) continue;  // consumed with its LINE
      rewritten << l << "\n";
      if (l.rfind("LINE ", 0) != 0) continue;
      const std::string raw = l.substr(5);
      const std::string got = DumpEvent(ParseLine(raw, ctx));
      rewritten << "WANT " << got << "\n";
      if (regenerate) continue;
      ASSERT_TRUE(i + 1 < lines.size() && lines[i + 1].rfind("WANT ", 0) == 0)
          << path << ":" << i + 1 << ": LINE without WANT";
      EXPECT_EQ(got, lines[i + 1].substr(5)) << path.filename() << ":" << i + 1 << "\n  " << raw;
      ++checked;
    }
    if (regenerate) std::ofstream(path, std::ios::binary) << rewritten.str();
  }
  if (!regenerate) {
    EXPECT_GT(checked, 100u);
  }
}

}  // namespace
}  // namespace mailtrail
