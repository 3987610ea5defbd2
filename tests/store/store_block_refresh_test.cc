// The agent's block refresh (Store::LoadRefresh): every 2 s it reads the
// blocks active now and the rows of its own active blocks, so a `blocks
// remove` written by another process ends them. Not the rows that ended
// since its oldest block began: with one week-long block active that was the
// store's whole week, read every 2 s (helper-110 F7: 31% of a core with
// 150,000 ended rows). On both stores.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "agent/store/store.h"
#include "tests/support/store_backends.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

constexpr TimeUs kNow = 1795780000LL * kUsPerSecond;
constexpr TimeUs kDay = 86400 * kUsPerSecond;

Block MadeAt(BlockKind kind, std::string key, TimeUs created, TimeUs expires) {
  Block b;
  b.kind = kind;
  b.key = std::move(key);
  b.created = created;
  b.expires = expires;
  b.reason = "backscatter";
  b.rule = "backscatter-ip";
  b.origin_host = "mx1";
  return b;
}

std::vector<std::string> Keys(const std::vector<Block>& blocks) {
  std::vector<std::string> out;
  for (const Block& b : blocks) out.push_back(b.key);
  std::sort(out.begin(), out.end());
  return out;
}

class StoreBlockRefresh : public ::testing::TestWithParam<StoreBackend>, public StoreFixture {
 protected:
  void SetUp() override {
    auto s = OpenStore(GetParam().url(dir_), Detail::kStandard, true);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  TempDir dir_{"mt_block_refresh"};
  std::unique_ptr<Store> store_;
};

TEST_P(StoreBlockRefresh, ReadsTheActiveRowsAndTheAgentsOwnNotTheHistory) {
  // Mine: a week's block made six days ago. Since then 300 blocks began and
  // ended; another agent's block is active now.
  const Block mine = MadeAt(BlockKind::kIp, "198.51.100.7", kNow - 6 * kDay, kNow + kDay);
  const Block theirs = MadeAt(BlockKind::kCidr, "203.0.113.0/24", kNow - 60 * kUsPerSecond,
                              kNow + 3600 * kUsPerSecond);
  std::vector<Block> rows = {mine, theirs};
  for (int i = 0; i < 300; ++i) {
    const TimeUs at = kNow - 5 * kDay + i * 1000 * kUsPerSecond;
    rows.push_back(
        MadeAt(BlockKind::kIp, "192.0.2." + std::to_string(i % 250), at, at + 600 * kUsPerSecond));
  }
  ASSERT_TRUE(store_->SaveBlocks(rows).ok());

  auto read = store_->LoadRefresh(kNow, {IdOf(mine)});
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(Keys(*read), (std::vector<std::string>{"198.51.100.7", "203.0.113.0/24"}))
      << "a refresh read " << read->size() << " rows";

  // Removed by hand: its row comes with the refresh, ended and marked.
  ASSERT_EQ(*store_->EndBlocks("198.51.100.7", kNow + kUsPerSecond), 1);
  read = store_->LoadRefresh(kNow + 2 * kUsPerSecond, {IdOf(mine)});
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(Keys(*read), (std::vector<std::string>{"198.51.100.7", "203.0.113.0/24"}));
  for (const Block& b : *read) {
    if (b.key != mine.key) continue;
    EXPECT_EQ(b.created, mine.created);
    EXPECT_EQ(b.expires, kNow + kUsPerSecond);
    EXPECT_TRUE(b.removed);
  }
}

TEST_P(StoreBlockRefresh, TheAgentsOwnRowsAreFoundByTheirWholeId) {
  // A subject key of any bytes, an older block of the same key, and one of
  // mine not saved yet (absence is no end: nothing comes back for it).
  const std::string subject = "rückläufer: \"undeliverable\" '; DROP TABLE block; --";
  const Block older = MadeAt(BlockKind::kSubject, subject, kNow - 3 * kDay, kNow - 2 * kDay);
  Block mine = MadeAt(BlockKind::kSubject, subject, kNow - kDay, kNow + kDay);
  mine.raw_subjects = {"Rückläufer: \"Undeliverable\"", "=?UTF-8?Q?R=C3=BCckl=C3=A4ufer?="};
  ASSERT_TRUE(store_->SaveBlocks({older, mine}).ok());
  ASSERT_EQ(*store_->EndBlocks(subject, kNow - kUsPerSecond), 1);
  const Block unsaved = MadeAt(BlockKind::kIp, "198.51.100.9", kNow - 5, kNow + kDay);
  Block same_key_other_kind = mine;
  same_key_other_kind.kind = BlockKind::kIp;

  auto read = store_->LoadRefresh(kNow, {IdOf(mine), IdOf(unsaved), IdOf(same_key_other_kind)});
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].kind, BlockKind::kSubject);
  EXPECT_EQ((*read)[0].key, subject);
  EXPECT_EQ((*read)[0].created, mine.created) << "the older block of the key was read";
  EXPECT_EQ((*read)[0].expires, kNow - kUsPerSecond);
  EXPECT_EQ((*read)[0].raw_subjects, mine.raw_subjects);
  EXPECT_TRUE((*read)[0].removed);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreBlockRefresh, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
