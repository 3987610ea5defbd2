// QueueWatcher on a real directory laid out like Postfix's queue, with real
// queue files: the first scan reads what waits (and counts the deferred NDRs);
// a file completed in incoming/ (cleanup's chmod) and one moved into active/
// (qmgr's rename) are read through inotify; a damaged file is counted, not
// cached, and stops nothing.
#include "agent/queue/queue_watcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/run/agent.h"
#include "tests/support/fake_clock.h"
#include "tests/support/mem_file_system.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

namespace fs = std::filesystem;
const fs::path kData = fs::path(MT_SOURCE_DIR) / "tests/data/queue";

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

// The watcher's thread sets the clock's alarm each time it has handled what
// woke it (a scan, a batch of inotify events) and waits again: the tests wait
// for that (FakeClock::WaitUntil), not for a time.

TEST(QueueWatcher, ReadsWhatWaitsAndWhatArrives) {
  TempDir dir("mt_queue");
  const fs::path q = dir.path();
  for (const char* d : {"incoming", "active", "deferred/A", "deferred/1", "hold", "corrupt"})
    fs::create_directories(q / d);
  const fs::path q08 = kData / "08-long-queue-ids";
  for (const char* f : {"deferred/A/4jbXWM4s33z8CD0", "deferred/1/4jbXWP0VcYz8CD9",
                        "deferred/1/4jbXWd0smVz8CDg", "hold/4jbXWW0SRjz8CBC"})
    fs::copy_file(q08 / f, q / f);
  QueueHintCache cache;
  QueueWatcherOptions o;
  o.queue_dir = q.string();
  o.scan_interval = 3600 * kUsPerSecond;  // only the first scan; the rest by inotify
  o.bounce_alert = 3;
  FakeClock clock;
  QueueWatcher w(o, &cache, &clock);
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(clock.WaitUntil([&] { return w.scans() >= 1 && cache.size() == 4; }));
  EXPECT_EQ(w.deferred_bounces(), 3);
  EXPECT_EQ(w.queued_files(), 4);
  auto held = cache.Get("4jbXWW0SRjz8CBC");
  ASSERT_TRUE(held);
  EXPECT_EQ(held->subject, "Case 79698: status changed");
  EXPECT_EQ(held->message_id, "<20261127121752.2f11ae8d1aa9@northwind.test>");
  EXPECT_FALSE(held->bounce);
  auto ndr = cache.Get("4jbXWM4s33z8CD0");
  ASSERT_TRUE(ndr);
  EXPECT_TRUE(ndr->bounce);
  EXPECT_EQ(ndr->from, "Mail Delivery System <MAILER-DAEMON@example.test>");

  // cleanup: written at mode 0600, complete when the execute bit is set.
  const std::string e27 = Slurp(kData / "03-outbound-relay-bounce/deferred/E/E27AC10A362");
  const fs::path incoming = q / "incoming/E27AC10A362";
  Write(incoming, e27.substr(0, e27.size() / 2));
  ::chmod(incoming.c_str(), 0600);
  Write(incoming, e27);
  ASSERT_EQ(::chmod(incoming.c_str(), 0700), 0);
  ASSERT_TRUE(clock.WaitUntil([&] { return cache.Has("E27AC10A362"); }));
  EXPECT_EQ(cache.Get("E27AC10A362")->subject, "TEMPDATA report 1");

  // qmgr: renamed into active/.
  const std::string a = Slurp(q08 / "active/4jbXWk1ZjFz8CDm");
  Write(q / "tmp-file", a);
  fs::rename(q / "tmp-file", q / "active/4jbXWk1ZjFz8CDm");
  ASSERT_TRUE(clock.WaitUntil([&] { return cache.Has("4jbXWk1ZjFz8CDm"); }));
  EXPECT_FALSE(cache.Get("4jbXWk1ZjFz8CDm")->subject.empty());

  // A damaged file: counted, not cached; the next one is still read.
  const int64_t errors = w.read_errors();
  Write(q / "tmp-file", "Xgarbage");
  fs::rename(q / "tmp-file", q / "active/ABCDEF123456");
  Write(q / "tmp-file", Slurp(q08 / "active/4jbXWl1Z5vz8CDp"));
  fs::rename(q / "tmp-file", q / "active/4jbXWl1Z5vz8CDp");
  ASSERT_TRUE(clock.WaitUntil([&] { return cache.Has("4jbXWl1Z5vz8CDp"); }));
  EXPECT_EQ(w.read_errors(), errors + 1);
  EXPECT_FALSE(cache.Has("ABCDEF123456"));

  // Delivered and removed before it could be read: counted as vanished. Each
  // file is either read or vanished, whichever the race gives (issue 18), so
  // batches of files come and go until one has vanished (the first batch, on
  // a quiet machine; a loaded one lets the watcher win more races).
  const int64_t read_before = w.files_read(), vanished_before = w.vanished(),
                errors_before = w.read_errors();
  const std::string body = Slurp(q08 / "active/4jbXWk1ZjFz8CDm");
  constexpr int kFiles = 20;
  int files = 0;
  for (int batch = 0; batch < 50 && w.vanished() == vanished_before; ++batch) {
    for (int i = 0; i < kFiles; ++i, ++files) {
      const std::string qid = "4jbXWx" + std::to_string(1000000 + files) + "zZ";
      Write(q / "tmp-file", body);
      fs::rename(q / "tmp-file", q / "active" / qid);
      fs::remove(q / "active" / qid);
    }
    ASSERT_TRUE(clock.WaitUntil([&] {
      return w.files_read() - read_before + w.vanished() - vanished_before == files;
    })) << "read "
        << w.files_read() - read_before << ", vanished " << w.vanished() - vanished_before
        << ", errors " << w.read_errors() - errors_before << " of " << files;
  }
  EXPECT_GT(w.vanished(), vanished_before);
  w.Stop();

  // What the live agent saves of these counts for `mailtrail stats` (issue
  // 18): the watcher's own, read and vanished apart.
  TempDir store_dir("mt_queue_store");
  std::unique_ptr<Store> store = OpenTestStore(store_dir);
  ASSERT_NE(store, nullptr);
  MemFileSystem fs;
  AgentOptions ao;
  ao.queue_watcher = &w;
  ao.fleet_agent = "mx.test";
  Agent agent(ao, store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(agent.Stop().ok());
  auto rows = store->ListAgentStatus();
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].agent, "mx.test");
  EXPECT_EQ((*rows)[0].queue_files_read, w.files_read());
  EXPECT_EQ((*rows)[0].queue_files_vanished, w.vanished());
  EXPECT_EQ((*rows)[0].queue_read_errors, w.read_errors());
}

// The agent may start before Postfix has made its queue directories (a first
// `postfix start`): the watches are tried again every 250 ms of the clock, not
// only at the next scan; the scan made once they are set reads what came
// before them.
TEST(QueueWatcher, WatchesQueueDirectoriesMadeAfterItStarted) {
  TempDir dir("mt_queue");
  const fs::path q = dir.path();
  QueueHintCache cache;
  QueueWatcherOptions o;
  o.queue_dir = q.string();
  o.scan_interval = 3600 * kUsPerSecond;  // only the first scan
  FakeClock clock;
  const TimeUs t0 = clock.MonotonicNow();
  const TimeUs kRewatch = 250 * kUsPerSecond / 1000;
  QueueWatcher w(o, &cache, &clock);
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(
      clock.WaitUntil([&] { return w.scans() == 1 && clock.NextAlarm() == t0 + kRewatch; }));
  for (const char* d : {"incoming", "active"}) fs::create_directories(q / d);
  fs::copy_file(kData / "08-long-queue-ids/active/4jbXWk1ZjFz8CDm", q / "active/4jbXWk1ZjFz8CDm");
  EXPECT_EQ(w.scans(), 1) << "nothing happens before the clock says";
  clock.Advance(kRewatch);
  ASSERT_TRUE(clock.WaitUntil([&] {
    return w.scans() == 2 && clock.NextAlarm() == t0 + o.scan_interval;
  })) << "set the watches and scanned once, then waits for the next scan";
  EXPECT_TRUE(cache.Has("4jbXWk1ZjFz8CDm"));
  // A file completed after that: through inotify.
  const fs::path incoming = q / "incoming/E27AC10A362";
  Write(incoming, Slurp(kData / "03-outbound-relay-bounce/deferred/E/E27AC10A362"));
  ASSERT_EQ(::chmod(incoming.c_str(), 0700), 0);
  ASSERT_TRUE(clock.WaitUntil([&] { return cache.Has("E27AC10A362"); }));
  EXPECT_EQ(w.scans(), 2);
  w.Stop();
}

// The full scan comes every scan_interval of the clock (a fake one here, so
// that no test waits a minute): not before, and it sees what changed.
TEST(QueueWatcher, ScansAgainEveryIntervalOfTheClock) {
  TempDir dir("mt_queue_interval");
  const fs::path q = dir.path();
  for (const char* d : {"incoming", "active", "deferred/A", "hold", "corrupt"})
    fs::create_directories(q / d);
  QueueHintCache cache;
  QueueWatcherOptions o;
  o.queue_dir = q.string();
  o.scan_interval = 60 * kUsPerSecond;
  FakeClock clock;
  const TimeUs t0 = clock.MonotonicNow();
  QueueWatcher w(o, &cache, &clock);
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(
      clock.WaitUntil([&] { return w.scans() == 1 && clock.NextAlarm() == t0 + o.scan_interval; }));
  EXPECT_EQ(w.queued_files(), 0);
  // Deferred files make no inotify event: only a scan counts them.
  fs::copy_file(kData / "08-long-queue-ids/deferred/A/4jbXWM4s33z8CD0",
                q / "deferred/A/4jbXWM4s33z8CD0");
  clock.Advance(o.scan_interval - 1);
  EXPECT_EQ(clock.NextAlarm(), t0 + o.scan_interval) << "not due yet";
  EXPECT_EQ(w.scans(), 1);
  clock.Advance(1);
  ASSERT_TRUE(clock.WaitUntil(
      [&] { return w.scans() == 2 && clock.NextAlarm() == t0 + 2 * o.scan_interval; }));
  EXPECT_EQ(w.queued_files(), 1);
  EXPECT_EQ(w.deferred_bounces(), 1);
  clock.Advance(o.scan_interval);
  ASSERT_TRUE(clock.WaitUntil(
      [&] { return w.scans() == 3 && clock.NextAlarm() == t0 + 3 * o.scan_interval; }));
  w.Stop();
}

// A FIFO named like a queue file (anyone who can write incoming/ could plant
// one) is not opened for reading: the watcher neither blocks on it nor stops
// reading the files after it, and Stop() still returns.
TEST(QueueWatcher, AFifoNamedLikeAQueueFileBlocksNothing) {
  TempDir dir("mt_queue_fifo");
  const fs::path q = dir.path();
  for (const char* d : {"incoming", "active", "deferred", "hold", "corrupt"})
    fs::create_directories(q / d);
  QueueHintCache cache;
  QueueWatcherOptions o;
  o.queue_dir = q.string();
  o.scan_interval = 3600 * kUsPerSecond;
  FakeClock clock;
  QueueWatcher w(o, &cache, &clock);
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(clock.WaitUntil([&] { return w.scans() >= 1; }));
  const fs::path fifo = q / "incoming/ABCDEF654321";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_EQ(::chmod(fifo.c_str(), 0700), 0);  // "complete", as cleanup marks a file
  const fs::path q08 = kData / "08-long-queue-ids";
  Write(q / "tmp-file", Slurp(q08 / "active/4jbXWk1ZjFz8CDm"));
  fs::rename(q / "tmp-file", q / "active/4jbXWk1ZjFz8CDm");
  const bool read_after = clock.WaitUntil([&] { return cache.Has("4jbXWk1ZjFz8CDm"); });
  if (!read_after) {
    // The watcher is stuck in open(): a writer lets it through, and the name is
    // gone before that writer closes (the close is an event: it would reopen).
    const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
    ::unlink(fifo.c_str());
    if (fd >= 0) ::close(fd);
  }
  EXPECT_TRUE(read_after) << "the watcher blocked on the FIFO";
  EXPECT_FALSE(cache.Has("ABCDEF654321"));
  w.Stop();
}

TEST(QueueHintCache, KeepsTheNewestWithinItsCapacity) {
  QueueHintCache cache(3);
  for (int i = 0; i < 5; ++i) {
    QueueHints h;
    h.subject = "s" + std::to_string(i);
    cache.Put("ABCDEF" + std::to_string(i), h);
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Has("ABCDEF0"));
  EXPECT_FALSE(cache.Has("ABCDEF1"));
  EXPECT_EQ(cache.Get("ABCDEF4")->subject, "s4");
}

}  // namespace
}  // namespace mailtrail
