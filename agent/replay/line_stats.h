// LineCounter: counts what the parsers made of each line, per kind, and keeps a
// bounded, escaped sample of lines nobody understood (issue 2: `mailtrail stats`).
#ifndef MAILTRAIL_AGENT_REPLAY_LINE_STATS_H_
#define MAILTRAIL_AGENT_REPLAY_LINE_STATS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "agent/store/store.h"
#include "parsers/event.h"

namespace mailtrail {

class LineCounter {
 public:
  static constexpr size_t kMaxSamplesPerProgram = 5;
  static constexpr size_t kMaxPrograms = 64;

  void Count(const Event& ev, std::string_view line);
  void CountOverlong() { ++overlong_; }
  int64_t lines() const { return lines_; }
  int64_t count(EventKind k) const { return by_kind_[static_cast<int>(k)]; }
  int64_t overlong() const { return overlong_; }
  // Lines with a field longer than a record keeps (kMaxFieldBytes).
  int64_t long_fields() const { return long_fields_; }
  // Lines Postfix cut at 2000 bytes (Event::cut): their trailer is not read.
  int64_t cut() const { return cut_; }

  // What the tracker made of the lines amavis split (kAmavisPart): lines read
  // whole again, and parts not read (MessageTracker::amavis_lines_joined);
  // and main lines refused as a task's second (amavis_scans_refused).
  void SetAmavisLines(int64_t joined, int64_t joined_unknown, int64_t lost, int64_t refused) {
    amavis_joined_ = joined;
    amavis_joined_unknown_ = joined_unknown;
    amavis_lost_ = lost;
    amavis_refused_ = refused;
  }

  // Everything counted so far, as the store keeps it.
  LineStats ToStats() const;

 private:
  int64_t lines_ = 0;
  int64_t overlong_ = 0;
  int64_t long_fields_ = 0;
  int64_t cut_ = 0;
  int64_t amavis_joined_ = 0, amavis_joined_unknown_ = 0, amavis_lost_ = 0, amavis_refused_ = 0;
  std::array<int64_t, kEventKindCount> by_kind_{};
  std::map<std::string, int64_t> unknown_by_program_;
  std::map<std::string, std::vector<std::string>> samples_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_REPLAY_LINE_STATS_H_
