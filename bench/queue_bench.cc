// Queue file reading, measured: the real queue files of tests/data/queue read
// once from disk, then parsed over and over (ParseQueueFile, the pure part);
// then the whole directory scan (ScanQueue: open, read, parse every file).
// Prints files/s and MB/s for each.
// usage: queue_bench [SECONDS]   (default 3 per measurement)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/queue/queue_dir.h"
#include "parsers/queue_file.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const fs::path data = fs::path(MT_SOURCE_DIR) / "tests/data/queue";
  std::vector<std::string> files;
  size_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(data)) {
    if (!e.is_regular_file() || e.path().has_extension() || e.file_size() == 0) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files.push_back(ss.str());
    bytes += files.back().size();
  }
  std::printf("%zu real queue files, %zu bytes (mean %zu)\n", files.size(), bytes,
              bytes / files.size());
  // Parse only.
  size_t parsed = 0, parsed_bytes = 0, subjects = 0;
  auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    for (const auto& f : files) {
      auto q = mailtrail::ParseQueueFile(f);
      if (q.ok() && !q->subject.empty()) ++subjects;
      ++parsed;
      parsed_bytes += f.size();
    }
  }
  double t = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("parse:  %.0f files/s, %.0f MB/s (%zu files, %zu with a subject)\n", parsed / t,
              parsed_bytes / t / 1e6, parsed, subjects);
  // Scan: every queue directory of the samples, from disk (page cache).
  size_t scanned = 0;
  start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    for (const char* d : {"03-outbound-relay-bounce", "06-volume", "08-long-queue-ids"})
      scanned += mailtrail::ScanQueue((data / d).string()).files;
  }
  t = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("scan:   %.0f files/s (open, read, parse; %zu files)\n", scanned / t, scanned);
  return 0;
}
