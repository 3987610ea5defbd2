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
  // One exchange of `agent` at `now` (its log time and the clock alike,
  // unless `log_now` is given), from and to its cursor in cursors_.
  AnswerExchange Exchange(const std::string& agent, std::vector<std::string> keys,
                          TimeUs now = kNow, size_t limit = 1000, TimeUs log_now = 0) {
    if (log_now == 0) log_now = now;
    AnswerRequest r;
    r.agent = agent;
    for (std::string& k : keys) r.mine.push_back({"", 0, std::move(k), log_now, 3});
    r.cursor = cursors_[agent];
    r.wall_now = now;
    r.since = log_now - kDay;
    r.window = kDay;
    r.limit = limit;
    auto x = store_->ExchangeAnswers(r);
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

// More rows than one statement takes (MySQL inserts 500 a statement): every
// one in, numbered in order, each with its own key.
TEST_P(StoreAnswers, ManyRowsAtOnceAreNumberedInOrder) {
  Exchange("mx", {});
  std::vector<std::string> keys;
  for (int i = 0; i < 1203; ++i) keys.push_back("m\t" + std::to_string(i));
  EXPECT_EQ(Exchange("relay", keys).cursor.written, 1203);
  const AnswerExchange x = Exchange("mx", {}, kNow, /*limit=*/5000);
  ASSERT_EQ(x.theirs.size(), 1203u);
  for (size_t i = 0; i < x.theirs.size(); ++i) {
    EXPECT_EQ(x.theirs[i].seq, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(x.theirs[i].key, "m\t" + std::to_string(i));
    EXPECT_EQ(x.theirs[i].credits, 3);
    EXPECT_EQ(x.theirs[i].learned, kNow);
  }
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

// Each agent drops its own old rows, by its own log time.
TEST_P(StoreAnswers, RowsOlderThanTheWindowGo) {
  Exchange("mx", {}, kNow);
  Exchange("relay", {"m\told"}, kNow);
  Exchange("relay", {"m\tnew"}, kNow + kDay / 2);
  Exchange("mx", {}, kNow + kDay / 2 + kUsPerSecond);  // the MX is still there
  Exchange("relay", {}, kNow + kDay + kUsPerSecond);
  cursors_["mx"] = {};
  EXPECT_EQ(Keys(Exchange("mx", {}, kNow + kDay + 2 * kUsPerSecond)),
            std::vector<std::string>{"relay m\tnew"});
}

// An agent whose log time is a day and more ahead (a wrong clock, a wrong
// time zone) drops none of the others' rows (it dropped every agent's,
// before the MX could read the relay's: helper-73).
TEST_P(StoreAnswers, AnAgentAheadDropsNoOneElsesRows) {
  Exchange("mx", {});
  Exchange("relay", {"m\t1"});
  Exchange("ahead", {}, kNow, 1000, kNow + 30 * 3600 * kUsPerSecond);
  EXPECT_EQ(Keys(Exchange("mx", {})), (std::vector<std::string>{"relay m\t1"}));
}

// An agent not there for a window is gone, and its rows with it: the one
// left is alone again.
TEST_P(StoreAnswers, AnAgentGoneForAWindowIsForgotten) {
  Exchange("mx", {}, kNow);
  Exchange("relay", {"m\t1"}, kNow);
  AnswerExchange x = Exchange("mx", {}, kNow + kDay + kUsPerSecond);
  EXPECT_TRUE(x.theirs.empty());
  EXPECT_TRUE(x.cursor.read.empty());
  EXPECT_TRUE(Exchange("mx", {"m\tmine"}, kNow + kDay + 2 * kUsPerSecond).alone);
  // Back with its state lost (numbering from 1), it is read from its first row.
  cursors_["relay"] = {};
  Exchange("relay", {"m\t2"}, kNow + kDay + 3 * kUsPerSecond);
  EXPECT_EQ(Keys(Exchange("mx", {}, kNow + kDay + 4 * kUsPerSecond)),
            std::vector<std::string>{"relay m\t2"});
}

// An idle agent says it is there about once a minute, not at every
// exchange (an agent alone wrote its row every 2 s: 1.4 GB of WAL a day).
TEST_P(StoreAnswers, PresenceIsWrittenAboutOnceAMinute) {
  Exchange("relay", {}, kNow);
  Exchange("relay", {}, kNow + 30 * kUsPerSecond);  // not written again
  // A day after its first exchange it is gone: its second one was not noted.
  EXPECT_TRUE(Exchange("mx", {}, kNow + kDay + 10 * kUsPerSecond).alone);
  Exchange("relay", {}, kNow + kDay + 20 * kUsPerSecond);
  Exchange("relay", {}, kNow + kDay + 90 * kUsPerSecond);  // a minute on: written
  EXPECT_FALSE(Exchange("mx", {}, kNow + 2 * kDay + 30 * kUsPerSecond).alone);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreAnswers, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
