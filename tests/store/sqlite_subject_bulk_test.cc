// The subject index after a bulk load (a replay into an empty store): built
// once at the end from the messages that have a subject, as the triggers of a
// live store index them, so a message without one (every message at minimal
// detail) costs the index nothing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/store/store.h"
#include "tests/support/sqlite_int_of.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class SqliteSubjectBulk : public ::testing::Test, public StoreFixture {
 protected:
  int64_t Found(Store* s, const std::string& needle) {
    SearchQuery q;
    q.subject = needle;
    q.limit = 1000;
    int64_t n = 0;
    EXPECT_TRUE(s->Search(q, [&](MessageRecord&&) { ++n; }).ok());
    return n;
  }

  TempDir dir_{"mt_subject_bulk"};
  const std::string path_ = dir_.File("t.db");
};

TEST_F(SqliteSubjectBulk, OnlyMessagesWithASubjectAreIndexed) {
  auto s = OpenStore("sqlite:" + path_, Detail::kStandard, true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->BeginBulkLoad(Store::kInputUnknown).ok());
  std::vector<MessageRecord> batch;
  for (int i = 0; i < 300; ++i) {
    MessageRecord r = Sample("B" + std::to_string(1000 + i));
    r.first_seen += i * kUsPerSecond;
    if (i % 3 == 0)
      r.subject = "Quarterly numbers " + std::to_string(i);
    else
      r.subject.reset();  // a bounce, a reject, or minimal detail
    batch.push_back(std::move(r));
  }
  ASSERT_TRUE((*s)->Write(batch).ok());
  ASSERT_TRUE((*s)->EndBulkLoad().ok());

  EXPECT_EQ(IntOf(path_, "SELECT count(*) FROM subject_fts_docsize"), 100)
      << "one row of the index's sizes per subject, none for the 200 without";
  EXPECT_EQ(
      IntOf(path_, "SELECT 1", "INSERT INTO subject_fts (subject_fts) VALUES ('integrity-check')"),
      1);
  EXPECT_EQ(Found(s->get(), "quarterly"), 100);
  EXPECT_EQ(Found(s->get(), "numbers 270"), 1);
  // Built with a larger pending-changes hash (fewer, larger segments), which
  // is FTS5's default again afterwards: a live store's transactions hold
  // little, and a purge's must not hold 16 MiB.
  EXPECT_EQ(IntOf(path_, "SELECT v FROM subject_fts_config WHERE k = 'hashsize'"), 1 << 20);
  // After the load the triggers index a new subject, and skip a missing one.
  MessageRecord later = Sample("C2000");
  later.subject = "Quarterly plan";
  MessageRecord none = Sample("C2001");
  none.subject.reset();
  ASSERT_TRUE((*s)->Write({later, none}).ok());
  EXPECT_EQ(Found(s->get(), "quarterly"), 101);
  EXPECT_EQ(IntOf(path_, "SELECT count(*) FROM subject_fts_docsize"), 101);
}

}  // namespace
}  // namespace mailtrail
