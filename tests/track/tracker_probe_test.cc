// Address verification: Postfix's own probes (reject_unverified_recipient,
// verify(8)) and a user's `sendmail -bv` deliver nothing. Their recipients end
// "deliverable" or "undeliverable", never "delivered" or "bounced" (which a
// report would count as mail delivered or returned). The lines are a real
// Postfix 3.7's (tests/data/probes/README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

std::vector<std::string> ProbeLog() {
  std::ifstream in(std::string(MT_SOURCE_DIR) + "/tests/data/probes/verify-probes.log");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

const RecipientRecord& OnlyRecipient(const MessageRecord* r) {
  static const RecipientRecord none;
  if (r == nullptr || r->recipients.size() != 1) {
    ADD_FAILURE() << "not one record with one recipient";
    return none;
  }
  return r->recipients[0];
}

TEST(TrackerProbe, AVerificationProbeIsNeitherDeliveredNorBounced) {
  const std::vector<std::string> lines = ProbeLog();
  ASSERT_EQ(lines.size(), 59u);
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();

  // Postfix's probes: from double-bounce@, one recipient each.
  const MessageRecord* ok = h.One("A1768A80491");
  EXPECT_EQ(OnlyRecipient(ok).outcome, Outcome::kDeliverable);
  EXPECT_EQ(OnlyRecipient(ok).status_text, "delivers to maildir");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->outcome, Outcome::kDeliverable);
  EXPECT_EQ(ok->sender.value_or("?"), "double-bounce@mx.example.test");

  const MessageRecord* unknown = h.One("A02C3A80102");
  EXPECT_EQ(OnlyRecipient(unknown).outcome, Outcome::kUndeliverable);
  EXPECT_EQ(OnlyRecipient(unknown).dsn, "5.1.1");
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->outcome, Outcome::kUndeliverable);

  // A temporary failure is "undeliverable" too (4.4.1): the probe is not retried.
  const MessageRecord* refused = h.One("A36C1A80112");
  EXPECT_EQ(OnlyRecipient(refused).outcome, Outcome::kUndeliverable);
  EXPECT_EQ(OnlyRecipient(refused).dsn, "4.4.1");

  // sendmail -bv: the user's request, answered by a notification.
  EXPECT_EQ(OnlyRecipient(h.One("ABF6EA80133")).outcome, Outcome::kUndeliverable);
  EXPECT_EQ(OnlyRecipient(h.One("B6E72A8048C")).outcome, Outcome::kDeliverable);
  EXPECT_EQ(OnlyRecipient(h.One("B3E13A80452")).outcome, Outcome::kDelivered)
      << "the notification itself is delivered mail";

  // Nothing in this log was delivered or bounced but the two notifications.
  int delivered = 0, bounced = 0;
  for (const MessageRecord& r : h.records())
    for (const RecipientRecord& rc : r.recipients) {
      delivered += rc.outcome == Outcome::kDelivered;
      bounced += rc.outcome == Outcome::kBounced;
    }
  EXPECT_EQ(delivered, 2);
  EXPECT_EQ(bounced, 0);
}

TEST(TrackerProbe, TheOutcomesHaveTheirPostfixNames) {
  EXPECT_STREQ(OutcomeName(Outcome::kDeliverable), "deliverable");
  EXPECT_STREQ(OutcomeName(Outcome::kUndeliverable), "undeliverable");
  EXPECT_EQ(OutcomeFromName("undeliverable"), Outcome::kUndeliverable);
  // Appended: the codes stores already hold keep their meaning.
  EXPECT_EQ(static_cast<int>(Outcome::kMixed), 8);
  EXPECT_EQ(static_cast<int>(Outcome::kDeliverable), 9);
  EXPECT_EQ(static_cast<int>(Outcome::kUndeliverable), 10);
  // The lists of choices name each outcome once.
  const std::vector<std::string> shown = OutcomeNamesShown();
  ASSERT_EQ(shown.size(), static_cast<size_t>(kOutcomeCount));
  for (int o = 0; o < kOutcomeCount; ++o)
    EXPECT_EQ(std::count(shown.begin(), shown.end(), OutcomeName(static_cast<Outcome>(o))), 1)
        << OutcomeName(static_cast<Outcome>(o));
}

}  // namespace
}  // namespace mailtrail
