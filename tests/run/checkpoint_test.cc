// The checkpoint's encoding: positions and the tracker's state come back as
// they went in, the state is spliced in as JSON (not escaped into a string) or,
// when large, compressed; checkpoints written the older way still read.
#include "agent/run/checkpoint.h"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/log_lines.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

Checkpoint Sample(std::string tracker_state) {
  Checkpoint cp;
  Checkpoint::Stream s;
  s.path = "/var/log/mail.log";
  s.year = 2026;
  s.month = 12;
  s.last_time = 1798761599000000;
  StreamPosition p;
  p.id = {2049, 1234567};
  p.fingerprint = 0xfedcba9876543210ULL;
  p.fingerprint_len = 120;
  p.offset = 987654321;
  p.newest_mtime_ns = 1764200000123456789;
  s.positions = {p, p};
  s.positions[1].offset = 5;
  s.positions[1].tail_hash = 0x0123456789abcdefULL;  // the first has none (a .gz)
  s.positions[1].tail_len = 64;
  cp.streams.push_back(s);
  cp.tracker_state = std::move(tracker_state);
  return cp;
}

TEST(Checkpoint, RoundTripsWithTheTrackerStateSplicedIn) {
  TrackerHarness h;
  h.Feed({"Nov 27 10:00:00 mx postfix/smtpd[100]: connect from a.example[192.0.2.1]",
          "Nov 27 10:00:00 mx postfix/smtpd[100]: 4A1B2C3D4E: client=a.example[192.0.2.1]",
          "Nov 27 10:00:01 mx postfix/qmgr[102]: 4A1B2C3D4E: from=<\"q\\\\uote\"@b>, size=100,"
          " nrcpt=1 (queue active)"});
  const std::string state = h.tracker().SaveState();
  const std::string bytes = EncodeCheckpoint(Sample(state));
  EXPECT_NE(bytes.find("\"tracker\":{"), std::string::npos) << bytes;
  auto back = DecodeCheckpoint(bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->streams.size(), 1u);
  const auto& s = back->streams[0];
  EXPECT_EQ(s.path, "/var/log/mail.log");
  EXPECT_EQ(s.year, 2026);
  EXPECT_EQ(s.month, 12);
  EXPECT_EQ(s.last_time, 1798761599000000);
  ASSERT_EQ(s.positions.size(), 2u);
  EXPECT_EQ(s.positions[0].id.dev, 2049u);
  EXPECT_EQ(s.positions[0].id.ino, 1234567u);
  EXPECT_EQ(s.positions[0].fingerprint, 0xfedcba9876543210ULL);
  EXPECT_EQ(s.positions[0].fingerprint_len, 120u);
  EXPECT_EQ(s.positions[0].offset, 987654321);
  EXPECT_EQ(s.positions[0].newest_mtime_ns, 1764200000123456789);
  EXPECT_EQ(s.positions[1].offset, 5);
  EXPECT_EQ(s.positions[0].tail_len, 0u);
  EXPECT_EQ(s.positions[1].tail_hash, 0x0123456789abcdefULL);
  EXPECT_EQ(s.positions[1].tail_len, 64u);
  EXPECT_EQ(nlohmann::json::parse(back->tracker_state), nlohmann::json::parse(state));
  TrackerHarness restored;
  ASSERT_TRUE(restored.tracker().LoadState(back->tracker_state).ok());
  EXPECT_EQ(restored.tracker().SaveState(), state);
}

TEST(Checkpoint, TheOlderFormWithTheStateAsAStringStillReads) {
  const std::string older =
      R"({"v":1,"streams":[{"path":"/l","year":2025,"positions":[[1,2,3,4,5]]}],)"
      R"("tracker":"{\"v\":2,\"records\":[]}"})";
  auto cp = DecodeCheckpoint(older);
  ASSERT_TRUE(cp.ok()) << cp.status().message();
  EXPECT_EQ(cp->tracker_state, "{\"v\":2,\"records\":[]}");
  ASSERT_EQ(cp->streams.size(), 1u);
  EXPECT_EQ(cp->streams[0].positions[0].offset, 5);
  EXPECT_EQ(cp->streams[0].positions[0].newest_mtime_ns, 0);
}

TEST(Checkpoint, AStateThatIsNotAnObjectStaysAString) {
  for (const std::string state : {"", "not json", "[1,2]"}) {
    auto cp = DecodeCheckpoint(EncodeCheckpoint(Sample(state)));
    ASSERT_TRUE(cp.ok()) << cp.status().message();
    EXPECT_EQ(cp->tracker_state, state);
  }
  EXPECT_FALSE(DecodeCheckpoint("{\"v\":1,\"streams\":[],\"tracker\":").ok());
  EXPECT_FALSE(DecodeCheckpoint("{\"v\":7,\"streams\":[],\"tracker\":\"\"}").ok());
}

// A large deferred queue makes a large state: it is stored compressed, after
// a first line that still says where the logs stand.
TEST(Checkpoint, ALargeStateIsCompressedAndComesBackExactly) {
  TrackerHarness h;
  h.Feed(QueuedMessageLines(200, "Nov 27 10:00:01"));
  Checkpoint cp = Sample(h.tracker().SaveState());
  cp.seq = 42;
  ASSERT_GT(cp.tracker_state.size(), 20000u);
  const std::string bytes = EncodeCheckpoint(cp);
  EXPECT_LT(bytes.size(), cp.tracker_state.size() / 3);
  const std::string first_line = bytes.substr(0, bytes.find('\n'));
  const auto header = nlohmann::json::parse(first_line);
  EXPECT_EQ(header.at("tracker_zstd").get<size_t>(), cp.tracker_state.size());
  EXPECT_EQ(header.at("streams").at(0).at("positions").at(0).at(4).get<int64_t>(), 987654321);
  auto back = DecodeCheckpoint(bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->tracker_state, cp.tracker_state);
  EXPECT_EQ(back->seq, 42);
  EXPECT_EQ(back->streams[0].positions[1].offset, 5);
  // Damage is refused, never half read: a cut frame, another declared size.
  EXPECT_FALSE(DecodeCheckpoint(bytes.substr(0, bytes.size() - 10)).ok());
  std::string other = bytes;
  const std::string size = "\"tracker_zstd\":" + std::to_string(cp.tracker_state.size());
  ASSERT_NE(other.find(size), std::string::npos);
  other.replace(other.find(size), size.size(),
                "\"tracker_zstd\":" + std::to_string(cp.tracker_state.size() + 1));
  EXPECT_FALSE(DecodeCheckpoint(other).ok());
  EXPECT_FALSE(DecodeCheckpoint(first_line).ok()) << "the frame is missing";
  // A flipped bit anywhere in the frame is refused (the frame's checksum) or
  // changes nothing; never another state read back as if it were this one.
  const size_t frame = first_line.size() + 1;
  int refused = 0;
  for (size_t i = frame + 16; i < bytes.size(); i += (bytes.size() - frame) / 40) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    auto read = DecodeCheckpoint(flipped);
    if (read.ok())
      EXPECT_EQ(read->tracker_state, cp.tracker_state) << "a bit flipped at " << i;
    else
      ++refused;
  }
  EXPECT_GT(refused, 30);
}

TEST(Checkpoint, TheJournalCursorComesBackAndIsAbsentWithoutTheJournal) {
  Checkpoint cp;
  cp.tracker_state = "{}";
  cp.journal_read = true;
  cp.journal_cursor =
      "s=88e4f887d91c4d48ad2651273120028e;i=aff;b=5f0b;m=2538689;t=66140ff66eac0;x=c0f";
  auto back = DecodeCheckpoint(EncodeCheckpoint(cp));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->journal_read);
  EXPECT_EQ(back->journal_cursor, cp.journal_cursor);
  // Read, with nothing there yet: "" and still read (the next start reads
  // from the head, not from the end).
  cp.journal_cursor.clear();
  back = DecodeCheckpoint(EncodeCheckpoint(cp));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->journal_read);
  EXPECT_EQ(back->journal_cursor, "");
  cp.journal_read = false;
  back = DecodeCheckpoint(EncodeCheckpoint(cp));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->journal_read);
}

TEST(Checkpoint, ASmallStateStaysReadableJson) {
  const std::string bytes = EncodeCheckpoint(Sample("{\"v\":2,\"records\":[]}"));
  EXPECT_EQ(bytes.find('\n'), std::string::npos);
  EXPECT_NE(bytes.find("\"tracker\":{\"v\":2"), std::string::npos) << bytes;
}

}  // namespace
}  // namespace mailtrail
