// Readers of a SQLite store read its file through a memory map
// (StoreOptions::sqlite_mmap_mb, SqliteStore::MapFile): the map is made when
// asked, and a writer that shrinks the file under a mapped reader (a purge)
// leaves the reader's answers right, and the process alive.
#include <gtest/gtest.h>
#include <sys/stat.h>

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

TEST_F(SqliteMmap, APurgeThatShrinksTheFileUnderAMappedReaderLeavesItsAnswersRight) {
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

}  // namespace
}  // namespace mailtrail
