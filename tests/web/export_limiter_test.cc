// ExportLimiter: exports at once and per client per window (times injected).
#include "agent/web/export_limiter.h"

#include <gtest/gtest.h>

namespace mailtrail::web {
namespace {

using V = ExportLimiter::Verdict;
constexpr TimeUs kS = kUsPerSecond;

TEST(ExportLimiter, CapsExportsAtOnceAcrossClients) {
  ExportLimiter l({/*concurrent=*/2, /*per_client=*/10, 60 * kS});
  EXPECT_EQ(l.TryStart("addr:a", 0), V::kStart);
  EXPECT_EQ(l.TryStart("addr:b", 0), V::kStart);
  EXPECT_EQ(l.TryStart("addr:c", 0), V::kBusy);
  l.Finish();
  EXPECT_EQ(l.TryStart("addr:c", 1), V::kStart) << "a finished export frees its place";
}

TEST(ExportLimiter, CapsStartsPerClientInASlidingWindow) {
  ExportLimiter l({/*concurrent=*/100, /*per_client=*/3, 60 * kS});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(l.TryStart("user:ann", i * kS), V::kStart);
    l.Finish();
  }
  EXPECT_EQ(l.TryStart("user:ann", 10 * kS), V::kTooOften);
  EXPECT_EQ(l.RetryAfterSeconds("user:ann", 10 * kS), 50) << "the oldest start leaves at 60 s";
  EXPECT_EQ(l.TryStart("user:bob", 10 * kS), V::kStart) << "another client is not held back";
  l.Finish();
  EXPECT_EQ(l.TryStart("user:ann", 59 * kS), V::kTooOften);
  EXPECT_EQ(l.TryStart("user:ann", 60 * kS), V::kStart) << "the first start left the window";
  EXPECT_EQ(l.TryStart("user:ann", 60 * kS), V::kTooOften);
}

TEST(ExportLimiter, RefusalsDoNotCountAsStarts) {
  ExportLimiter l({/*concurrent=*/1, /*per_client=*/2, 60 * kS});
  EXPECT_EQ(l.TryStart("addr:a", 0), V::kStart);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(l.TryStart("addr:b", kS), V::kBusy);
  l.Finish();
  EXPECT_EQ(l.TryStart("addr:b", 2 * kS), V::kStart);
  l.Finish();
  EXPECT_EQ(l.TryStart("addr:b", 3 * kS), V::kStart) << "busy refusals were not starts";
}

}  // namespace
}  // namespace mailtrail::web
