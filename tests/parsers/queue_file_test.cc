// ParseQueueFile against the real queue files of tests/data/queue (copied from
// a running Postfix 3.7: deferred, active, hold, incoming; short and long ids;
// null-sender NDRs), each checked field by field against what `postcat` printed
// for the same file; then truncated, corrupted and hostile files.
#include "parsers/queue_file.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mailtrail {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What postcat printed, taken apart.
struct Postcat {
  std::string sender, arrival;
  bool has_sender = false, ended = false;
  int64_t message_size = -1;
  std::vector<std::string> recipients, originals, attributes;
  std::vector<std::pair<std::string, std::string>> headers;
};

Postcat ReadPostcat(const std::string& text) {
  Postcat p;
  std::istringstream in(text);
  std::string line;
  enum { kEnvelope, kHeaders, kBody, kExtracted, kOther } where = kOther;
  while (std::getline(in, line)) {
    if (line.rfind("*** ENVELOPE", 0) == 0) {
      where = kEnvelope;
      continue;
    }
    if (line.rfind("*** MESSAGE CONTENTS", 0) == 0) {
      where = kHeaders;
      continue;
    }
    if (line.rfind("*** HEADER EXTRACTED", 0) == 0) {
      where = kExtracted;
      continue;
    }
    if (line.rfind("*** MESSAGE FILE END", 0) == 0) p.ended = true;
    if (line.rfind("***", 0) == 0) {
      where = kOther;
      continue;
    }
    auto value = [&](const char* prefix) -> std::optional<std::string> {
      if (line.rfind(prefix, 0) != 0) return std::nullopt;
      std::string v = line.substr(std::strlen(prefix));
      return v;
    };
    if (where == kEnvelope || where == kExtracted) {
      if (auto v = value("sender: ")) {
        p.sender = *v, p.has_sender = true;
      } else if (line == "sender:") {
        p.has_sender = true;
      } else if (auto v = value("recipient: ")) {
        p.recipients.push_back(*v);
      } else if (auto v = value("done_recipient: ")) {
        p.recipients.push_back(*v);
      } else if (auto v = value("original_recipient: ")) {
        p.originals.push_back(*v);
      } else if (auto v = value("named_attribute: ")) {
        p.attributes.push_back(*v);
      } else if (auto v = value("message_arrival_time: ")) {
        p.arrival = *v;
      } else if (auto v = value("message_size: ")) {
        p.message_size = std::stoll(*v);
      }
    } else if (where == kHeaders) {
      if (line.empty()) {
        where = kBody;
      } else if ((line[0] == ' ' || line[0] == '\t') && !p.headers.empty()) {
        size_t i = line.find_first_not_of(" \t");
        p.headers.back().second += " " + line.substr(i);
      } else {
        size_t colon = line.find(':');
        std::string v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        p.headers.emplace_back(line.substr(0, colon), v);
      }
    }
  }
  return p;
}

std::string Asctime(int64_t t) {  // postcat's format, in UTC (the corpus machine's zone)
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm);
  return buf;
}

std::vector<fs::path> QueueFiles() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(MT_SOURCE_DIR "/tests/data/queue"))
    if (e.is_regular_file() && !e.path().has_extension()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(QueueFile, EveryRealFileMatchesPostcat) {
  const auto files = QueueFiles();
  ASSERT_GE(files.size(), 28u);
  int parsed = 0, ndrs = 0, long_ids = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    const std::string bytes = Slurp(path);
    const Postcat want = ReadPostcat(Slurp(path.string() + ".postcat.txt"));
    auto got = ParseQueueFile(bytes);
    if (bytes.empty()) {  // the incoming file of a client that stalled before DATA
      ASSERT_FALSE(got.ok());
      EXPECT_NE(got.status().message().find("empty"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(got.ok()) << got.status().message();
    ++parsed;
    long_ids += path.filename().string().size() > 12;
    const QueueFile& q = *got;
    EXPECT_TRUE(q.complete);
    EXPECT_TRUE(want.ended);
    EXPECT_EQ(q.has_sender, want.has_sender);
    EXPECT_EQ(q.sender, want.sender);
    EXPECT_EQ(q.message_size, want.message_size);
    EXPECT_EQ(Asctime(q.arrival_sec), want.arrival);
    std::vector<std::string> rcpts, originals;
    for (const auto& r : q.recipients) {
      rcpts.push_back(r.address);
      if (!r.original.empty()) originals.push_back(r.original);
    }
    EXPECT_EQ(rcpts, want.recipients);
    EXPECT_EQ(originals, want.originals);
    ASSERT_FALSE(want.attributes.empty());
    std::vector<std::string> attributes;  // postcat shows create_time apart
    for (const auto& [k, v] : q.attributes)
      if (k != "create_time") attributes.push_back(k + "=" + v);
    EXPECT_EQ(attributes, want.attributes);
    EXPECT_EQ(q.headers, want.headers);
    for (const auto& [name, value] : want.headers) {
      if (name == "Subject") {
        EXPECT_EQ(q.subject, value);
      }
      if (strcasecmp(name.c_str(), "Message-ID") == 0) {
        EXPECT_EQ(q.message_id, value);
      }
      if (name == "From") {
        EXPECT_EQ(q.from, value);
      }
    }
    EXPECT_FALSE(q.subject.empty());
    EXPECT_FALSE(q.message_id.empty());
    if (q.LooksLikeBounce()) {
      ++ndrs;
      EXPECT_EQ(q.subject, "Undelivered Mail Returned to Sender");
    }
  }
  EXPECT_EQ(parsed, 27);
  EXPECT_EQ(ndrs, 3) << "the three deferred NDRs to forged senders in 08";
  EXPECT_GE(long_ids, 16);
}

std::string Rec(char type, std::string_view data) {
  std::string out(1, type);
  size_t len = data.size();
  do {
    unsigned char b = len & 0x7f;
    len >>= 7;
    if (len) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (len);
  out.append(data);
  return out;
}

std::string Minimal() {
  return Rec('C', "             10              0               1") +
         Rec('T', "1795781153 926853") + Rec('S', "a@example.test") + Rec('R', "b@example.test") +
         Rec('M', "") + Rec('N', "Subject: hello") + Rec('N', "") + Rec('N', "body") +
         Rec('X', "") + Rec('E', "");
}

TEST(QueueFile, LongLinesAndPointers) {
  auto q = ParseQueueFile(Minimal());
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->subject, "hello");
  EXPECT_EQ(q->recipients.size(), 1u);
  // A header in two L pieces and a folded line.
  std::string f = Rec('C', "1 0 1") + Rec('T', "1") + Rec('S', "") + Rec('M', "") +
                  Rec('L', "Subject: a very ") + Rec('N', "long one") + Rec('N', "\tfolded") +
                  Rec('N', "") + Rec('X', "") + Rec('E', "");
  q = ParseQueueFile(f);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->subject, "a very long one folded");
  EXPECT_TRUE(q->LooksLikeBounce());
  // A pointer record that jumps over garbage to the rest.
  std::string head = Rec('C', "1 0 1") + Rec('T', "1") + Rec('S', "x@y");
  std::string tail = Rec('R', "late@example.test") + Rec('M', "") + Rec('X', "") + Rec('E', "");
  const std::string garbage = "\xff\xff\xff";
  const size_t to = head.size() + 4 + garbage.size();  // a 2-digit pointer record is 4 bytes
  const std::string ptr = Rec('p', std::to_string(to));
  ASSERT_EQ(ptr.size(), 4u);
  const std::string file = head + ptr + garbage + tail;
  q = ParseQueueFile(file);
  ASSERT_TRUE(q.ok()) << q.status().message();
  ASSERT_EQ(q->recipients.size(), 1u);
  EXPECT_EQ(q->recipients[0].address, "late@example.test");
}

TEST(QueueFile, CorruptFilesAreErrorsNamingTheOffset) {
  auto msg = [](std::string_view bytes) {
    auto q = ParseQueueFile(bytes);
    return q.ok() ? std::string("ok") : q.status().message();
  };
  EXPECT_EQ(msg(""), "queue file: empty (still being written, or truncated)");
  EXPECT_EQ(msg("Received: from x\n"),
            "queue file: not a queue file (no size record first) at offset 0");
  std::string m = Minimal();
  EXPECT_EQ(msg(m.substr(0, m.size() - 1)),
            "queue file: record cut in its length at offset " + std::to_string(m.size() - 2));
  EXPECT_EQ(msg(Rec('C', "1") + std::string("R\x7f") + "short"),
            "queue file: record length 127 past the end of the file at offset 3");
  EXPECT_EQ(msg(Rec('C', "1") + std::string("R\xff\xff\xff\xff\xff\x01")),
            "queue file: record length too long at offset 3");
  EXPECT_EQ(msg(Rec('C', "1") + Rec('Z', "")), "queue file: unknown record type 0x5a at offset 3");
  EXPECT_EQ(msg(Rec('C', "1") + Rec('p', "999999")),
            "queue file: pointer past the end of the file at offset 3");
  // A pointer to itself: stopped by the record cap, not an endless loop.
  QueueFileLimits small;
  small.max_records = 1000;
  auto loop = ParseQueueFile(Rec('C', "1") + Rec('p', "3"), small);
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.status().message().find("pointer loop"), std::string::npos);
}

TEST(QueueFile, EveryTruncationOfARealFileIsSafe) {
  const auto files = QueueFiles();
  int incomplete = 0, errors = 0;
  for (const auto& path : {files.front(), files.back()}) {
    const std::string bytes = Slurp(path);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto q = ParseQueueFile(std::string_view(bytes).substr(0, n));
      if (q.ok()) {
        EXPECT_FALSE(q->complete) << n;
        ++incomplete;
      } else {
        ++errors;
      }
    }
  }
  EXPECT_GT(incomplete, 0);
  EXPECT_GT(errors, 0);
}

TEST(QueueFile, CapsHoldOnHostileContent) {
  std::string f = Rec('C', "1 0 1") + Rec('T', "1") + Rec('S', "x@y");
  for (int i = 0; i < 50; ++i) f += Rec('R', "r" + std::to_string(i) + "@example.test");
  f += Rec('M', "") + Rec('N', "Subject: " + std::string(100000, 'A'));
  for (int i = 0; i < 500; ++i) f += Rec('N', "X-H" + std::to_string(i) + ": v");
  f += Rec('N', "") + Rec('X', "") + Rec('E', "");
  QueueFileLimits l;
  l.max_recipients = 10;
  l.max_headers = 20;
  l.max_header_bytes = 100;
  auto q = ParseQueueFile(f, l);
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->recipients.size(), 10u);
  EXPECT_EQ(q->recipients_dropped, 40u);
  EXPECT_EQ(q->headers.size(), 20u);
  // The line is cut at 100 bytes before it is split into name and value.
  EXPECT_EQ(q->subject, std::string(100 - std::string("Subject: ").size(), 'A'));
}

}  // namespace
}  // namespace mailtrail
