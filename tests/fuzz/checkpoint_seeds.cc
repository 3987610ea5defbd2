// Writes seeds for checkpoint_fuzz: the checkpoint parts, tracker states,
// change sets, spool blobs and record batches the live agent makes from real
// logs, so that the fuzzer starts from what a damaged database or spool would
// hold rather than from nothing.
// usage: checkpoint_seeds OUT_DIR LOG...   (plain-text logs, classic syslog)
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "agent/run/checkpoint.h"
#include "agent/store/record_codec.h"
#include "agent/store/store.h"
#include "agent/track/tracker.h"
#include "parsers/line_parser.h"

namespace {

class Collect : public mailtrail::RecordSink {
 public:
  void OnRecord(mailtrail::MessageRecord&& r) override { records.push_back(std::move(r)); }
  std::vector<mailtrail::MessageRecord> records;
};

class SeedWriter {
 public:
  explicit SeedWriter(std::string dir) : dir_(std::move(dir)) {}
  void Write(const std::string& kind, const std::string& bytes) {
    std::ofstream(dir_ + "/" + kind + "." + std::to_string(++n_), std::ios::binary) << bytes;
  }
  int written() const { return n_; }

 private:
  std::string dir_;
  int n_ = 0;
};

std::string Part(const std::string& state, int64_t seq, int64_t offset) {
  mailtrail::Checkpoint cp;
  cp.seq = seq;
  cp.streams.push_back({"/var/log/mail.log", {{{2049, 131}, 0x9e3779b9, 256, offset, 0}}, 2024});
  cp.tracker_state = state;
  return mailtrail::EncodeCheckpoint(cp);
}

// Every `every` lines: a whole state or a change set, raw and as a checkpoint
// part; every batch of records, encoded as the spool keeps them.
void SeedsFromLog(const std::string& path, SeedWriter* out) {
  std::ifstream in(path);
  auto parser = mailtrail::DatedLineParser::WithYear(0, 2024);
  Collect sink;
  mailtrail::TrackerOptions options;
  options.emit_at_removed = true;
  options.keep_events = true;
  mailtrail::MessageTracker tracker(options, &sink);
  std::string line;
  int64_t n = 0, offset = 0, seq = 0;
  const int64_t every = 40;
  // Larger inputs only slow the fuzzer down (tests/fuzz/run.sh: -max_len).
  constexpr size_t kMaxSeed = 12 * 1024;
  while (std::getline(in, line)) {
    offset += static_cast<int64_t>(line.size()) + 1;
    tracker.Process(parser.Parse(line));
    if (++n % every != 0) continue;
    const bool whole = n % (every * 5) == every;
    std::string state = whole ? tracker.SaveState() : tracker.SaveChanges();
    if (whole) tracker.MarkSaved();
    if (state.size() > kMaxSeed) continue;  // the structure matters, not the size
    out->Write(whole ? "state" : "changes", state);
    const std::string part = Part(state, ++seq, offset);
    out->Write("part", part);
    out->Write("update",
               mailtrail::EncodeCheckpointUpdate(mailtrail::CheckpointUpdate::Append(part)));
    if (!sink.records.empty()) {
      out->Write("records", mailtrail::EncodeRecords(sink.records));
      sink.records.clear();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: checkpoint_seeds OUT_DIR LOG...\n");
    return 2;
  }
  SeedWriter out(argv[1]);
  for (int i = 2; i < argc; ++i) SeedsFromLog(argv[i], &out);
  std::printf("checkpoint_seeds: %d seeds\n", out.written());
  return out.written() > 0 ? 0 : 1;
}
