// Fleet-wide answers in the store (Store::ExchangeAnswers) on every backend:
// each agent's rows are read by the others once, in order, from where each
// stands; an agent alone keeps none; old rows go.
#include <gtest/gtest.h>

#include <map>
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

class StoreAnswers : public ::testing::TestWithParam<StoreBackend>, public StoreFixture {
 protected:
  void SetUp() override {
    auto s = OpenStore(GetParam().url(dir_), Detail::kStandard, true);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  // One exchange of `agent`, from and to its cursor in cursors_.
  AnswerExchange Exchange(const std::string& agent, std::vector<std::string> keys,
                          TimeUs now = kNow, size_t limit = 1000) {
    std::vector<SharedAnswer> mine;
    for (std::string& k : keys) mine.push_back({"", 0, std::move(k), now, 3});
    auto x = store_->ExchangeAnswers(agent, mine, cursors_[agent], now, now - kDay, limit);
    EXPECT_TRUE(x.ok()) << x.status().message();
    if (!x.ok()) return {};
    cursors_[agent] = x->cursor;
    return *x;
  }
  static std::vector<std::string> Keys(const AnswerExchange& x) {
    std::vector<std::string> out;
    for (const SharedAnswer& a : x.theirs) out.push_back(a.agent + " " + a.key);
    return out;
  }

  TempDir dir_{"mt_answers"};
  std::unique_ptr<Store> store_;
  std::map<std::string, AnswerCursor> cursors_;
};

TEST_P(StoreAnswers, AnAgentAloneKeepsNoRows) {
  AnswerExchange x = Exchange("relay", {"m\t1@example.org"});
  EXPECT_TRUE(x.alone);
  EXPECT_EQ(x.cursor.written, 0);
  x = Exchange("mx", {});
  EXPECT_FALSE(x.alone);
  EXPECT_TRUE(x.theirs.empty()) << "the relay's row before the MX came was not kept";
  x = Exchange("relay", {"m\t2@example.org"});
  EXPECT_FALSE(x.alone);
  EXPECT_EQ(x.cursor.written, 1);
  EXPECT_EQ(Keys(Exchange("mx", {})), std::vector<std::string>{"relay m\t2@example.org"});
}

TEST_P(StoreAnswers, EachAgentsRowsAreReadOnceInOrder) {
  Exchange("mx", {});
  Exchange("relay", {"m\t1", "m\t2"});
  Exchange("relay2", {"m\tb1"});
  Exchange("relay", {"m\t3"});
  AnswerExchange x = Exchange("mx", {}, kNow, /*limit=*/2);
  EXPECT_EQ(Keys(x), (std::vector<std::string>{"relay m\t1", "relay m\t2"}));
  x = Exchange("mx", {});
  EXPECT_EQ(Keys(x), (std::vector<std::string>{"relay m\t3", "relay2 m\tb1"}));
  EXPECT_EQ(x.cursor.read.at("relay"), 3);
  EXPECT_EQ(x.cursor.read.at("relay2"), 1);
  EXPECT_TRUE(Exchange("mx", {}).theirs.empty());
  // Each agent reads the others', not its own: relay2 read the relay's first
  // two when it wrote its own, the relay relay2's when it wrote its third.
  EXPECT_EQ(Keys(Exchange("relay2", {})), std::vector<std::string>{"relay m\t3"});
  EXPECT_TRUE(Exchange("relay", {}).theirs.empty());
  EXPECT_EQ(cursors_["relay"].read.at("relay2"), 1);
}

// An agent's numbering goes on from its cursor: rows it wrote before its
// state was saved are not numbered again after they were dropped.
TEST_P(StoreAnswers, NumberingGoesOnFromTheCursor) {
  Exchange("mx", {});
  cursors_["relay"].written = 50;
  EXPECT_EQ(Exchange("relay", {"m\t1"}).cursor.written, 51);
  AnswerExchange x = Exchange("mx", {});
  ASSERT_EQ(x.theirs.size(), 1u);
  EXPECT_EQ(x.theirs[0].seq, 51);
}

// Rows whose agent numbers below where the reader stands were written again
// from the start (its state lost with its rows): read from the first.
TEST_P(StoreAnswers, AnAgentNumberingAgainIsReadFromItsFirst) {
  Exchange("mx", {});
  Exchange("relay", {"m\t1"});
  cursors_["mx"].read["relay"] = 100;
  EXPECT_EQ(Keys(Exchange("mx", {})), std::vector<std::string>{"relay m\t1"});
}

TEST_P(StoreAnswers, RowsOlderThanTheWindowGo) {
  Exchange("mx", {}, kNow);
  Exchange("relay", {"m\told"}, kNow);
  Exchange("relay", {"m\tnew"}, kNow + kDay / 2);
  AnswerExchange x = Exchange("mx", {}, kNow + kDay + kUsPerSecond);
  EXPECT_EQ(Keys(x), std::vector<std::string>{"relay m\tnew"});
  // Neither the relay's old row nor its marker of then is left, and the MX,
  // alone since, keeps nothing.
  x = Exchange("mx", {"m\tmine"}, kNow + 2 * kDay);
  EXPECT_TRUE(x.alone);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreAnswers, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
