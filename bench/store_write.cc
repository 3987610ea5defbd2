// store_write: records/s into a Store, apart from parsing. Replays FILE into
// memory first, then times writing those records in batches (as AsyncWriter does)
// into a fresh store at the given detail level, and reports the bytes per record
// and the CPU time spent writing. --no-bulk --batch 20000 writes as the live agent
// does: indexes kept up to date, one transaction per batch.
// usage: store_write FILE DB_PATH [minimal|standard|full] [--year Y] [--no-bulk] [--batch N]
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agent/replay/replay.h"
#include "agent/store/store.h"

namespace {
class Collect : public mailtrail::RecordSink {
 public:
  void OnRecord(mailtrail::MessageRecord&& r) override { records.push_back(std::move(r)); }
  std::vector<mailtrail::MessageRecord> records;
};

double CpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int64_t FileSize(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? st.st_size : 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: store_write FILE DB_PATH [minimal|standard|full] [--year Y] [--no-bulk]"
                 " [--batch N]\n");
    return 2;
  }
  const std::string db = argv[2];
  auto detail = mailtrail::Detail::kStandard;
  mailtrail::ReplayOptions options;
  options.year = 2026;
  bool bulk = true;
  size_t batch_size = 2000;
  for (int i = 3; i < argc; ++i) {
    if (auto d = mailtrail::DetailFromName(argv[i])) detail = *d;
    if (std::strcmp(argv[i], "--year") == 0 && i + 1 < argc) options.year = std::atoi(argv[++i]);
    if (std::strcmp(argv[i], "--no-bulk") == 0) bulk = false;
    if (std::strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
      batch_size = std::max(1, std::atoi(argv[++i]));
  }
  options.tracker.keep_events = detail == mailtrail::Detail::kFull;
  Collect sink;
  mailtrail::LineCounter counter;
  const auto read_start = std::chrono::steady_clock::now();
  if (auto st = mailtrail::Replay({argv[1]}, options, &sink, &counter, nullptr); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  const double read_secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count();
  std::printf(
      "replay into memory (file reading, parsing, tracking): %lld lines in %.3f s = "
      "%.0f lines/s\n",
      static_cast<long long>(counter.lines()), read_secs, counter.lines() / read_secs);
  std::remove(db.c_str());
  std::remove((db + "-wal").c_str());
  std::remove((db + "-shm").c_str());
  auto store = mailtrail::OpenStore("sqlite:" + db, detail, true);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  size_t recipients = 0;
  const size_t n = sink.records.size();
  for (const auto& r : sink.records) recipients += r.recipients.size();
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  if (bulk && !(*store)->BeginBulkLoad(mailtrail::Store::kInputUnknown).ok()) return 1;
  for (size_t i = 0; i < sink.records.size(); i += batch_size) {
    std::vector<mailtrail::MessageRecord> batch(
        std::make_move_iterator(sink.records.begin() + static_cast<long>(i)),
        std::make_move_iterator(sink.records.begin() +
                                static_cast<long>(std::min(i + batch_size, sink.records.size()))));
    if (auto st = (*store)->Write(batch); !st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
  }
  if (bulk && !(*store)->EndBulkLoad().ok()) return 1;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu_start;
  store->reset();  // close: checkpoints the WAL into the database file
  const int64_t bytes = FileSize(db) + FileSize(db + "-wal");
  std::printf(
      "%s detail: %zu records (%zu recipients) in %.3f s (%.3f s CPU) = %.0f records/s; "
      "%lld bytes = %.1f bytes/record\n",
      mailtrail::DetailName(detail), n, recipients, secs, cpu, n / secs,
      static_cast<long long>(bytes), static_cast<double>(bytes) / n);
  return 0;
}
