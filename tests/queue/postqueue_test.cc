// `postqueue -j` counted as it comes: a queue far larger than a program's
// kept output (1 MiB, about 3,000 messages) is counted whole; its output cut
// anywhere counts the same; a postqueue that hangs is stopped with the agent
// (helper-147), and a failed one leaves the last counts standing.
#include "agent/queue/postqueue.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "agent/queue/queue_watcher.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

// One line as postqueue -j prints it; `bounce`: the null sender, deferred.
std::string Line(int i, bool bounce) {
  return std::string(R"({"queue_name": ")") + (bounce ? "deferred" : "active") +
         R"(", "queue_id": "4Q)" + std::to_string(100000 + i) + R"(", "arrival_time": )" +
         std::to_string(1764000000 + i) +
         R"(, "message_size": 2048, "forced_expire": false, "sender": ")" +
         (bounce ? "MAILER-DAEMON" : "user@example.org") +
         R"(", "recipients": [{"address": "victim)" + std::to_string(i) +
         R"(@forged.example", "delay_reason": "connect to mx.forged.example[192.0.2.1]:25: Connection refused"}]})" +
         "\n";
}

// A program that prints `text` and ignores its arguments, as postqueue
// would be called.
std::string Program(const TempDir& dir, const std::string& text, const std::string& then = "") {
  const std::string out = dir.File("postqueue.out");
  std::ofstream(out, std::ios::binary) << text;
  const std::string prog = dir.File("postqueue");
  std::ofstream(prog) << "#!/bin/sh\ncat '" << out << "'\n" << then;
  chmod(prog.c_str(), 0755);
  return prog;
}

TEST(Postqueue, AQueueOfManyMessagesIsCountedWhole) {
  TempDir dir("mt_postqueue");
  std::string text;
  for (int i = 0; i < 20000; ++i) text += Line(i, i % 4 == 0);
  ASSERT_GT(text.size(), 4u << 20);
  const QueueScan s = ScanWithPostqueue(Program(dir, text), "/etc/postfix");
  ASSERT_TRUE(s.walk.ok()) << s.walk.message();
  EXPECT_EQ(s.files, 20000);
  EXPECT_EQ(s.corrupt, 0);
  EXPECT_EQ(s.deferred_bounces, 5000);
  EXPECT_EQ(s.per_queue.at("active"), 15000);
  EXPECT_EQ(s.bounce_domains.at("forged.example"), 5000);
  EXPECT_EQ(s.oldest_bounce, 1764000000);
}

TEST(Postqueue, OutputCutAnywhereCountsTheSame) {
  std::string text = Line(1, true) + "not json\n" + Line(2, false) + "\n" + Line(3, true);
  text.pop_back();  // the last line without its newline
  const QueueScan whole = ScanPostqueueJson(text);
  EXPECT_EQ(whole.files, 3);
  EXPECT_EQ(whole.corrupt, 1);
  for (size_t step = 1; step < 9; ++step) {
    PostqueueJsonCounter c;
    for (size_t at = 0; at < text.size(); at += step) c.Feed(text.substr(at, step));
    const QueueScan s = c.Finish();
    EXPECT_EQ(s.files, whole.files) << step;
    EXPECT_EQ(s.deferred_bounces, 2) << step;
    EXPECT_EQ(s.corrupt, 1) << step;
    ASSERT_EQ(s.errors.size(), 1u);
    EXPECT_EQ(s.errors[0], "postqueue line 2: not json");
  }
}

TEST(Postqueue, ALineTooLongIsCorruptAndTheRestCounted) {
  PostqueueJsonCounter c;
  c.Feed(Line(1, true));
  c.Feed(R"({"queue_name": "deferred", "recipients": [)");
  const std::string many(1 << 20, 'x');
  for (int i = 0; i < 17; ++i) c.Feed(many);
  c.Feed("]}\n" + Line(2, true));
  const QueueScan s = c.Finish();
  EXPECT_EQ(s.files, 2);
  EXPECT_EQ(s.deferred_bounces, 2);
  EXPECT_EQ(s.corrupt, 1);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].rfind("postqueue line 2: over 16 MiB, skipped", 0), 0u) << s.errors[0];
}

TEST(Postqueue, AFailedPostqueueCountsNothing) {
  TempDir dir("mt_postqueue");
  // It printed part of the queue, then failed: not the queue.
  const QueueScan s =
      ScanWithPostqueue(Program(dir, Line(1, true),
                                "echo 'postqueue: fatal: Queue report unavailable' >&2; exit 1\n"),
                        "/etc/postfix");
  EXPECT_FALSE(s.walk.ok());
  EXPECT_NE(s.walk.message().find("Queue report unavailable"), std::string::npos);
  EXPECT_EQ(s.files, 0);
}

TEST(Postqueue, AFailedScanLeavesTheLastCountsStanding) {
  TempDir dir("mt_postqueue");
  QueueHintCache cache;
  QueueWatcherOptions o;
  o.read_files = false;
  o.scan_interval = 60 * kUsPerSecond;
  o.postqueue = Program(dir, Line(1, true) + Line(2, false) + Line(3, true));
  FakeClock clock;
  const TimeUs t0 = clock.MonotonicNow();
  QueueWatcher w(o, &cache, &clock);
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(clock.WaitUntil([&] { return w.scans() == 1; }));
  EXPECT_EQ(w.queued_files(), 3);
  EXPECT_EQ(w.deferred_bounces(), 2);
  Program(dir, "", "echo 'postqueue: fatal: Queue report unavailable' >&2; exit 1\n");
  clock.Advance(o.scan_interval);
  ASSERT_TRUE(clock.WaitUntil(
      [&] { return w.scans() == 2 && clock.NextAlarm() == t0 + 2 * o.scan_interval; }));
  w.Stop();
  EXPECT_EQ(w.queued_files(), 3) << "not a queue said empty";
  EXPECT_EQ(w.deferred_bounces(), 2);
  EXPECT_EQ(w.scans_failed(), 1) << "but counted as a failure (helper-148)";
}

TEST(Postqueue, AHungPostqueueIsStoppedWithTheWatcher) {
  TempDir dir("mt_postqueue");
  QueueHintCache cache;
  QueueWatcherOptions o;
  o.read_files = false;
  o.postqueue = Program(dir, Line(1, true), "exec sleep 600\n");
  FakeClock clock;
  QueueWatcher w(o, &cache, &clock);
  ASSERT_TRUE(w.Start().ok());
  w.Stop();  // hangs until postqueue ends without the stop descriptor
  EXPECT_EQ(w.queued_files(), 0) << "the stopped scan counted nothing";
  EXPECT_EQ(w.scans_failed(), 0) << "stopped with us: no failure";
}

}  // namespace
}  // namespace mailtrail
