// MailFlow: label values from fixed sets only, whatever the log said.
#include "agent/run/mail_flow.h"

#include <gtest/gtest.h>

namespace mailtrail {
namespace {

MessageRecord Rejected(std::string stage, int code) {
  MessageRecord r;
  r.outcome = Outcome::kRejected;
  r.reject = RejectInfo{"reject", std::move(stage), code, "5.7.1", "no"};
  return r;
}

TEST(MailFlow, RejectLabelsComeFromFixedSets) {
  MailFlow f;
  f.Count(Rejected("RCPT", 554));
  f.Count(Rejected("RCPT", 554));
  f.Count(Rejected("header", 0));
  f.Count(Rejected("RCPT\"} evil{x=\"", 554));  // a stage the parser never gives
  f.Count(Rejected("DATA", 999));
  f.Count(Rejected("DATA", -5));
  using Key = std::pair<std::string, std::string>;
  const std::map<Key, int64_t> want = {
      {{"RCPT", "554"}, 2}, {{"header", "none"}, 1}, {{"other", "554"}, 1}, {{"DATA", "other"}, 2}};
  EXPECT_EQ(f.rejects(), want);
  EXPECT_EQ(f.messages(Outcome::kRejected), 6);
}

TEST(MailFlow, DeliveredDelaysFallInTheirBuckets) {
  MessageRecord r;
  r.outcome = Outcome::kMixed;
  for (double d : {0.0, 1.0, 1.5, 86400.0, 1e7, -1.0}) {
    RecipientRecord rc;
    rc.outcome = Outcome::kDelivered;
    rc.delay = d;  // -1: unknown, not counted in the histogram
    r.recipients.push_back(rc);
  }
  RecipientRecord bounced;
  bounced.outcome = Outcome::kBounced;
  bounced.delay = 3;
  r.recipients.push_back(bounced);
  MailFlow f;
  f.Count(r);
  EXPECT_EQ(f.messages(Outcome::kMixed), 1);
  EXPECT_EQ(f.recipients(Outcome::kDelivered), 6);
  EXPECT_EQ(f.recipients(Outcome::kBounced), 1);
  const auto& b = f.delay_buckets();
  EXPECT_EQ(b[0], 2);   // 0 and 1.0: le="1"
  EXPECT_EQ(b[1], 1);   // 1.5: le="5"
  EXPECT_EQ(b[8], 1);   // 86400: le="86400"
  EXPECT_EQ(b[10], 1);  // above every bound: +Inf only
  EXPECT_DOUBLE_EQ(f.delay_sum(), 0 + 1 + 1.5 + 86400 + 1e7);
}

}  // namespace
}  // namespace mailtrail
