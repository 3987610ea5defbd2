// libFuzzer target: any bytes as what the agent reads back from its own storage
// at start, as a damaged database or spool file would hold it: a checkpoint
// part, a tracker state or change set, a spooled checkpoint update, a spooled
// batch of records. Each is refused cleanly or accepted; what is accepted must
// survive its own round trip, and a tracker restored from it must go on
// working (time passes, every message closes, the records are written).
// Seeds: checkpoint_seeds, from real logs (tests/fuzz/run.sh).
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/run/checkpoint.h"
#include "agent/store/record_codec.h"
#include "agent/store/store.h"
#include "agent/track/record_json.h"
#include "agent/track/tracker.h"

namespace {

constexpr mailtrail::TimeUs kMonth = int64_t{31} * 86400 * 1000000;

// What the agent does with a record: the JSON of `search`, the spool's encoding.
class WriteLikeTheAgent : public mailtrail::RecordSink {
 public:
  void OnRecord(mailtrail::MessageRecord&& r) override {
    std::string json;
    mailtrail::AppendRecordJson(r, &json);
    std::vector<mailtrail::MessageRecord> one;
    one.push_back(std::move(r));
    std::vector<mailtrail::MessageRecord> back;
    if (!mailtrail::DecodeRecords(mailtrail::EncodeRecords(one), &back) || back.size() != 1)
      std::abort();
  }
};

// Spooled records are encoded losslessly: what decodes encodes to itself.
void SpooledRecords(std::string_view bytes) {
  std::vector<mailtrail::MessageRecord> records;
  if (!mailtrail::DecodeRecords(bytes, &records)) return;
  const std::string encoded = mailtrail::EncodeRecords(records);
  std::vector<mailtrail::MessageRecord> again;
  if (!mailtrail::DecodeRecords(encoded, &again) || mailtrail::EncodeRecords(again) != encoded)
    std::abort();
}

void RestoredTracker(std::string_view state) {
  WriteLikeTheAgent sink;
  mailtrail::TrackerOptions options;
  options.emit_at_removed = true;
  options.keep_events = true;
  mailtrail::MessageTracker tracker(options, &sink);
  if (tracker.LoadState(state).ok()) {
    // A loaded state saves to one that loads to the same (in some order).
    const std::string saved = tracker.SaveState();
    mailtrail::MessageTracker again(options, &sink);
    if (!again.LoadState(saved).ok() || again.open_records() != tracker.open_records() ||
        again.SaveState().size() != saved.size())
      std::abort();
    tracker.SaveChanges();
    if (tracker.now() < INT64_MAX - kMonth) tracker.Tick(tracker.now() + kMonth);
    tracker.FlushAll();
  }
  mailtrail::MessageTracker changed(options, &sink);
  if (changed.ApplyChanges(state).ok()) changed.FlushAll();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  SpooledRecords(input);
  static_cast<void>(mailtrail::DecodeCheckpointUpdate(input));  // parts stay opaque bytes
  auto cp = mailtrail::DecodeCheckpoint(input);
  if (!cp.ok()) {
    RestoredTracker(input);
    return 0;
  }
  // A decoded checkpoint encodes to one that decodes to the same.
  auto again = mailtrail::DecodeCheckpoint(mailtrail::EncodeCheckpoint(*cp));
  if (!again.ok() || again->seq != cp->seq || again->streams.size() != cp->streams.size() ||
      again->tracker_state != cp->tracker_state)
    std::abort();
  RestoredTracker(cp->tracker_state);
  return 0;
}
