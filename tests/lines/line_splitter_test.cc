// agent/lines: the one line splitter (chunk boundaries, CRLF, overlong lines)
// and the one gzip reader (truncated and corrupt files), and that the replay's
// LineReader and the live FileStream cut the same bytes into the same lines.
#include "agent/lines/line_splitter.h"

#include <gtest/gtest.h>

#include <zlib.h>

#include <string>
#include <vector>

#include "agent/lines/gzip_file.h"
#include "agent/replay/line_reader.h"
#include "agent/tail/file_stream.h"
#include "tests/support/mem_file_system.h"

namespace mailtrail {
namespace {

struct Got {
  std::string bytes;
  int64_t offset;
  bool overlong;
  bool operator==(const Got&) const = default;
};

void PrintTo(const Got& g, std::ostream* os) {
  *os << "{\"" << g.bytes << "\" @" << g.offset << (g.overlong ? " overlong}" : "}");
}

// Feeds `text` to a splitter `chunk` bytes at a time; Finish() at the end.
std::vector<Got> Split(const std::string& text, size_t max_line, size_t chunk) {
  LineSplitter s(max_line);
  std::vector<Got> out;
  SplitLine l;
  for (size_t at = 0; at < text.size(); at += chunk) {
    LineSplitter::Chunk c{std::string_view(text).substr(at, chunk), static_cast<int64_t>(at)};
    while (s.Next(&c, &l)) out.push_back({std::string(l.bytes), l.offset, l.overlong});
    EXPECT_EQ(c.pos, c.bytes.size());
  }
  if (s.Finish(static_cast<int64_t>(text.size()), &l))
    out.push_back({std::string(l.bytes), l.offset, l.overlong});
  return out;
}

TEST(LineSplitter, EveryChunkSizeGivesTheSameLinesAndOffsets) {
  const std::string text = "one\ntwo two\n\nthree\r\nfour without newline";
  const std::vector<Got> want = {{"one", 0, false},
                                 {"two two", 4, false},
                                 {"", 12, false},
                                 {"three", 13, false},
                                 {"four without newline", 20, false}};
  for (size_t chunk = 1; chunk <= text.size(); ++chunk)
    EXPECT_EQ(Split(text, 64, chunk), want) << "chunk " << chunk;
}

TEST(LineSplitter, CrlfEndsTheLineAndACrElsewhereStays) {
  EXPECT_EQ(Split("a\r\nb\rc\r\n\r\n", 64, 3),
            (std::vector<Got>{{"a", 0, false}, {"b\rc", 3, false}, {"", 8, false}}));
}

TEST(LineSplitter, AnOverlongLineIsHandedOnOnceCutAndTheNextLineIsWhole) {
  const std::string longline(25, 'x');
  const std::string text = "ok\n" + longline + "\nnext\n" + std::string(10, 'y') + "\n";
  const std::vector<Got> want = {{"ok", 0, false},
                                 {std::string(10, 'x'), 3, true},
                                 {"next", 29, false},
                                 {std::string(10, 'y'), 34, false}};  // exactly max_line
  for (size_t chunk = 1; chunk <= text.size(); ++chunk)
    EXPECT_EQ(Split(text, 10, chunk), want) << "chunk " << chunk;
  // Cut before its newline came: no last line made of its rest.
  EXPECT_EQ(Split(longline, 10, 4), (std::vector<Got>{{std::string(10, 'x'), 0, true}}));
}

TEST(LineSplitter, StoppingEarlyLeavesTheRestOfTheChunkUnread) {
  LineSplitter s(64);
  LineSplitter::Chunk c{"a\nb\nc", 100};
  SplitLine l;
  ASSERT_TRUE(s.Next(&c, &l));
  EXPECT_EQ(l.bytes, "a");
  EXPECT_EQ(c.pos, 2u);  // the caller may stop here and read on from offset 102
  ASSERT_TRUE(s.Next(&c, &l));
  EXPECT_EQ(l.offset, 102);
  EXPECT_FALSE(s.Next(&c, &l));
  EXPECT_EQ(s.pending(), 1u);
  ASSERT_TRUE(s.Finish(105, &l));
  EXPECT_EQ(l.bytes, "c");
  EXPECT_EQ(l.offset, 104);
  EXPECT_FALSE(s.Finish(105, &l));
}

TEST(LineSplitter, StartingMidLineSkipsToItsEnd) {
  LineSplitter s(64);
  s.StartMidLine();
  LineSplitter::Chunk c{"rest of a line\nnext\n", 0};
  SplitLine l;
  ASSERT_TRUE(s.Next(&c, &l));
  EXPECT_EQ(l.bytes, "next");
}

// The gzip member of `text` (gzip framing, as gzip(1) writes it).
std::string Gzip(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// What zlib itself decompresses from `gz` before its end or its damage.
std::string InflateUntilStop(const std::string& gz) {
  z_stream z{};
  inflateInit2(&z, 15 + 32);
  std::string out(1 << 22, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_SYNC_FLUSH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

// Lines that vary enough that deflate cannot shrink them to nothing.
std::string SomeLog(int n) {
  std::string text;
  uint32_t x = 12345;
  for (int i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    text +=
        "Nov 27 12:00:00 mx postfix/smtpd[" + std::to_string(i) + "]: " + std::to_string(x) + "\n";
  }
  return text;
}

struct ReadAll {
  std::vector<std::string> lines;
  LineReader::Result last;
  std::string error;
};

ReadAll ReadWithLineReader(MemFileSystem* fs, const std::string& path, size_t max_line) {
  auto r = LineReader::Open(path, max_line, fs);
  EXPECT_TRUE(r.ok()) << r.status().message();
  ReadAll out;
  std::string_view line;
  while (true) {
    out.last = (*r)->Next(&line);
    if (out.last == LineReader::Result::kEnd || out.last == LineReader::Result::kError) break;
    out.lines.emplace_back(line);
  }
  out.error = (*r)->error();
  return out;
}

// The complete lines of `text` (the cut last one left out).
std::vector<std::string> CompleteLines(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  for (size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    out.push_back(text.substr(at, nl - at));
  return out;
}

TEST(GzipReader, ATruncatedFileIsAnErrorAfterEveryLineBeforeTheCut) {
  const std::string text = SomeLog(20000);
  const std::string gz = Gzip(text);
  MemFileSystem fs;
  fs.Append("/log/whole.gz", gz);
  EXPECT_EQ(ReadWithLineReader(&fs, "/log/whole.gz", 1024).lines, CompleteLines(text));
  const std::string cut = gz.substr(0, gz.size() / 2);
  fs.Append("/log/cut.gz", cut);
  const ReadAll got = ReadWithLineReader(&fs, "/log/cut.gz", 1024);
  EXPECT_EQ(got.last, LineReader::Result::kError);
  EXPECT_EQ(got.error, "/log/cut.gz: gzip: unexpected end of file (truncated)");
  const std::vector<std::string> before = CompleteLines(InflateUntilStop(cut));
  ASSERT_GT(before.size(), 1000u);
  EXPECT_EQ(got.lines, before);
}

TEST(GzipReader, ACorruptFileIsAnErrorAfterEveryLineBeforeTheDamage) {
  const std::string text = SomeLog(20000);
  std::string gz = Gzip(text);
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i) gz[i] = static_cast<char>(0xff);
  MemFileSystem fs;
  fs.Append("/log/bad.gz", gz);
  const ReadAll got = ReadWithLineReader(&fs, "/log/bad.gz", 1024);
  EXPECT_EQ(got.last, LineReader::Result::kError);
  EXPECT_EQ(got.error.rfind("/log/bad.gz: gzip: ", 0), 0u) << got.error;
  const std::vector<std::string> before = CompleteLines(InflateUntilStop(gz));
  ASSERT_GT(before.size(), 1000u);
  EXPECT_EQ(got.lines, before);
}

TEST(GzipReader, ConcatenatedMembersReadAsOneFile) {
  MemFileSystem fs;
  fs.Append("/log/two.gz", Gzip("a\nb\n") + Gzip("c\n"));
  const ReadAll got = ReadWithLineReader(&fs, "/log/two.gz", 64);
  EXPECT_EQ(got.last, LineReader::Result::kEnd) << got.error;
  EXPECT_EQ(got.lines, (std::vector<std::string>{"a", "b", "c"}));
}

// A replay's hint of its size (Store::BeginBulkLoad): a gzip file's
// unpacked size from its trailer, never less than the file itself.
TEST(GzipReader, LogBytesCountsAGzipFileUnpacked) {
  const std::string text(100000, 'x');
  MemFileSystem fs;
  fs.Append("/log/plain", text);
  fs.Append("/log/one.gz", Gzip(text));
  fs.Append("/log/two.gz", Gzip("a\n") + Gzip(text));
  fs.Append("/log/cut.gz", Gzip(text).substr(0, 60));
  auto bytes = [&](const std::string& path) {
    auto file = fs.Open(path);
    EXPECT_TRUE(file.ok());
    auto info = (*file)->Stat();
    return LogBytes(file->get(), info->size);
  };
  EXPECT_EQ(bytes("/log/plain"), 100000);
  EXPECT_EQ(bytes("/log/one.gz"), 100000);
  EXPECT_EQ(bytes("/log/two.gz"), 100000) << "the last member's count";
  EXPECT_GE(bytes("/log/cut.gz"), 60) << "its trailer gone: whatever the last bytes say";
}

class Collect : public LineHandler {
 public:
  void OnLine(const TailLine& l) override { lines.push_back({std::string(l.bytes), l.overlong}); }
  std::vector<std::pair<std::string, bool>> lines;
};

// The same bytes, read by the replay and followed live, give
// the same lines: overlong ones cut the same way, CRLF taken off the same way
// (the chunk boundaries are the splitter tests' above).
TEST(LineSplitter, TheReplayAndTheLiveStreamCutTheSameLines) {
  const std::string text = "a\r\n" + std::string(100, 'x') + "\r\nb\n" + std::string(40, 'y') +
                           "\n" + std::string(41, 'z') + "\nc\r\n";
  MemFileSystem fs;
  fs.Append("/log/mail.log", text);
  constexpr size_t kMax = 40;
  auto reader = LineReader::Open("/log/mail.log", kMax, &fs);
  ASSERT_TRUE(reader.ok());
  std::vector<std::pair<std::string, bool>> replayed;
  std::string_view line;
  for (LineReader::Result r; (r = (*reader)->Next(&line)) != LineReader::Result::kEnd;) {
    ASSERT_NE(r, LineReader::Result::kError);
    replayed.emplace_back(std::string(line), r == LineReader::Result::kOverlong);
  }
  FileStreamOptions o;
  o.start_at_end = false;
  o.max_line = kMax;
  FileStream live("/log/mail.log", &fs, o);
  Collect followed;
  ASSERT_TRUE(live.Poll(0, &followed).ok());
  const std::vector<std::pair<std::string, bool>> want = {{"a", false},
                                                          {std::string(40, 'x'), true},
                                                          {"b", false},
                                                          {std::string(40, 'y'), false},
                                                          {std::string(40, 'z'), true},
                                                          {"c", false}};
  EXPECT_EQ(replayed, want);
  EXPECT_EQ(followed.lines, want);
  EXPECT_EQ(live.counters().overlong, 2);
}

}  // namespace
}  // namespace mailtrail
