// The time slices of a search's window (agent/store/time_slices.h): the
// seconds a window leaves of a store's span, and a read slice by slice that
// gives what one read of the whole window gives.
#include "agent/store/time_slices.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailtrail {
namespace {

constexpr TimeUs kS = kUsPerSecond;

TEST(TimeSlices, AWindowLeavesTheSecondsItTouches) {
  const SecondsSpan span{100, 200};
  SearchQuery q;
  EXPECT_EQ(SecondsToRead(span, q), span);
  q.since = 150 * kS + 1;
  q.until = 160 * kS + 1;  // within second 160: that second is read
  EXPECT_EQ(SecondsToRead(span, q), (SecondsSpan{150, 161}));
  q.until = 160 * kS;
  EXPECT_EQ(SecondsToRead(span, q), (SecondsSpan{150, 160}));
  q.after = SearchCursor{155 * kS + 7, 3};
  EXPECT_EQ(SecondsToRead(span, q), (SecondsSpan{155, 160}));
  q.since = 300 * kS;
  EXPECT_FALSE(SecondsToRead(span, q)) << "past the store's last second";
  // Before 1970 a time's second is the one it falls in, not the one after.
  SearchQuery old;
  old.since = -kS - 1;
  old.until = -kS / 2;
  EXPECT_EQ(SecondsToRead(SecondsSpan{-10, 10}, old), (SecondsSpan{-2, 0}));
}

TEST(TimeSlices, ASliceKeepsItsSearchsOwnBounds) {
  SearchQuery q;
  q.since = 105 * kS + 3;
  q.until = 190 * kS;
  q.dsn = "5.1.1";
  const SearchQuery first = SliceOf(q, 105, 110), last = SliceOf(q, 180, 200);
  EXPECT_EQ(first.since, q.since);
  EXPECT_EQ(first.until, 110 * kS);
  EXPECT_EQ(last.since, 180 * kS);
  EXPECT_EQ(last.until, q.until);
  EXPECT_EQ(last.dsn, q.dsn);
}

// A "store" of one record a second from 0 to 99 (row = second), read by
// windows: slices of 7 seconds give the window's records, in order, to the
// limit, each slice within 7 seconds and after the one before.
TEST(TimeSlices, AReadInSlicesIsTheReadOfTheWholeWindow) {
  std::vector<std::pair<TimeUs, TimeUs>> windows;
  const SqlPageFn read = [&](const SearchQuery& s, const CursorFn& fn) {
    windows.emplace_back(*s.since, *s.until);
    int64_t n = 0;
    for (int64_t t = 0; t < 100 && n < s.limit; ++t) {
      const TimeUs at = t * kS + 500;
      if (at < *s.since || at >= *s.until) continue;
      if (s.after && std::pair(at, t) <= std::pair(s.after->first_seen, s.after->row)) continue;
      MessageRecord r;
      r.qid = std::to_string(t);
      ++n;
      fn(std::move(r), SearchCursor{at, t});
    }
    return Status::Ok();
  };
  SearchQuery q;
  q.since = 10 * kS + 700;  // second 10's record is before it
  q.until = 60 * kS;
  q.after = SearchCursor{20 * kS + 500, 20};
  q.limit = 30;
  std::string got;
  ASSERT_TRUE(
      ReadInSlices(SecondsSpan{0, 100}, q, 7, read, [&](MessageRecord&& r, const SearchCursor&) {
        got += r.qid + " ";
      }).ok());
  std::string want;
  for (int t = 21; t < 51; ++t) want += std::to_string(t) + " ";
  EXPECT_EQ(got, want);
  ASSERT_FALSE(windows.empty());
  EXPECT_EQ(windows.front().first, 20 * kS);
  for (size_t i = 0; i < windows.size(); ++i) {
    EXPECT_LE(windows[i].second - windows[i].first, 7 * kS) << "slice " << i;
    if (i > 0) {
      EXPECT_EQ(windows[i].first, windows[i - 1].second) << "slice " << i;
    }
  }
  EXPECT_LE(windows.back().first, 50 * kS) << "it stopped once it had the limit";
  EXPECT_GT(windows.back().second, 50 * kS);
}

// Over a long window the slices are longer than asked, at most about
// kMostSlices of them (each statement has a cost of its own).
TEST(TimeSlices, ALongWindowIsReadInAtMostAboutKMostSlices) {
  int reads = 0;
  const SqlPageFn read = [&](const SearchQuery&, const CursorFn&) {
    ++reads;
    return Status::Ok();
  };
  SearchQuery q;
  q.limit = 10;
  ASSERT_TRUE(ReadInSlices(SecondsSpan{0, 100 * kMostSlices}, q, 1, read,
                           [](MessageRecord&&, const SearchCursor&) {})
                  .ok());
  EXPECT_EQ(reads, kMostSlices);
}

}  // namespace
}  // namespace mailtrail
