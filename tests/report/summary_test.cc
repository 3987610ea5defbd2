// Summary: counts, top lists in order, and untrusted text kept as data in both
// renderings.
#include "agent/report/summary.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mailtrail {
namespace {

MessageRecord Queued(const std::string& qid, const std::string& sender,
                     std::vector<std::pair<std::string, Outcome>> rcpts) {
  MessageRecord r;
  r.qid = qid;
  r.first_seen = r.last_seen = int64_t{1795780800} * 1000000;  // 2026-11-27T12:00:00Z
  r.sender = sender;
  r.size = 1000;
  r.has_client = true;
  r.client_ip = "192.0.2.1";
  r.client_host = "unknown";
  r.outcome = Outcome::kDelivered;
  for (auto& [address, outcome] : rcpts) {
    RecipientRecord rc;
    rc.address = address;
    rc.outcome = outcome;
    r.recipients.push_back(rc);
  }
  return r;
}

TEST(Summary, CountsAndOrdersTheTopLists) {
  Summary s;
  s.Add(Queued("A1", "b@x.test", {{"u@one.test", Outcome::kDelivered}}));
  s.Add(Queued("A2", "A@x.test", {{"v@two.test", Outcome::kBounced}}));
  s.Add(Queued("A3", "a@x.test", {{"U@ONE.test", Outcome::kDelivered}}));
  s.Add(Queued("A4", "", {{"w@two.test", Outcome::kDelivered}}));
  EXPECT_EQ(s.records(), 4);
  EXPECT_EQ(s.bytes_received(), 4000);
  EXPECT_EQ(s.senders(), 3u);        // a@ (any case), b@, <>
  EXPECT_EQ(s.sending_hosts(), 1u);  // "unknown" names: by address
  EXPECT_EQ(s.recipient_addresses(), 3u);
  EXPECT_EQ(s.recipient_domains(), 2u);
  EXPECT_EQ(s.recipients()[static_cast<int>(Outcome::kBounced)], 1);
  const Summary::Top senders = s.TopSenders(2);
  ASSERT_EQ(senders.size(), 2u);
  EXPECT_EQ(senders[0], (std::pair<int64_t, std::string>{2, "a@x.test"}));
  EXPECT_EQ(senders[1], (std::pair<int64_t, std::string>{1, "<>"}));  // ties by key
  EXPECT_EQ(s.DomainOutcomes("two.test")[static_cast<int>(Outcome::kBounced)], 1);
  EXPECT_EQ(s.hours().at(int64_t{1795780800} * 1000000), 4);
  EXPECT_NE(SummaryText(s, 3).find("2026-11-27T12:00         4"), std::string::npos);
}

TEST(Summary, BouncesBySubjectAreNoticesAndBouncedMessages) {
  const TimeUs hour = int64_t{1795780800} * 1000000;
  Summary s;
  MessageRecord notice = Queued("N1", "", {{"a@x.test", Outcome::kDelivered}});
  notice.subject = "Undelivered Mail Returned to Sender";
  MessageRecord bounced = Queued("B1", "b@x.test", {{"c@y.test", Outcome::kBounced}});
  bounced.outcome = Outcome::kBounced;
  bounced.subject = "Undelivered Mail Returned to Sender";
  MessageRecord plain = Queued("P1", "d@x.test", {{"e@y.test", Outcome::kDelivered}});
  plain.subject = "hello";
  for (const MessageRecord* r : {&notice, &bounced, &plain}) s.Add(*r);
  const Summary::Top want = {{2, "Undelivered Mail Returned to Sender"}};
  EXPECT_EQ(s.TopBounceSubjects(10), want);
  EXPECT_EQ(s.hour_outcomes().at(hour)[static_cast<int>(Outcome::kDelivered)], 2);
  EXPECT_EQ(s.hour_outcomes().at(hour)[static_cast<int>(Outcome::kBounced)], 1);
  const auto j = nlohmann::json::parse(SummaryJson(s, 10));
  EXPECT_EQ(j.at("top_bounce_subjects").at(0).at("count"), 2);
  EXPECT_EQ(j.at("hours_by_outcome").at("2026-11-27T12").at("bounced"), 1);
}

TEST(Summary, HostileTextStaysData) {
  Summary s;
  s.Add(Queued("A1", "evil\x1b[31m\"},{\"x@y", {{"a\nb@t\"est", Outcome::kDeferred}}));
  MessageRecord rej;
  rej.outcome = Outcome::kRejected;
  rej.reject = RejectInfo{"reject", "RCPT", 554, "5.7.1\r\nInjected: yes", "no"};
  rej.client_ip = "198.51.100.9";
  s.Add(rej);
  const std::string text = SummaryText(s, 10);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find("\nInjected"), std::string::npos) << text;
  const auto j = nlohmann::json::parse(SummaryJson(s, 10));
  EXPECT_EQ(j.at("top_senders").at(0).at("key"), "evil\x1b[31m\"},{\"x@y");
  EXPECT_EQ(j.at("recipients").at("deferred"), 1);
  EXPECT_EQ(j.at("top_reject_reasons").at(0).at("key"), "reject RCPT 554 5.7.1\r\nInjected: yes");
  EXPECT_EQ(j.at("top_rejected_clients").at(0).at("key"), "198.51.100.9");
}

}  // namespace
}  // namespace mailtrail
