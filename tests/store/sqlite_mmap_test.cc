// Readers of a SQLite store read its file through a memory map
// (StoreOptions::sqlite_mmap_mb, SqliteStore::MapFile): the map is made when
// asked; a purge that shrinks the file between two searches of a mapped
// reader leaves its answers right (a purge during a search cannot shrink it:
// the reader's snapshot holds the checkpoint back); and a reader that opens
// the file immutable, which takes no locks, does not map.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "agent/cli/store_args.h"
#include "agent/store/store.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class SqliteMmap : public ::testing::Test, public StoreFixture {
 protected:
  void SetUp() override { OpenWriter(); }
  void OpenWriter() {
    auto s = OpenStore(url_, Detail::kStandard, true);
    ASSERT_TRUE(s.ok()) << s.status().message();
    writer_ = std::move(*s);
  }
  // The last connection's close checkpoints the WAL into the file: pages
  // still in the WAL are read from it, not through the map.
  void CloseWriter() { writer_.reset(); }

  std::unique_ptr<Store> Reader(int64_t mmap_mb) {
    StoreOptions o = cli::ReaderOptions();
    o.sqlite_mmap_mb = mmap_mb;
    auto r = OpenStore(url_, o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : nullptr;
  }

  // `n` messages a day for `days` days from Sample's, each with a long
  // subject so that the file holds many pages.
  void WriteDays(int days, int n) {
    for (int d = 0; d < days; ++d) {
      std::vector<MessageRecord> batch;
      for (int i = 0; i < n; ++i) {
        MessageRecord r = Sample("Q" + std::to_string(d) + "x" + std::to_string(i));
        r.first_seen += (d * 86400LL + i) * kUsPerSecond;
        r.last_seen = r.first_seen;
        r.subject = "report " + std::to_string(d * n + i) + std::string(300, 'x');
        batch.push_back(std::move(r));
      }
      ASSERT_TRUE(writer_->Write(batch).ok());
    }
  }

  static int64_t Count(Store* s) {
    int64_t n = 0;
    SearchQuery all;
    all.limit = 1 << 20;
    EXPECT_TRUE(s->Search(all, [&](MessageRecord&&) { ++n; }).ok());
    return n;
  }

  // Lines of /proc/self/maps that map the store's file.
  int Mappings() const {
    std::ifstream maps("/proc/self/maps");
    int n = 0;
    for (std::string line; std::getline(maps, line);) {
      if (line.size() >= path_.size() &&
          line.compare(line.size() - path_.size(), path_.size(), path_) == 0)
        ++n;
    }
    return n;
  }

  int64_t FileSize() const {
    struct stat st {};
    return ::stat(path_.c_str(), &st) == 0 ? st.st_size : -1;
  }

  TempDir dir_{"mt_sqlite_mmap"};
  const std::string path_ = dir_.File("t.db");
  const std::string url_ = "sqlite:" + path_;
  std::unique_ptr<Store> writer_;
};

TEST_F(SqliteMmap, AReaderMapsTheFileOnlyWhenAsked) {
  WriteDays(1, 200);
  CloseWriter();
  auto plain = Reader(0);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(Count(plain.get()), 200);
  EXPECT_EQ(Mappings(), 0) << "a reader with mmap_mb 0 does not map the file";
  auto mapped = Reader(kDefaultReaderMmapMb);
  ASSERT_NE(mapped, nullptr);
  EXPECT_EQ(Count(mapped.get()), 200);
  EXPECT_EQ(Mappings(), 1) << "the readers' default maps the file";
}

TEST_F(SqliteMmap, APurgeThatShrinksTheFileBetweenAMappedReadersSearchesLeavesThemRight) {
  WriteDays(4, 1500);
  CloseWriter();
  const int64_t before = FileSize();
  auto reader = Reader(kDefaultReaderMmapMb);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(Count(reader.get()), 6000);
  ASSERT_EQ(Mappings(), 1);
  OpenWriter();
  EXPECT_EQ(Mappings(), 1) << "the writer does not map the file";

  // Three days of four go; incremental vacuum and the checkpoint truncate
  // the file beneath the reader's map.
  auto removed = writer_->PurgeBefore(Sample("x").first_seen / kUsPerSecond / 86400 + 3);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 4500);
  EXPECT_LT(FileSize(), before / 2) << "the purge shrank the file";

  EXPECT_EQ(Count(reader.get()), 1500);
  SearchQuery q;
  q.subject = "report 5999";
  int64_t found = 0;
  EXPECT_TRUE(reader->Search(q, [&](MessageRecord&&) { ++found; }).ok());
  EXPECT_EQ(found, 1);
  // Written again after the shrink: the file grows past where it ended.
  WriteDays(2, 1500);
  EXPECT_EQ(Count(reader.get()), 1500 + 3000);
}

// A user who may read the store but not create its -shm beside it, with no
// writer running, reads the file as immutable (docs/install.md): such a
// connection takes no locks and never drops a map, so a purge in another
// process could end it with SIGBUS. It must not map, whatever is asked.
TEST_F(SqliteMmap, AnImmutableReaderDoesNotMap) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to read the store as another user";
  WriteDays(1, 200);
  CloseWriter();  // no -wal left: the reader may go immutable
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // no gtest assertions here: the answer is the exit code
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
    auto reader = OpenStore(url_, cli::ReaderOptions());
    if (!reader.ok()) ::_exit(11);
    int64_t n = 0;
    SearchQuery all;
    all.limit = 1000;
    if (!(*reader)->Search(all, [&](MessageRecord&&) { ++n; }).ok() || n != 200) ::_exit(12);
    if (::access((path_ + "-shm").c_str(), F_OK) == 0) ::_exit(13);  // not the immutable path
    ::_exit(Mappings() == 0 ? 0 : 14);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the reader died: signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10: setuid failed, 11: not opened, 12: wrong records, 13: not immutable, 14: mapped";
}

}  // namespace
}  // namespace mailtrail
