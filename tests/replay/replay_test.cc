// Replay over real files: hostile input, rotated sets, compressed files, years.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/replay/replay.h"
#include "tests/support/corpus.h"
#include "tests/support/sorted_json.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

namespace fs = std::filesystem;

class ReplayTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes, bool gzip = false) {
    const std::string path = dir_.File(name);
    if (gzip) {
      gzFile gz = gzopen(path.c_str(), "wb");
      gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
      gzclose(gz);
    } else {
      std::ofstream(path, std::ios::binary) << bytes;
    }
    return path;
  }

  // The records of a replay as sorted JSON lines (comparable as sets).
  std::vector<std::string> Run(const std::vector<std::string>& files, LineCounter* counter,
                               std::optional<int> year = 2026) {
    RecordingSink sink;
    ReplayOptions options;
    options.year = year;
    EXPECT_TRUE(Replay(files, options, &sink, counter, nullptr).ok());
    return SortedJson(sink.records);
  }

  static std::string Join(const std::vector<std::string>& lines, size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to && i < lines.size(); ++i) out += lines[i] + "\n";
    return out;
  }

  TempDir dir_{"mt_replay"};
};

TEST_F(ReplayTest, HostileLinesAreCountedAndLoseNothingElse) {
  const auto lines = ReadCorpusLines("01-inbound-local.log.gz");
  const std::string clean = Join(lines, 0, lines.size());
  LineCounter clean_counter;
  const auto want = Run({Write("clean.log", clean)}, &clean_counter);
  ASSERT_GT(want.size(), 100u);

  std::string dirty;
  for (size_t i = 0; i < lines.size(); ++i) {
    dirty += lines[i] + "\n";
    switch (i % 97) {
      case 3:
        dirty += std::string("\x00\x01\xff\xfe binary \x00", 14) + "\n";
        break;
      case 17:
        dirty += lines[i].substr(0, lines[i].size() / 2) + "\n";
        break;  // truncated copy
      case 29:
        dirty +=
            "Nov 27 12:03:25 mx postfix/cleanup[1]: 91FEA10A3" + std::string(1, '\0') + "05: x\n";
        break;
      case 41:
        dirty += "Nov 27 12:03:25 mx postfix/smtpd[9]: warning: \xc3\x28\xa0\xa1 invalid utf-8\n";
        break;
      case 53:
        dirty += "Nov 27 12:03:25 mx postfix/smtpd[9]: connect from x[1.2.3.4]" +
                 std::string(1 << 20, 'A') + "\n";
        break;
      case 67:
        dirty += "Nov 27 12:03:25 mx dovecot[400]: imap(u): Logged out\n";
        break;
      default:
        break;
    }
  }
  dirty.pop_back();  // the file ends mid-line: its last line has no newline
  LineCounter counter;
  const auto got = Run({Write("dirty.log", dirty)}, &counter);
  EXPECT_EQ(got, want);
  EXPECT_GT(counter.overlong(), 0);
  EXPECT_GT(counter.count(EventKind::kUnparsable), 0);
  EXPECT_GT(counter.count(EventKind::kForeign), 0);
  EXPECT_EQ(counter.lines() + counter.overlong(),
            clean_counter.lines() +
                static_cast<int64_t>(std::count(dirty.begin(), dirty.end(), '\n')) + 1 -
                static_cast<int64_t>(lines.size()));
}

TEST_F(ReplayTest, RotatedSetInOrderEqualsTheWholeFile) {
  const auto lines = ReadCorpusLines("06-volume.log.gz");
  LineCounter c1, c2;
  const auto want = Run({Write("whole.log", Join(lines, 0, lines.size()))}, &c1);
  const size_t a = lines.size() / 3, b = 2 * lines.size() / 3;
  const auto got =
      Run({Write("mail.log.2.gz", Join(lines, 0, a), /*gzip=*/true),
           Write("mail.log.1", Join(lines, a, b)), Write("mail.log", Join(lines, b, lines.size()))},
          &c2);
  EXPECT_EQ(c1.lines(), c2.lines());
  EXPECT_EQ(got.size(), want.size());
  EXPECT_EQ(got, want);
}

// `replay --host mx1` (and `run --host`, through the same tracker option): the
// records carry the name asked for, not the log's host field; lines are still
// joined as before.
TEST_F(ReplayTest, HostOptionNamesTheRecordsHost) {
  const std::string path =
      Write("mail.log",
            "Nov 27 10:00:01 localhost postfix/pickup[1]: 44C4B10A321: uid=0 from=<root>\n"
            "Nov 27 10:00:01 localhost postfix/qmgr[2]: 44C4B10A321: from=<root@mx1.test>, "
            "size=300, nrcpt=1 (queue active)\n"
            "Nov 27 10:00:02 localhost postfix/local[3]: 44C4B10A321: to=<a@mx1.test>, "
            "relay=local, delay=1, dsn=2.0.0, status=sent (delivered to mailbox)\n"
            "Nov 27 10:00:02 localhost postfix/qmgr[2]: 44C4B10A321: removed\n");
  RecordingSink sink;
  ReplayOptions options;
  options.year = 2026;
  options.tracker.host = "mx1";
  LineCounter counter;
  ASSERT_TRUE(Replay({path}, options, &sink, &counter, nullptr).ok());
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].host, "mx1");
  EXPECT_EQ(sink.records[0].outcome, Outcome::kDelivered);
  EXPECT_EQ(sink.records[0].recipients.size(), 1u);
}

TEST_F(ReplayTest, YearComesFromMtimeAndRollsOverInsideAFile) {
  const std::string path =
      Write("mail.log",
            "Dec 31 23:59:59 mx postfix/pickup[1]: 44C4B10A321: uid=0 from=<root>\n"
            "Jan  1 00:00:01 mx postfix/pickup[1]: 55C4B10A321: uid=0 from=<root>\n");
  struct utimbuf t;
  t.actime = t.modtime = 1799193600;  // 2027-01-06T00:00:00Z
  ASSERT_EQ(utime(path.c_str(), &t), 0);
  LineCounter counter;
  const auto got = Run({path}, &counter, std::nullopt);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0].find("\"first_seen\":\"2026-12-31T23:59:59Z\""), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("\"first_seen\":\"2027-01-01T00:00:01Z\""), std::string::npos) << got[1];
}

}  // namespace
}  // namespace mailtrail
