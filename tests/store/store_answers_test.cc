// Fleet-wide answers in the store (Store::ExchangeAnswers) on every backend:
// each agent's rows are read by the others once, in order, from where each
// stands; an agent alone keeps none; old rows go; an agent is gone when its
// presence stood still for a window, whatever its clock says.
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
  // One exchange of `agent` at `now` (its log time and both its clocks
  // alike, unless `log_now` is given; its wall clock is off by skew_), from
  // and to its cursor in cursors_.
  AnswerExchange Exchange(const std::string& agent, std::vector<std::string> keys,
                          TimeUs now = kNow, size_t limit = 1000, TimeUs log_now = 0) {
    if (log_now == 0) log_now = now;
    AnswerRequest r;
    r.agent = agent;
    for (std::string& k : keys) r.mine.push_back({"", 0, std::move(k), log_now, 3});
    r.cursor = cursors_[agent];
    r.wall_now = now + skew_[agent];
    r.mono_now = now;
    r.since = log_now - kDay;
    r.window = window_;
    r.limit = limit;
    auto x = store_->ExchangeAnswers(r);
    EXPECT_TRUE(x.ok()) << x.status().message();
    if (!x.ok()) return {};
    cursors_[agent] = x->cursor;
    return *x;
  }
  // `agent` idle, exchanging each minute from `from` to `to`: the last exchange.
  AnswerExchange Idle(const std::string& agent, TimeUs from, TimeUs to) {
    AnswerExchange x;
    for (TimeUs t = from; t <= to; t += 60 * kUsPerSecond) x = Exchange(agent, {}, t);
    return x;
  }
  // `n` keys: prefix0, prefix1, ...
  static std::vector<std::string> Numbered(const std::string& prefix, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
    return out;
  }
  static std::vector<std::string> Keys(const AnswerExchange& x) {
    std::vector<std::string> out;
    for (const SharedAnswer& a : x.theirs) out.push_back(a.agent + " " + a.key);
    return out;
  }

  TempDir dir_{"mt_answers"};
  std::unique_ptr<Store> store_;
  std::map<std::string, AnswerCursor> cursors_;
  std::map<std::string, TimeUs> skew_;
  TimeUs window_ = kDay;

  // The relay's clock is `skew` off; the MX's and the log's are right. Both
  // exchange each minute for a window and more.
  void SkewedRelayIsThere(TimeUs skew) {
    window_ = 600 * kUsPerSecond;
    skew_["relay"] = skew;
    Exchange("mx", {}, kNow);
    EXPECT_FALSE(Exchange("relay", {}, kNow).alone);
    EXPECT_FALSE(Exchange("relay", {"m\t1"}, kNow + kUsPerSecond).alone);
    EXPECT_EQ(Keys(Exchange("mx", {}, kNow + 2 * kUsPerSecond)),
              std::vector<std::string>{"relay m\t1"});
    for (TimeUs t = kNow + 60 * kUsPerSecond; t < kNow + 2 * window_; t += 60 * kUsPerSecond) {
      ASSERT_FALSE(Exchange("relay", {}, t).alone);
      ASSERT_FALSE(Exchange("mx", {}, t + kUsPerSecond).alone);
    }
    Exchange("relay", {"m\t2"}, kNow + 2 * window_ + kUsPerSecond);
    EXPECT_EQ(Keys(Exchange("mx", {}, kNow + 2 * window_ + 2 * kUsPerSecond)),
              std::vector<std::string>{"relay m\t2"});
  }
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
// Agent names are bytes: "mx" and "MX" are two agents (a case-blind
// collation on MySQL made them share a presence row and clash on their
// rows' keys).
TEST_P(StoreAnswers, NamesThatDifferInCaseAreTwoAgents) {
  Exchange("mx", {});
  Exchange("MX", {});
  EXPECT_TRUE(Exchange("mx", {"m\tlower"}).theirs.empty());
  EXPECT_EQ(Keys(Exchange("MX", {"m\tupper"})), std::vector<std::string>{"mx m\tlower"});
  EXPECT_EQ(Keys(Exchange("mx", {})), std::vector<std::string>{"MX m\tupper"});
  EXPECT_EQ(Keys(Exchange("late", {})), (std::vector<std::string>{"MX m\tupper", "mx m\tlower"}));
}

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

// An agent whose presence stood still for a window (as the reader reads it,
// each minute) is gone, and its rows with it: the one left is alone again.
TEST_P(StoreAnswers, AnAgentGoneForAWindowIsForgotten) {
  window_ = 600 * kUsPerSecond;
  Exchange("mx", {}, kNow);
  Exchange("relay", {"m\t1"}, kNow);
  EXPECT_EQ(Keys(Exchange("mx", {}, kNow + kUsPerSecond)), std::vector<std::string>{"relay m\t1"});
  AnswerExchange x = Idle("mx", kNow + 61 * kUsPerSecond, kNow + 541 * kUsPerSecond);
  EXPECT_FALSE(x.alone) << "a window less a minute: still there";
  x = Exchange("mx", {}, kNow + 601 * kUsPerSecond);
  EXPECT_TRUE(x.alone);
  EXPECT_EQ(x.cursor.heard.count("relay"), 0u);
  EXPECT_EQ(x.cursor.read.count("relay"), 0u);
  // Its rows and its presence went: an agent new now reads none.
  x = Exchange("new", {}, kNow + 602 * kUsPerSecond);
  EXPECT_TRUE(x.theirs.empty());
  EXPECT_EQ(x.cursor.heard.count("relay"), 0u);
  // Back with its state lost (numbering from 1), it is read from its first row.
  cursors_["relay"] = {};
  Exchange("relay", {"m\t2"}, kNow + 603 * kUsPerSecond);
  EXPECT_EQ(Keys(Exchange("mx", {}, kNow + 604 * kUsPerSecond)),
            std::vector<std::string>{"relay m\t2"});
}

// A reader that did not see a gone agent's presence go (stopped meanwhile;
// on a fleet another reader may delete it) still finds the agent's new rows
// when it comes back with its state lost and numbers from 1 again: its new
// presence row has another incarnation. By numbers alone the reader skipped
// as many of the new rows as it had read of the old.
TEST_P(StoreAnswers, AReaderThatMissedAnAgentsReturnReadsItFromItsFirst) {
  window_ = 600 * kUsPerSecond;
  Exchange("mx", {}, kNow);
  Exchange("relay", {"m\t1", "m\t2", "m\t3"}, kNow);
  EXPECT_EQ(Exchange("mx", {}, kNow + kUsPerSecond).theirs.size(), 3u);
  const AnswerCursor stopped = cursors_["mx"];  // the MX stops here
  // The relay stops too; another agent sees it gone and deletes its rows
  // and its presence.
  Exchange("other", {}, kNow + 2 * kUsPerSecond);
  EXPECT_TRUE(Idle("other", kNow + 62 * kUsPerSecond, kNow + 662 * kUsPerSecond).alone);
  // Back with its state lost, the relay writes four rows, numbered 1 to 4.
  cursors_["relay"] = {};
  Exchange("relay", {"m\tn1", "m\tn2", "m\tn3", "m\tn4"}, kNow + 700 * kUsPerSecond);
  EXPECT_EQ(cursors_["relay"].written, 4);
  // The MX starts again from its saved state: all four.
  cursors_["mx"] = stopped;
  cursors_["mx"].heard_at = cursors_["mx"].said_at = 0;
  EXPECT_EQ(Keys(Exchange("mx", {}, kNow + 701 * kUsPerSecond)),
            (std::vector<std::string>{"relay m\tn1", "relay m\tn2", "relay m\tn3", "relay m\tn4"}));
  // A presence kept (written again each minute) is the same incarnation:
  // read on from where the reader stands.
  Exchange("relay", {"m\tn5"}, kNow + 761 * kUsPerSecond);
  EXPECT_EQ(Keys(Exchange("mx", {}, kNow + 762 * kUsPerSecond)),
            std::vector<std::string>{"relay m\tn5"});
}

// Time the reader did not read counts a minute at most: after a day without
// an exchange (a store that did not answer, a reader stopped), the others
// are still there.
TEST_P(StoreAnswers, ADayNotReadIsAMinute) {
  window_ = 600 * kUsPerSecond;
  Exchange("mx", {}, kNow);
  Exchange("relay", {"m\t1"}, kNow);
  EXPECT_FALSE(Exchange("mx", {}, kNow + kUsPerSecond).alone);
  EXPECT_FALSE(Exchange("mx", {}, kNow + kDay).alone);
  // A restart reads on from the state's stood times.
  AnswerCursor restarted = cursors_["mx"];
  restarted.heard_at = restarted.said_at = 0;
  cursors_["mx"] = restarted;
  EXPECT_EQ(cursors_["mx"].heard.at("relay").stood, 60 * kUsPerSecond);
  EXPECT_FALSE(Idle("mx", kNow + 2 * kDay, kNow + 2 * kDay + 480 * kUsPerSecond).alone);
  EXPECT_TRUE(Exchange("mx", {}, kNow + 2 * kDay + 540 * kUsPerSecond).alone);
}

// Presence is judged by how long an agent's row stood still, as the reader
// measures it, never by comparing the agents' clocks: a relay whose clock is
// two days off either way is read, and reads, like any (an MX took a relay
// two days behind as gone and dropped its rows; a relay two days ahead took
// itself as alone and wrote none: helper-74).
TEST_P(StoreAnswers, AnAgentTwoDaysBehindIsThereAsLongAsItExchanges) {
  SkewedRelayIsThere(-2 * kDay);
}

TEST_P(StoreAnswers, AnAgentTwoDaysAheadIsThereAsLongAsItExchanges) {
  SkewedRelayIsThere(2 * kDay);
}

// A gone agent's rows go a bounded piece at an exchange (the write lock is
// held meanwhile), its presence with the last piece.
TEST_P(StoreAnswers, AGoneAgentsRowsGoAPieceAtATime) {
  window_ = 600 * kUsPerSecond;
  Exchange("mx", {}, kNow);
  const std::vector<std::string> keys = Numbered("m\t", 10500);
  EXPECT_EQ(Exchange("relay", keys, kNow, 20000).cursor.written, 10500);
  EXPECT_EQ(Exchange("mx", {}, kNow + kUsPerSecond, 20000).theirs.size(), 10500u);
  AnswerExchange x = Idle("mx", kNow + 61 * kUsPerSecond, kNow + 601 * kUsPerSecond);
  EXPECT_TRUE(x.alone);
  // Heard, and read from where it was, until its presence row goes.
  EXPECT_EQ(x.cursor.heard.count("relay"), 1u);
  EXPECT_EQ(x.cursor.read.at("relay"), 10500);
  x = Exchange("late", {}, kNow + 602 * kUsPerSecond, 20000);
  EXPECT_EQ(x.theirs.size(), 500u) << "the first 10,000 went";
  EXPECT_EQ(x.theirs.front().seq, 10001);
  Exchange("mx", {}, kNow + 661 * kUsPerSecond);
  x = Exchange("later", {}, kNow + 662 * kUsPerSecond, 20000);
  EXPECT_TRUE(x.theirs.empty());
  EXPECT_EQ(x.cursor.heard.count("relay"), 0u) << "its presence went with its last rows";
}

// Old rows go 10,000 an exchange in all, its own first, then those of the
// agents gone: on MySQL each statement had its own 10,000, so one exchange
// could hold the table's locks for several of them.
TEST_P(StoreAnswers, AtMost10000RowsGoInOneExchange) {
  window_ = 600 * kUsPerSecond;
  Exchange("mx", {}, kNow);
  const std::vector<std::string> keys = Numbered("m\t", 10500);
  Exchange("relay", keys, kNow, 20000);
  EXPECT_EQ(Exchange("mx", {}, kNow + kUsPerSecond, 20000).theirs.size(), 10500u);
  Idle("mx", kNow + 61 * kUsPerSecond, kNow + 541 * kUsPerSecond);
  // Its own 10,500, learned two days before its log time's window.
  const std::vector<std::string> mine = Numbered("m\tmx", 10500);
  Exchange("mx", mine, kNow + 545 * kUsPerSecond, 1000, kNow - 2 * kDay);
  // Now the relay is gone and its own are old: 10,000 of its own go.
  EXPECT_TRUE(Exchange("mx", {}, kNow + 601 * kUsPerSecond).alone);
  size_t relays = 0, mxs = 0;
  for (const SharedAnswer& a : Exchange("late", {}, kNow + 602 * kUsPerSecond, 30000).theirs)
    ++(a.agent == "relay" ? relays : mxs);
  EXPECT_EQ(mxs, 500u);
  EXPECT_EQ(relays, 10500u) << "none of the relay's: the exchange's 10,000 were spent";
}

// An agent back before its rows are all gone is there again: its presence
// and its last rows stay, and its new rows are read on from where each
// reader stood.
TEST_P(StoreAnswers, AnAgentBackBeforeItsRowsAreGoneIsReadOn) {
  window_ = 600 * kUsPerSecond;
  Exchange("mx", {}, kNow);
  const std::vector<std::string> keys = Numbered("m\t", 10500);
  Exchange("relay", keys, kNow, 20000);
  EXPECT_EQ(Exchange("mx", {}, kNow + kUsPerSecond, 20000).theirs.size(), 10500u);
  EXPECT_TRUE(Idle("mx", kNow + 61 * kUsPerSecond, kNow + 601 * kUsPerSecond).alone);
  EXPECT_FALSE(Exchange("relay", {"m\tback"}, kNow + 630 * kUsPerSecond).alone);
  AnswerExchange x = Exchange("mx", {}, kNow + 661 * kUsPerSecond);
  EXPECT_FALSE(x.alone);
  EXPECT_EQ(Keys(x), std::vector<std::string>{"relay m\tback"});
  x = Exchange("late", {}, kNow + 662 * kUsPerSecond, 20000);
  EXPECT_EQ(x.theirs.size(), 501u) << "its last rows stay";
}

// Each agent's own old rows go by their log time, on the (agent, learned)
// index: one row learned ahead (a clock once ahead, then set right) holds up
// none of those after it (they stayed, beyond the first 10,000: helper-76).
TEST_P(StoreAnswers, ARowLearnedAheadHoldsUpNoDeletes) {
  Exchange("mx", {}, kNow);
  Exchange("relay", {"m\tahead"}, kNow, 1000, kNow + 5 * kDay);
  const std::vector<std::string> keys = Numbered("m\t", 10500);
  Exchange("relay", keys, kNow + kUsPerSecond, 20000);
  Exchange("relay", {}, kNow + kDay + 2 * kUsPerSecond);
  Exchange("relay", {}, kNow + kDay + 3 * kUsPerSecond);
  EXPECT_EQ(Keys(Exchange("late", {}, kNow + kDay + 4 * kUsPerSecond, 20000)),
            std::vector<std::string>{"relay m\tahead"});
}

// As the agents run: idle, exchanging every 2 s, with the shortest window.
// Neither may look gone (each must write its row each minute, not put it
// off at every exchange).
TEST_P(StoreAnswers, IdleAgentsExchangingEvery2sStayThere) {
  window_ = 60 * kUsPerSecond;
  for (TimeUs t = kNow; t < kNow + 300 * kUsPerSecond; t += 2 * kUsPerSecond) {
    ASSERT_FALSE(Exchange("relay", {}, t).alone && t > kNow) << (t - kNow) / kUsPerSecond;
    ASSERT_FALSE(Exchange("mx", {}, t + kUsPerSecond).alone) << (t - kNow) / kUsPerSecond;
  }
}

// An idle agent says it is there about once a minute, not at every
// exchange (an agent alone wrote its row every 2 s: 1.4 GB of WAL a day).
TEST_P(StoreAnswers, PresenceIsWrittenAboutOnceAMinute) {
  window_ = 600 * kUsPerSecond;
  Exchange("relay", {}, kNow);
  Exchange("mx", {}, kNow + kUsPerSecond);
  Exchange("relay", {}, kNow + 30 * kUsPerSecond);  // not written again
  // A window on, the row is as the MX first read it: the relay is gone.
  EXPECT_TRUE(Idle("mx", kNow + 61 * kUsPerSecond, kNow + 601 * kUsPerSecond).alone);
  const TimeUs back = kNow + 620 * kUsPerSecond;
  Exchange("relay", {}, back);  // its row went: written
  Exchange("mx", {}, back + kUsPerSecond);
  Exchange("relay", {}, back + 30 * kUsPerSecond);
  Exchange("relay", {}, back + 90 * kUsPerSecond);  // a minute on: written
  EXPECT_FALSE(Idle("mx", back + 61 * kUsPerSecond, back + 601 * kUsPerSecond).alone);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreAnswers, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
