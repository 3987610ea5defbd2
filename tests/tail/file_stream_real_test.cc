// FileStream on real files: the rotation kinds logrotate and Postfix use, done
// with the real system calls (rename, truncate, unlink, symlink).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "agent/tail/file_stream.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class Collect : public LineHandler {
 public:
  void OnLine(const TailLine& l) override { lines.emplace_back(l.bytes); }
  std::vector<std::string> lines;
};

void Append(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
}

FileStreamOptions FromStart() {
  FileStreamOptions o;
  o.start_at_end = false;
  return o;
}

TEST(FileStreamRealFiles, EveryRotationKindLosesAndRepeatsNothing) {
  TempDir dir("mt_tail");
  const std::string log = dir.File("mail.log");
  Append(log, "1\n");
  FileStream s(log, RealFileSystem(), FromStart());
  Collect c;
  TimeUs now = 0;
  auto poll = [&] {
    now += kUsPerSecond;
    ASSERT_TRUE(s.Poll(now, &c).ok());
  };
  poll();
  // logrotate "create": rename, new file.
  Append(log, "2\n");
  std::filesystem::rename(log, log + ".1");
  Append(log + ".1", "3-late\n");
  Append(log, "4\n");
  poll();
  // copytruncate.
  Append(log, "5\n");
  poll();
  std::filesystem::resize_file(log, 0);
  Append(log, "6\n");
  poll();
  // delete + recreate.
  ASSERT_EQ(::unlink(log.c_str()), 0);
  Append(log, "7\n");
  poll();
  // A symlink swapped to another file.
  const std::string a = dir.File("a.log"), b = dir.File("b.log");
  Append(b, "8\n");
  ASSERT_EQ(::unlink(log.c_str()), 0);
  std::filesystem::create_symlink(b, log);
  poll();
  Append(a, "9\n");
  std::filesystem::create_symlink(a, dir.File("tmp"));
  std::filesystem::rename(dir.File("tmp"), log);  // atomic swap
  poll();
  for (int i = 0; i < 10; ++i) poll();
  EXPECT_EQ(c.lines, (std::vector<std::string>{"1", "2", "3-late", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(s.counters().rotations, 4);
  EXPECT_EQ(s.counters().truncations, 1);
  EXPECT_EQ(s.draining(), 0u);
}

// logrotate run twice between two polls, with real files and the file
// system's own modification times: the file in between, never seen at the
// path, is read whole between the two others; the older generation beside
// them and another log (mail.log.err) are not.
TEST(FileStreamRealFiles, TwoRotationsBetweenTwoPollsLoseNothing) {
  TempDir dir("mt_tail");
  const std::string log = dir.File("mail.log");
  Append(log + ".3", "not read: older\n");
  std::filesystem::last_write_time(
      log + ".3", std::filesystem::file_time_type::clock::now() - std::chrono::hours(24));
  Append(log + ".err", "not read: another log\n");
  Append(log, "1\n");
  FileStream s(log, RealFileSystem(), FromStart());
  Collect c;
  ASSERT_TRUE(s.Poll(kUsPerSecond, &c).ok());
  Append(log, "2\n");
  std::filesystem::rename(log, log + ".1");
  Append(log, "3\n");
  std::filesystem::rename(log + ".1", log + ".2");
  std::filesystem::rename(log, log + ".1");
  Append(log, "4\n");
  ASSERT_TRUE(s.Poll(2 * kUsPerSecond, &c).ok());
  Append(log + ".err", "not read: written on\n");
  ASSERT_TRUE(s.Poll(20 * kUsPerSecond, &c).ok());
  EXPECT_EQ(c.lines, (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(s.counters().rotated_between_polls, 1);
}

// The same after `touch -d +1h mail.log` (helper-145 C): the kernel's change
// time, which no program sets, bounds the modification time.
TEST(FileStreamRealFiles, ALogTouchedIntoTheFutureHidesNoRotatedFile) {
  TempDir dir("mt_tail");
  const std::string log = dir.File("mail.log");
  Append(log, "1\n");
  FileStream s(log, RealFileSystem(), FromStart());
  Collect c;
  ASSERT_TRUE(s.Poll(kUsPerSecond, &c).ok());
  std::filesystem::last_write_time(
      log, std::filesystem::file_time_type::clock::now() + std::chrono::hours(1));
  ASSERT_TRUE(s.Poll(2 * kUsPerSecond, &c).ok());
  std::filesystem::rename(log, log + ".1");
  Append(log, "2\n");
  std::filesystem::rename(log + ".1", log + ".2");
  std::filesystem::rename(log, log + ".1");
  Append(log, "3\n");
  ASSERT_TRUE(s.Poll(3 * kUsPerSecond, &c).ok());
  ASSERT_TRUE(s.Poll(30 * kUsPerSecond, &c).ok());
  EXPECT_EQ(c.lines, (std::vector<std::string>{"1", "2", "3"}));
}

TEST(FileStreamRealFiles, RestartFromAPositionOnTheSameFile) {
  TempDir dir("mt_tail");
  const std::string log = dir.File("mail.log");
  Append(log, "a\nb\n");
  StreamPosition pos;
  {
    FileStream s(log, RealFileSystem(), FromStart());
    Collect c;
    ASSERT_TRUE(s.Poll(0, &c, 1).ok());
    pos = s.position();
  }
  Append(log, "c\n");
  FileStream s(log, RealFileSystem());
  s.RestoreTo(pos);
  Collect c;
  ASSERT_TRUE(s.Poll(0, &c).ok());
  EXPECT_EQ(c.lines, (std::vector<std::string>{"b", "c"}));
}

}  // namespace
}  // namespace mailtrail
