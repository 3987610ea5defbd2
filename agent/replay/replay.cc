#include "agent/replay/replay.h"

#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <limits>
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

// The time of the first dated line among the first few, dated as a replay
// without --year would date it; 0 when there is none.
TimeUs FirstTime(const std::string& path, int utc_offset) {
  constexpr int kPeekLines = 1000;
  auto reader = LineReader::Open(path, kMaxLineLength);
  if (!reader.ok()) return 0;
  int year = 0, month = 0;
  MtimeYearMonth(path, utc_offset, &year, &month);
  DatedLineParser dating(utc_offset, year, month);
  std::string_view line;
  for (int i = 0; i < kPeekLines; ++i) {
    const LineReader::Result res = (*reader)->Next(&line);
    if (res == LineReader::Result::kEnd || res == LineReader::Result::kError) break;
    if (res != LineReader::Result::kLine) continue;
    const Event ev = dating.Parse(line);
    if (ev.time != 0) return ev.time;
  }
  return 0;
}

bool IsPostfixLine(const Event& ev) {
  return ev.kind != EventKind::kUnparsable && ev.kind != EventKind::kForeign;
}

}  // namespace

std::vector<std::string> OrderByFirstTime(const std::vector<std::string>& files,
                                          int utc_offset_seconds) {
  std::vector<std::pair<TimeUs, size_t>> keys;
  for (size_t i = 0; i < files.size(); ++i) {
    const TimeUs t = FirstTime(files[i], utc_offset_seconds);
    keys.emplace_back(t == 0 ? std::numeric_limits<TimeUs>::max() : t, i);
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(files[k.second]);
  return out;
}

Status Replay(const std::vector<std::string>& given, const ReplayOptions& options, RecordSink* sink,
              LineCounter* counter, const ProgressFn& progress) {
  MessageTracker tracker(options.tracker, sink);
  ReplayProgress p;
  std::vector<std::unique_ptr<LineReader>> readers;
  const std::vector<std::string> files = OrderByFirstTime(given, options.utc_offset_seconds);
  if (files != given && options.notice) {
    std::string order;
    for (const auto& f : files) order += (order.empty() ? "" : " ") + f;
    options.notice("reading the files oldest first (by their first time stamps), not as given: " +
                   order);
  }
  for (const auto& f : files) {  // every file can be opened, or nothing is read
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
  std::vector<std::string> problems;
  for (size_t i = 0; i < readers.size(); ++i) {
    LineReader& reader = *readers[i];
    if (!options.year) {
      int mtime_year = 0, mtime_month = 0;
      MtimeYearMonth(files[i], options.utc_offset_seconds, &mtime_year, &mtime_month);
      dating.emplace(options.utc_offset_seconds, mtime_year, mtime_month);
    }
    int64_t base = p.bytes_done;
    int64_t lines = 0, postfix_lines = 0;
    std::string_view line;
    while (true) {
      const LineReader::Result res = reader.Next(&line);
      if (res == LineReader::Result::kEnd) break;
      if (res == LineReader::Result::kError) {
        // Damaged part-way (a truncated .gz): what came before its damage is
        // kept, and the files after it are still read.
        problems.push_back(reader.error() + " (damaged after " + std::to_string(lines) +
                           " lines; the other files were read)");
        break;
      }
      ++lines;
      if (res == LineReader::Result::kOverlong) {
        counter->CountOverlong();
        continue;
      }
      const Event ev = dating->Parse(line);
      postfix_lines += IsPostfixLine(ev);
      counter->Count(ev, line);
      tracker.Process(ev);
      if (counter->lines() % kProgressEvery == 0 && progress) {
        p.lines = counter->lines();
        p.bytes_done = base + reader.raw_offset();
        progress(p);
      }
    }
    if (lines > 0 && postfix_lines == 0)
      problems.push_back(files[i] + ": not a mail log (none of its " + std::to_string(lines) +
                         " lines is a Postfix line)");
    p.bytes_done = base + reader.raw_size();
  }
  tracker.FlushAll();
  counter->SetAmavisLines(tracker.amavis_lines_joined(), tracker.amavis_joined_unknown(),
                          tracker.amavis_parts_lost(), tracker.amavis_scans_refused());
  p.lines = counter->lines();
  if (progress) progress(p);
  if (problems.empty()) return Status::Ok();
  std::string all;
  for (const auto& m : problems) all += (all.empty() ? "" : "; ") + m;
  return Status::IoError(all);
}

}  // namespace mailtrail
