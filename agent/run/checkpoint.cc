#include "agent/run/checkpoint.h"

#include <nlohmann/json.hpp>

#include "agent/track/json_number.h"
#include "base/zstd_text.h"
#include "parsers/envelope.h"

namespace mailtrail {

namespace {
using nlohmann::json;
constexpr int kVersion = 2;  // 2: with the detector's state; 1 is read too
// A tracker state this large is stored zstd-compressed (about 6x smaller: 25.5
// MB of open messages make a 4.0 MB frame in 70 ms); smaller ones stay JSON.
constexpr size_t kCompressFrom = 4096;
// The largest state a checkpoint may declare (about a million open messages).
constexpr size_t kMaxStateBytes = size_t{2} << 30;
}  // namespace

std::string EncodeCheckpoint(const Checkpoint& cp) {
  json streams = json::array();
  for (const auto& s : cp.streams) {
    json positions = json::array();
    for (const auto& p : s.positions) {
      json pos = {p.id.dev,          p.id.ino, p.fingerprint,
                  p.fingerprint_len, p.offset, p.newest_mtime_ns};
      if (p.tail_len > 0) pos.insert(pos.end(), {p.tail_hash, p.tail_len});  // since 2026-12-07
      positions.push_back(std::move(pos));
    }
    json stream = {{"path", s.path}, {"year", s.year}, {"positions", positions}};
    if (s.month != 0) stream["month"] = s.month;
    if (s.last_time != 0) stream["last"] = s.last_time;
    streams.push_back(std::move(stream));
  }
  json j = {{"v", kVersion}, {"seq", cp.seq}, {"streams", streams}};
  if (cp.journal_read) j["journal"] = cp.journal_cursor;
  // The frames after the header's newline: the detector's, then the tracker's.
  std::string frames;
  if (cp.detector_state.size() >= kCompressFrom) {
    std::string frame = ZstdCompress(cp.detector_state);
    if (!frame.empty()) {
      j["detector_zstd"] = {cp.detector_state.size(), frame.size()};
      frames = std::move(frame);
    }
  }
  if (!cp.detector_state.empty() && frames.empty())
    j["detector"] = json::parse(cp.detector_state, nullptr, /*allow_exceptions=*/false);
  if (cp.tracker_state.size() >= kCompressFrom) {
    // The header as one line of JSON (it holds no raw newline), then the frames.
    std::string frame = ZstdCompress(cp.tracker_state);
    if (!frame.empty()) {
      j["tracker_zstd"] = cp.tracker_state.size();
      std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
      out += '\n';
      out += frames;
      out += frame;
      return out;
    }
  }
  if (!frames.empty()) {
    // The tracker's state spliced into the header, the detector's frame after.
    std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
    out.pop_back();
    out += ",\"tracker\":";
    out += json(cp.tracker_state).dump(-1, ' ', false, json::error_handler_t::replace);
    out += "}\n";
    out += frames;
    return out;
  }
  std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
  // The tracker's state is JSON already (MessageTracker::SaveState), often
  // megabytes of it: spliced in as a value instead of escaped into a string.
  // Anything else is kept as a string, as versions before 2026-11-27 wrote it.
  out.pop_back();  // the closing brace
  out += ",\"tracker\":";
  const bool is_json_value = cp.tracker_state.size() >= 2 && cp.tracker_state.front() == '{' &&
                             cp.tracker_state.back() == '}';
  if (is_json_value)
    out += cp.tracker_state;
  else
    out += json(cp.tracker_state).dump(-1, ' ', false, json::error_handler_t::replace);
  out += '}';
  return out;
}

StatusOr<Checkpoint> DecodeCheckpoint(std::string_view bytes) {
  Checkpoint cp;
  const size_t newline = bytes.find('\n');
  std::string_view frame =
      newline == std::string_view::npos ? std::string_view() : bytes.substr(newline + 1);
  try {
    const json j = json::parse(bytes.substr(0, newline));
    const int version = IntFromJson<int>(j.at("v"));
    if (version != 1 && version != kVersion)
      return Status::Corruption("checkpoint of an unknown version");
    if (j.contains("detector_zstd")) {
      const json& d = j.at("detector_zstd");
      const size_t plain = IntFromJson<size_t>(d.at(0)), size = IntFromJson<size_t>(d.at(1));
      if (size > frame.size() ||
          !ZstdDecompress(frame.substr(0, size), plain, kMaxStateBytes, &cp.detector_state))
        return Status::Corruption("checkpoint: the detector state does not decompress");
      frame.remove_prefix(size);
    } else if (j.contains("detector")) {
      cp.detector_state = j.at("detector").dump();
    }
    if (j.contains("journal")) {
      cp.journal_read = true;
      cp.journal_cursor = j.at("journal").get<std::string>();
    }
    if (j.contains("seq")) cp.seq = IntFromJson<int64_t>(j.at("seq"));  // absent before 2026-11-28
    for (const json& s : j.at("streams")) {
      Checkpoint::Stream stream;
      stream.path = s.at("path").get<std::string>();
      stream.year = IntFromJson<int>(s.at("year"));
      if (stream.year < 0 || stream.year > YearRollover::kLastYear)
        throw json::other_error::create(501, "a year out of range", &s);
      if (s.contains("month")) stream.month = IntFromJson<int>(s.at("month"));
      if (stream.month < 0 || stream.month > 12)
        throw json::other_error::create(501, "a month out of range", &s);
      if (s.contains("last")) stream.last_time = IntFromJson<int64_t>(s.at("last"));
      for (const json& p : s.at("positions")) {
        StreamPosition pos;
        pos.id = {IntFromJson<uint64_t>(p.at(0)), IntFromJson<uint64_t>(p.at(1))};
        pos.fingerprint = IntFromJson<uint64_t>(p.at(2));
        pos.fingerprint_len = IntFromJson<uint32_t>(p.at(3));
        pos.offset = IntFromJson<int64_t>(p.at(4));
        if (p.size() > 5)
          pos.newest_mtime_ns = IntFromJson<int64_t>(p.at(5));  // absent before 2026-11
        if (p.size() > 7) {  // absent before 2026-12-07, and for a .gz
          pos.tail_hash = IntFromJson<uint64_t>(p.at(6));
          pos.tail_len = IntFromJson<uint32_t>(p.at(7));
        }
        stream.positions.push_back(pos);
      }
      cp.streams.push_back(std::move(stream));
    }
    if (j.contains("tracker_zstd")) {
      if (!ZstdDecompress(frame, IntFromJson<size_t>(j.at("tracker_zstd")), kMaxStateBytes,
                          &cp.tracker_state))
        return Status::Corruption("checkpoint: the tracker state does not decompress");
    } else {
      const json& tracker = j.at("tracker");
      cp.tracker_state = tracker.is_string() ? tracker.get<std::string>() : tracker.dump();
    }
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("checkpoint: ") + e.what());
  }
  return cp;
}

}  // namespace mailtrail
