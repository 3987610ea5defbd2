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

// stats says what became of the lines amavis split: lines read whole, and
// parts not read (a part folded into rsyslog's "message repeated",
// helper-126 F3; a first part whose last never came). Before, a lost line
// left no count at all.
TEST_F(ReplayTest, SplitAmavisLinesAreCountedJoinedOrLost) {
  LineCounter whole, lost;
  Run({Write("split.log", Join(ReadProbeLines("amavis-split.log"), 0, 1000))}, &whole);
  EXPECT_EQ(whole.ToStats().kinds["amavis_joined"], 1);
  EXPECT_EQ(whole.ToStats().kinds.count("amavis_lost"), 0u);
  std::vector<std::string> lines = ReadProbeLines("amavis-repeat-reduced.log");
  const auto first = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("amavis[") != std::string::npos && l.size() > 3 &&
           l.compare(l.size() - 3, 3, "...") == 0;
  });
  ASSERT_NE(first, lines.end());
  lines.push_back(*first);  // a first part whose line never ends
  Run({Write("lost.log", Join(lines, 0, lines.size()))}, &lost);
  // No part was read: the line that lost one to the repeat (its two held
  // parts, then two more without their first), and the line never ended.
  EXPECT_EQ(lost.ToStats().kinds["amavis_lost"], lost.count(EventKind::kAmavisPart));
  EXPECT_EQ(lost.ToStats().kinds["amavis_lost"], 5);
  EXPECT_EQ(lost.ToStats().kinds.count("amavis_joined"), 0u);

  // A line joined again that the parser refuses says so, not "read whole"
  // (helper-127 F6).
  LineCounter unread;
  const auto records = Run(
      {Write("unknown.log", Join(ReadProbeLines("amavis-split-unknown.log"), 0, 1000))}, &unread);
  EXPECT_EQ(unread.ToStats().kinds["amavis_joined"], 2);
  EXPECT_EQ(unread.ToStats().kinds["amavis_joined_unknown"], 1);
  EXPECT_EQ(std::count_if(
                records.begin(), records.end(),
                [](const std::string& r) { return r.find("\"scans\":[{") != std::string::npos; }),
            1);
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

// Issue 17 item 7: `replay mail.log mail.log.1.gz`, the order a shell glob gives,
// made false deferred and in-flight records. The files are read oldest first,
// and the reordering is said.
TEST_F(ReplayTest, FilesGivenNewestFirstAreReadOldestFirstAndThatIsSaid) {
  const auto lines = ReadCorpusLines("06-volume.log.gz");
  LineCounter c1, c2;
  const auto want = Run({Write("whole.log", Join(lines, 0, lines.size()))}, &c1);
  const size_t half = lines.size() / 2;
  const std::string older = Write("mail.log.1.gz", Join(lines, 0, half), /*gzip=*/true);
  const std::string newer = Write("mail.log", Join(lines, half, lines.size()));
  RecordingSink sink;
  ReplayOptions options;
  options.year = 2026;
  std::vector<std::string> notices;
  options.notice = [&](std::string_view n) { notices.emplace_back(n); };
  ASSERT_TRUE(Replay({newer, older}, options, &sink, &c2, nullptr).ok());
  EXPECT_EQ(SortedJson(sink.records), want);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("oldest first"), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find(older + " " + newer), std::string::npos) << notices[0];
  EXPECT_EQ(OrderByFirstTime({newer, older}, 0), (std::vector<std::string>{older, newer}));
  // In order already: nothing said.
  notices.clear();
  RecordingSink again;
  LineCounter c3;
  ASSERT_TRUE(Replay({older, newer}, options, &again, &c3, nullptr).ok());
  EXPECT_TRUE(notices.empty());
}

// Issue 17 item 12: a truncated .gz first in the list stopped the replay; the
// later files are read, and the error names the damaged one.
TEST_F(ReplayTest, ADamagedFileIsNamedAndTheFilesAfterItAreStillRead) {
  const auto lines = ReadCorpusLines("06-volume.log.gz");
  const size_t half = lines.size() / 2;
  const std::string gz = Write("mail.log.1.gz", Join(lines, 0, half), /*gzip=*/true);
  fs::resize_file(gz, fs::file_size(gz) / 2);
  const std::string plain = Write("mail.log", Join(lines, half, lines.size()));
  RecordingSink sink;
  ReplayOptions options;
  options.year = 2026;
  LineCounter counter;
  const Status st = Replay({gz, plain}, options, &sink, &counter, nullptr);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(gz), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find(plain + ":"), std::string::npos) << st.message();
  // Every line of the second file, and some of the first.
  EXPECT_GT(counter.lines(), static_cast<int64_t>(lines.size() - half));
}

// Issue 17 item 10: a file none of whose lines is a Postfix line is not a mail
// log: said, by name, and the replay is an error; the other files still count.
TEST_F(ReplayTest, AFileThatIsNotAMailLogIsAnErrorNamingIt) {
  const auto lines = ReadCorpusLines("01-inbound-local.log.gz");
  LineCounter c1, c2;
  const auto want = Run({Write("mail.log", Join(lines, 0, lines.size()))}, &c1);
  const std::string notes = Write("notes.txt", "shopping list\nmilk\n");
  RecordingSink sink;
  ReplayOptions options;
  options.year = 2026;
  const Status st = Replay({notes, dir_.File("mail.log")}, options, &sink, &c2, nullptr);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(notes + ": not a mail log"), std::string::npos) << st.message();
  EXPECT_EQ(SortedJson(sink.records), want);
  // An empty file (a log just rotated) is no error.
  LineCounter c3;
  Run({Write("empty.log", ""), dir_.File("mail.log")}, &c3);
}

// Issue 17 item 12: CRLF line ends lost a quarter of the records (the CR stayed
// in the last field). The same log with CRLF gives the same records.
TEST_F(ReplayTest, CrlfLineEndsGiveTheSameRecords) {
  const auto lines = ReadCorpusLines("01-inbound-local.log.gz");
  std::string crlf;
  for (const auto& l : lines) crlf += l + "\r\n";
  LineCounter c1, c2;
  const auto want = Run({Write("lf.log", Join(lines, 0, lines.size()))}, &c1);
  const auto got = Run({Write("crlf.log", crlf)}, &c2);
  EXPECT_EQ(got, want);
  EXPECT_EQ(c2.count(EventKind::kUnknown), c1.count(EventKind::kUnknown));
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
