// store_write: records/s into a Store, apart from parsing. Replays FILE into
// memory first, then times writing those records in batches (as AsyncWriter does)
// into a fresh store at the given detail level, and reports the bytes per record.
// usage: store_write FILE DB_PATH [minimal|standard|full] [--year Y] [--no-bulk]
#include <sys/stat.h>

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

int64_t FileSize(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? st.st_size : 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(
        stderr, "usage: store_write FILE DB_PATH [minimal|standard|full] [--year Y] [--no-bulk]\n");
    return 2;
  }
  const std::string db = argv[2];
  auto detail = mailtrail::Detail::kStandard;
  mailtrail::ReplayOptions options;
  options.year = 2026;
  bool bulk = true;
  for (int i = 3; i < argc; ++i) {
    if (auto d = mailtrail::DetailFromName(argv[i])) detail = *d;
    if (std::strcmp(argv[i], "--year") == 0 && i + 1 < argc) options.year = std::atoi(argv[++i]);
    if (std::strcmp(argv[i], "--no-bulk") == 0) bulk = false;
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
  if (bulk && !(*store)->BeginBulkLoad().ok()) return 1;
  constexpr size_t kBatch = 2000;
  for (size_t i = 0; i < sink.records.size(); i += kBatch) {
    std::vector<mailtrail::MessageRecord> batch(
        std::make_move_iterator(sink.records.begin() + static_cast<long>(i)),
        std::make_move_iterator(sink.records.begin() +
                                static_cast<long>(std::min(i + kBatch, sink.records.size()))));
    if (auto st = (*store)->Write(batch); !st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
  }
  if (bulk && !(*store)->EndBulkLoad().ok()) return 1;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  store->reset();  // close: checkpoints the WAL into the database file
  const int64_t bytes = FileSize(db) + FileSize(db + "-wal");
  std::printf(
      "%s detail: %zu records (%zu recipients) in %.3f s = %.0f records/s; "
      "%lld bytes = %.1f bytes/record\n",
      mailtrail::DetailName(detail), n, recipients, secs, n / secs, static_cast<long long>(bytes),
      static_cast<double>(bytes) / n);
  return 0;
}
