// Reports merged from sealed parts (agent/report/summary_part.h) against the
// one Summary of all the records: on the corpus's records split into parts in
// several ways, the merged report is the whole one, byte for byte, and the
// whole one is the Summary's own lists and counts.
#include "agent/report/summary_part.h"

#include <gtest/gtest.h>

#include <functional>

#include "tests/support/corpus_records.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

const std::vector<MessageRecord>& CorpusRecords() {
  static const std::vector<MessageRecord> records = [] {
    TempDir dir("mt_summary_part");
    return ReplayFiveCorpora(dir, /*two_hosts=*/false);
  }();
  return records;
}

Summary SummaryOf(const std::vector<const MessageRecord*>& records) {
  Summary s;
  for (const MessageRecord* r : records) s.Add(*r);
  return s;
}

// The corpus split into `parts` by `which`, each part summed and sealed.
std::vector<std::shared_ptr<const SummaryPart>> Split(
    size_t parts, const std::function<size_t(size_t, const MessageRecord&)>& which) {
  std::vector<std::vector<const MessageRecord*>> split(parts);
  const auto& all = CorpusRecords();
  for (size_t i = 0; i < all.size(); ++i) split[which(i, all[i]) % parts].push_back(&all[i]);
  std::vector<std::shared_ptr<const SummaryPart>> sealed;
  for (const auto& records : split) sealed.push_back(SummaryPart::Seal(SummaryOf(records)));
  return sealed;
}

Summary Whole() {
  std::vector<const MessageRecord*> all;
  for (const MessageRecord& r : CorpusRecords()) all.push_back(&r);
  return SummaryOf(all);
}

TEST(SummaryPart, AReportIsItsSummarysListsAndCounts) {
  const Summary s = Whole();
  ASSERT_GT(s.records(), 1000);
  ASSERT_GT(s.recipient_domains(), 10u);
  ASSERT_FALSE(s.TopBounceSubjects(1).empty());  // corpus 05's flood
  for (size_t top : {size_t{1}, size_t{3}, size_t{10}, size_t{100000}}) {
    SCOPED_TRACE(top);
    const Report r = ReportOf(s, top);
    EXPECT_EQ(r.records, s.records());
    EXPECT_EQ(r.first_seen, s.first_seen());
    EXPECT_EQ(r.last_seen, s.last_seen());
    EXPECT_EQ(r.messages, s.messages());
    EXPECT_EQ(r.recipients, s.recipients());
    EXPECT_EQ(r.bytes_received, s.bytes_received());
    EXPECT_EQ(r.senders, static_cast<int64_t>(s.senders()));
    EXPECT_EQ(r.sending_hosts, static_cast<int64_t>(s.sending_hosts()));
    EXPECT_EQ(r.recipient_addresses, static_cast<int64_t>(s.recipient_addresses()));
    EXPECT_EQ(r.recipient_domains, static_cast<int64_t>(s.recipient_domains()));
    EXPECT_EQ(r.top_senders, s.TopSenders(top));
    EXPECT_EQ(r.top_sending_hosts, s.TopSendingHosts(top));
    EXPECT_EQ(r.top_reject_reasons, s.TopRejectReasons(top));
    EXPECT_EQ(r.top_rejected_clients, s.TopRejectedClients(top));
    EXPECT_EQ(r.top_delivery_problems, s.TopDeliveryProblems(top));
    EXPECT_EQ(r.top_deferral_reasons, s.TopDeferralReasons(top));
    const Summary::Top domains = s.TopRecipientDomains(top);
    ASSERT_EQ(r.top_recipient_domains.size(), domains.size());
    for (size_t i = 0; i < domains.size(); ++i) {
      EXPECT_EQ(r.top_recipient_domains[i].recipients, domains[i].first);
      EXPECT_EQ(r.top_recipient_domains[i].domain, domains[i].second);
      EXPECT_EQ(r.top_recipient_domains[i].outcomes, s.DomainOutcomes(domains[i].second));
    }
    EXPECT_EQ(r.top_bounce_subjects, s.TopBounceSubjects(top));
    EXPECT_EQ(r.hours, s.hours());
    EXPECT_EQ(r.hour_outcomes, s.hour_outcomes());
  }
}

TEST(SummaryPart, AnySplitMergesToTheWholeReport) {
  const Summary whole = Whole();
  const std::hash<std::string> hash;
  const std::pair<const char*, std::function<size_t(size_t, const MessageRecord&)>> kWays[] = {
      {"by index", [](size_t i, const MessageRecord&) { return i; }},
      {"by queue id", [&](size_t, const MessageRecord& r) { return hash(r.qid); }},
      {"by sender", [&](size_t, const MessageRecord& r) { return hash(r.sender.value_or("")); }},
      {"by minute", [](size_t, const MessageRecord& r) {
         return static_cast<size_t>(r.first_seen / (60 * kUsPerSecond));
       }}};
  for (const auto& [name, way] : kWays)
    for (size_t parts : {size_t{1}, size_t{2}, size_t{5}, size_t{24}, size_t{97}}) {
      SCOPED_TRACE(std::string(name) + ", " + std::to_string(parts) + " parts");
      const auto sealed = Split(parts, way);
      for (size_t top : {size_t{3}, size_t{10}, size_t{100000}}) {
        EXPECT_EQ(ReportJson(MergeParts(sealed, top)), ReportJson(ReportOf(whole, top)));
      }
    }
}

TEST(SummaryPart, KeysOfTheSameHashStayApart) {
  // A sender chooses its address, so it can choose one whose hash is a top
  // sender's: with every key of every list colliding, the report is the same.
  const Summary whole = Whole();
  auto collide = [](std::string_view) { return uint64_t{7}; };
  std::vector<std::vector<const MessageRecord*>> split(5);
  const auto& all = CorpusRecords();
  for (size_t i = 0; i < all.size(); ++i) split[i % 5].push_back(&all[i]);
  std::vector<std::shared_ptr<const SummaryPart>> sealed;
  for (const auto& records : split)
    sealed.push_back(SummaryPart::Seal(SummaryOf(records), collide));
  for (size_t top : {size_t{3}, size_t{100000}})
    EXPECT_EQ(ReportJson(MergeParts(sealed, top)), ReportJson(ReportOf(whole, top)));
  EXPECT_EQ(ReportJson(ReportOf(whole, 10)),
            ReportJson(MergeParts({SummaryPart::Seal(whole, collide)}, 10)));
}

TEST(SummaryPart, NoPartsAndEmptyPartsAreAnEmptyReport) {
  const std::string empty = ReportJson(ReportOf(Summary(), 10));
  EXPECT_EQ(ReportJson(MergeParts({}, 10)), empty);
  EXPECT_EQ(
      ReportJson(MergeParts({SummaryPart::Seal(Summary()), SummaryPart::Seal(Summary())}, 10)),
      empty);
}

MessageRecord From(const std::string& sender, TimeUs at) {
  MessageRecord r;
  r.qid = "Q" + sender;
  r.sender = sender;
  r.first_seen = r.last_seen = at;
  return r;
}

TEST(SummaryPart, KeysSplitOverPartsAreSummedAndTiesGoByKey) {
  // "c" once in each part, "b" and "a" once in one part each: c 2, then a, b.
  const TimeUs t = int64_t{1795780800} * kUsPerSecond;
  Summary one, two;
  one.Add(From("b@x.test", t));
  one.Add(From("c@x.test", t));
  two.Add(From("c@x.test", t + 3600 * kUsPerSecond));
  two.Add(From("a@x.test", t + 3600 * kUsPerSecond));
  const Report r = MergeParts({SummaryPart::Seal(one), SummaryPart::Seal(two)}, 3);
  const Summary::Top want = {{2, "c@x.test"}, {1, "a@x.test"}, {1, "b@x.test"}};
  EXPECT_EQ(r.top_senders, want);
  EXPECT_EQ(r.senders, 3);
  EXPECT_EQ(r.records, 4);
  EXPECT_EQ(r.hours.size(), 2u);
  EXPECT_EQ(r.first_seen, t);
  EXPECT_EQ(r.last_seen, t + 3600 * kUsPerSecond);
}

}  // namespace
}  // namespace mailtrail
