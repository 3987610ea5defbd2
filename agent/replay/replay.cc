#include "agent/replay/replay.h"

#include <sys/stat.h>

#include <ctime>
#include <memory>
#include <optional>

#include "agent/replay/line_reader.h"
#include "parsers/line_parser.h"

namespace mailtrail {

namespace {

constexpr int64_t kProgressEvery = 16384;

// Year and month of a file's mtime in the log's zone: the reference for yearless
// timestamps (the file was last written after its last line).
void MtimeYearMonth(const std::string& path, int utc_offset, int* year, int* month) {
  struct stat st;
  time_t t = ::stat(path.c_str(), &st) == 0 ? st.st_mtime : 0;
  t += utc_offset;
  struct tm tm;
  gmtime_r(&t, &tm);
  *year = tm.tm_year + 1900;
  *month = tm.tm_mon + 1;
}

}  // namespace

Status Replay(const std::vector<std::string>& files, const ReplayOptions& options, RecordSink* sink,
              LineCounter* counter, const ProgressFn& progress) {
  MessageTracker tracker(options.tracker, sink);
  ReplayProgress p;
  std::vector<std::unique_ptr<LineReader>> readers;
  for (const auto& f : files) {
    auto r = LineReader::Open(f, kMaxLineLength);
    if (!r.ok()) return r.status();
    p.bytes_total += (*r)->raw_size();
    readers.push_back(std::move(*r));
  }
  // With --year the year runs on from file to file; without it, each file's
  // mtime is its reference.
  std::optional<DatedLineParser> dating;
  if (options.year)
    dating.emplace(DatedLineParser::WithYear(options.utc_offset_seconds, *options.year));
  Status status;
  for (size_t i = 0; i < readers.size() && status.ok(); ++i) {
    LineReader& reader = *readers[i];
    if (!options.year) {
      int mtime_year = 0, mtime_month = 0;
      MtimeYearMonth(files[i], options.utc_offset_seconds, &mtime_year, &mtime_month);
      dating.emplace(options.utc_offset_seconds, mtime_year, mtime_month);
    }
    int64_t base = p.bytes_done;
    std::string_view line;
    while (true) {
      const LineReader::Result res = reader.Next(&line);
      if (res == LineReader::Result::kEnd) break;
      if (res == LineReader::Result::kError) {
        status = Status::IoError(reader.error());
        break;
      }
      if (res == LineReader::Result::kOverlong) {
        counter->CountOverlong();
        continue;
      }
      const Event ev = dating->Parse(line);
      counter->Count(ev, line);
      tracker.Process(ev);
      if (counter->lines() % kProgressEvery == 0 && progress) {
        p.lines = counter->lines();
        p.bytes_done = base + reader.raw_offset();
        progress(p);
      }
    }
    p.bytes_done = base + reader.raw_size();
  }
  tracker.FlushAll();
  p.lines = counter->lines();
  if (progress) progress(p);
  return status;
}

}  // namespace mailtrail
