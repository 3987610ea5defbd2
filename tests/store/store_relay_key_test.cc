// The relay key (a host name substring) on every backend, as the stores
// change under a reader that keeps what it found: SQLite keeps the names of
// a substring between searches (agent/store/sqlite_relay_names.cc).
#include <gtest/gtest.h>

#include <string>

#include "agent/store/store.h"
#include "tests/support/store_backends.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class RelayKey : public ::testing::TestWithParam<StoreBackend>, public StoreFixture {
 protected:
  // A writer, and a reader on another connection as the console has.
  void SetUp() override {
    const std::string url = GetParam().url(dir_);
    auto s = OpenStore(url, Detail::kStandard, true);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    auto r = OpenStore(url, Detail::kStandard, false);
    ASSERT_TRUE(r.ok()) << r.status().message();
    reader_ = std::move(*r);
  }

  // A message of `day` (days after Sample's) whose one recipient went through
  // `relay`; every other text is Sample's.
  MessageRecord Relayed(const std::string& qid, int day, const std::string& relay) {
    MessageRecord r = Sample(qid);
    r.first_seen += day * 86400 * kUsPerSecond;
    r.last_seen = r.first_seen;
    r.recipients.resize(1);
    r.recipients[0].relay = relay;
    return r;
  }
  void Write(const MessageRecord& r) { ASSERT_TRUE(store_->Write({r}).ok()); }

  // The queue ids of the messages relayed through a name holding `needle`,
  // by a page and by a count of the reader.
  std::string Found(const std::string& needle) {
    SearchQuery q;
    q.relay = needle;
    std::string got;
    EXPECT_TRUE(reader_->Search(q, [&](MessageRecord&& r) { got += r.qid + " "; }).ok());
    auto n = reader_->CountMatchesUpTo(q, 100);
    EXPECT_TRUE(n.ok()) << n.status().message();
    if (n.ok()) {
      EXPECT_EQ(n->n * 3, static_cast<int64_t>(got.size())) << "page and count agree";
    }
    return got;
  }

  TempDir dir_{"mt_relay_key"};
  std::unique_ptr<Store> store_, reader_;
};

TEST_P(RelayKey, ANameWrittenAfterASearchIsFound) {
  Write(Relayed("A1", 0, "mx.early.test"));
  EXPECT_EQ(Found("early"), "A1 ");
  EXPECT_EQ(Found("late"), "");
  Write(Relayed("A2", 0, "MX.Late.test"));
  EXPECT_EQ(Found("late"), "A2 ");
  EXPECT_EQ(Found(".test"), "A1 A2 ");
}

// A purge deletes the names no record uses; the next new name may take the
// id of one of them. A search of the deleted name must not find it.
TEST_P(RelayKey, ANewNameInAPurgedNamesIdIsNotTheOldName) {
  Write(Relayed("K1", 2, "mx.kept.test"));
  Write(Relayed("G1", 0, "mx.gone.test"));  // the newest name: the highest id
  EXPECT_EQ(Found("gone"), "G1 ");
  auto removed = store_->PurgeBefore(Sample("x").first_seen / kUsPerSecond / 86400 + 1);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  ASSERT_EQ(*removed, 1);
  Write(Relayed("N1", 3, "mx.fresh.test"));
  EXPECT_EQ(Found("gone"), "");
  EXPECT_EQ(Found("fresh"), "N1 ");
}

// A substring, not a pattern: '%', '_' and '\' in it are themselves (SQLite
// matches names with LIKE, its needle escaped), and the case of ASCII
// letters does not matter.
TEST_P(RelayKey, ASubstringIsNotAPattern) {
  Write(Relayed("U1", 0, "mx_1.under.test"));
  Write(Relayed("U2", 0, "mxa1.under.test"));
  Write(Relayed("P1", 0, "smtp%25.pct.test"));
  Write(Relayed("P2", 0, "smtp925.pct.test"));
  Write(Relayed("B1", 0, "back\\slash.test"));
  EXPECT_EQ(Found("x_1"), "U1 ");
  EXPECT_EQ(Found("MX_1.UNDER"), "U1 ");
  EXPECT_EQ(Found("p%2"), "P1 ");
  EXPECT_EQ(Found("%"), "P1 ");
  EXPECT_EQ(Found("_"), "U1 ");
  EXPECT_EQ(Found("k\\s"), "B1 ");
  EXPECT_EQ(Found(".test"), "U1 U2 P1 P2 B1 ");
}

INSTANTIATE_TEST_SUITE_P(Backends, RelayKey, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
