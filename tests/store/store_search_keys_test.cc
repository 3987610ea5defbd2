// The Store contract for the web console's search keys (SearchQuery's
// recipient_domain ... reject_text, agent/store/search_filters.h): every
// backend gives the same records for each, and counts and pages them alike.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "agent/store/store.h"
#include "tests/support/mariadb.h"
#include "tests/support/store_backends.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

RecipientRecord Rcpt(const std::string& address, Outcome o, const std::string& dsn,
                     const std::string& relay, double delay) {
  RecipientRecord r;
  r.address = address;
  r.outcome = o;
  r.dsn = dsn;
  r.relay = relay;
  r.delay = delay;
  r.attempts = 1;
  return r;
}

class SearchKeys : public ::testing::TestWithParam<StoreBackend>, public StoreFixture {
 protected:
  // Four messages that differ in every key:
  //  4E100 from <> (a bounce) at 2001:db8::5, mixed: a@example.test delivered
  //        (2.0.0, local, 0.25 s), b@remote.test bounced (5.1.1 via
  //        mx.remote.test, 3.5 s); rejected once "User unknown" (5.1.1);
  //        scan CLEAN -1.5; caused an NDR.
  //  4E101 from alice at 192.0.2.77, delivered to c@other.test (2.0.0 via
  //        relay.other.test[198.51.100.1], 0.12 s); scan SPAM 7.5.
  //  4E102 from bob at 192.0.3.1, deferred for d@remote.test (4.4.1, 300 s).
  //  4E103 Postfix's NDR of 4E101 (ndr_of), from postmaster at 10.1.2.3,
  //        bounced for e@far.test (5.7.1, 1 s).
  void SetUp() override {
    auto s = OpenStore(GetParam().url(dir_), Detail::kStandard, true);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    MessageRecord a = Sample("4E100");
    a.recipients = {
        Rcpt("a@example.test", Outcome::kDelivered, "2.0.0", "local", 0.25),
        Rcpt("b@remote.test", Outcome::kBounced, "5.1.1", "mx.remote.test[192.0.2.9]:25", 3.5)};
    MessageRecord b = Plain("4E101", "alice@example.org", "192.0.2.77", Outcome::kDelivered);
    b.recipients = {Rcpt("c@other.test", Outcome::kDelivered, "2.0.0",
                         "relay.other.test[198.51.100.1]:25", 0.12)};
    b.scans = {ScanResult{"amavis", "SPAM", "Blocked", 7.5, true}};
    MessageRecord c = Plain("4E102", "bob@example.org", "192.0.3.1", Outcome::kDeferred);
    c.recipients = {Rcpt("d@remote.test", Outcome::kDeferred, "4.4.1", "", 300)};
    MessageRecord d = Plain("4E103", "postmaster@example.org", "10.1.2.3", Outcome::kBounced);
    d.ndr_of = "4E101";
    d.recipients = {Rcpt("e@far.test", Outcome::kBounced, "5.7.1", "", 1)};
    b.first_seen += 1 * kUsPerSecond;  // in this order
    c.first_seen += 2 * kUsPerSecond;
    d.first_seen += 3 * kUsPerSecond;
    ASSERT_TRUE(store_->Write({a, b, c, d}).ok());
  }

  static MessageRecord Plain(const std::string& qid, const std::string& sender,
                             const std::string& ip, Outcome o) {
    MessageRecord r = Sample(qid);
    r.sender = sender;
    r.client_ip = ip;
    r.outcome = o;
    r.reject.reset();
    r.scans.clear();
    r.ndr_qid.clear();
    return r;
  }

  std::string Qids(const SearchQuery& q) {
    std::string got;
    Status st = store_->Search(q, [&](MessageRecord&& r) { got += r.qid + " "; });
    EXPECT_TRUE(st.ok()) << st.message();
    return got;
  }

  TempDir dir_{"mt_search_keys"};
  std::unique_ptr<Store> store_;
};

TEST_P(SearchKeys, RecipientDomainIsTheWholeDomainInAnyCase) {
  SearchQuery q;
  q.recipient_domain = "remote.test";
  EXPECT_EQ(Qids(q), "4E100 4E102 ");
  q.recipient_domain = "REMOTE.Test";
  EXPECT_EQ(Qids(q), "4E100 4E102 ");
  q.recipient_domain = "test";
  EXPECT_EQ(Qids(q), "") << "a domain, not a suffix";
  // An address without "@" (Postfix's to=<postmaster>) has no domain: SQLite
  // took the whole address for one (helper-86).
  MessageRecord local = Plain("4E104", "x@example.org", "192.0.2.99", Outcome::kDelivered);
  local.first_seen += 4 * kUsPerSecond;
  local.recipients = {Rcpt("postmaster", Outcome::kDelivered, "2.0.0", "local", 0.1)};
  ASSERT_TRUE(store_->Write({local}).ok());
  q.recipient_domain = "postmaster";
  EXPECT_EQ(Qids(q), "");
}

TEST_P(SearchKeys, ClientCidrSelectsTheNetworkOfItsFamily) {
  SearchQuery q;
  q.client_cidr = "192.0.2.0/24";
  EXPECT_EQ(Qids(q), "4E101 ");
  q.client_cidr = "192.0.0.0/16";
  EXPECT_EQ(Qids(q), "4E101 4E102 ");
  q.client_cidr = "2001:db8::/32";
  EXPECT_EQ(Qids(q), "4E100 ");
  q.client_cidr = "0.0.0.0/0";
  EXPECT_EQ(Qids(q), "4E101 4E102 4E103 ") << "IPv4 only";
  q.client_cidr = "192.0.2.78/32";
  EXPECT_EQ(Qids(q), "");
  q.client_cidr = "not-a-network";
  EXPECT_FALSE(store_->Search(q, [](MessageRecord&&) {}).ok());
}

TEST_P(SearchKeys, DsnIsExactOrAPrefixAndCoversTheReject) {
  SearchQuery q;
  q.dsn = "5.1.1";
  EXPECT_EQ(Qids(q), "4E100 ");
  q.dsn = "5.*";
  EXPECT_EQ(Qids(q), "4E100 4E103 ");
  q.dsn = "4.*";
  EXPECT_EQ(Qids(q), "4E102 ");
  q.dsn = "2.0.0";
  EXPECT_EQ(Qids(q), "4E100 4E101 ");
  q.dsn = "5.1";
  EXPECT_EQ(Qids(q), "") << "without *: exact";
}

TEST_P(SearchKeys, RelayIsASubstringInAnyCase) {
  SearchQuery q;
  q.relay = "REMOTE.test";
  EXPECT_EQ(Qids(q), "4E100 ");
  q.relay = "198.51.100";
  EXPECT_EQ(Qids(q), "4E101 ");
  q.relay = "nowhere";
  EXPECT_EQ(Qids(q), "");
}

TEST_P(SearchKeys, AnOutcomeSetMatchesMixedMessagesByTheirRecipients) {
  SearchQuery q;
  q.outcomes = {Outcome::kBounced};
  EXPECT_EQ(Qids(q), "4E100 4E103 ");
  q.outcomes = {Outcome::kDeferred, Outcome::kDelivered};
  EXPECT_EQ(Qids(q), "4E100 4E101 4E102 ");
  q.outcomes = {Outcome::kMixed};
  EXPECT_EQ(Qids(q), "4E100 ");
  q.outcomes = {Outcome::kExpired};
  EXPECT_EQ(Qids(q), "");
}

TEST_P(SearchKeys, DelayRangeIsInclusiveOnAnyRecipient) {
  SearchQuery q;
  q.min_delay = 3;
  EXPECT_EQ(Qids(q), "4E100 4E102 ");
  q = {};
  q.min_delay = 0.12;
  q.max_delay = 0.12;
  EXPECT_EQ(Qids(q), "4E101 ") << "a logged delay matches itself";
  q = {};
  q.max_delay = 0.5;
  EXPECT_EQ(Qids(q), "4E100 4E101 ");
  q.min_delay = 0.26;
  EXPECT_EQ(Qids(q), "");
}

TEST_P(SearchKeys, ScanVerdictAndScoreAreMetByOneScan) {
  SearchQuery q;
  q.scan_verdict = "spam";
  EXPECT_EQ(Qids(q), "4E101 ");
  q = {};
  q.min_score = 0;
  EXPECT_EQ(Qids(q), "4E101 ");
  q.min_score = -2;
  EXPECT_EQ(Qids(q), "4E100 4E101 ");
  q.scan_verdict = "CLEAN";
  q.min_score = 0;
  EXPECT_EQ(Qids(q), "") << "CLEAN scored -1.5";
}

TEST_P(SearchKeys, BouncesAreTheNullSendersAndNdrsAndTheirCauses) {
  SearchQuery q;
  q.is_bounce = true;
  EXPECT_EQ(Qids(q), "4E100 4E103 ");
  q.is_bounce = false;
  EXPECT_EQ(Qids(q), "4E101 4E102 ");
  q = {};
  q.has_bounce = true;
  EXPECT_EQ(Qids(q), "4E100 4E103 ");
  q.has_bounce = false;
  EXPECT_EQ(Qids(q), "4E101 4E102 ");
}

// An address verification probe from the null sender (address_verify_sender
// = <>) is no bounce: it is no mail at all, and no answer to one.
TEST_P(SearchKeys, AProbeFromTheNullSenderIsNoBounce) {
  for (Outcome o : {Outcome::kDeliverable, Outcome::kUndeliverable}) {
    MessageRecord probe = Plain(o == Outcome::kDeliverable ? "4E104" : "4E105", "", "", o);
    probe.first_seen += 4 * kUsPerSecond;
    ASSERT_TRUE(store_->Write({probe}).ok());
  }
  SearchQuery q;
  q.is_bounce = true;
  EXPECT_EQ(Qids(q), "4E100 4E103 ");
  q.is_bounce = false;
  EXPECT_EQ(Qids(q), "4E101 4E102 4E104 4E105 ");
}

TEST_P(SearchKeys, RejectTextIsASubstringInAnyCase) {
  SearchQuery q;
  q.reject_text = "UNKNOWN";
  EXPECT_EQ(Qids(q), "4E100 ");
  q.reject_text = "relay access denied";
  EXPECT_EQ(Qids(q), "");
}

TEST_P(SearchKeys, KeysCombineAndCountUpToACap) {
  SearchQuery q;
  q.recipient_domain = "remote.test";
  q.outcomes = {Outcome::kBounced};
  EXPECT_EQ(Qids(q), "4E100 ");
  q.dsn = "4.*";
  EXPECT_EQ(Qids(q), "");
  q.outcomes = {Outcome::kDeferred};
  EXPECT_EQ(Qids(q), "4E102 ");
  auto n = store_->CountMatchesUpTo(SearchQuery{}, 3);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->n, 3);
  n = store_->CountMatchesUpTo(SearchQuery{}, 10);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->n, 4);
  SearchQuery scored;
  scored.min_score = -2;
  scored.limit = 1;
  n = store_->CountMatchesUpTo(scored, 10);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->n, 2) << "record filters are counted too, whatever the limit";
  auto all = store_->CountMatches(scored);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 2);
}

// Record filters (scan keys) are met after the SQL: paging by cursor still
// gives each match once, in order.
TEST_P(SearchKeys, RecordFiltersPageByCursor) {
  SearchQuery q;
  q.min_score = -2;
  q.limit = 1;
  std::string got;
  for (int page = 0; page < 5; ++page) {
    int n = 0;
    std::optional<SearchCursor> last;
    ASSERT_TRUE(store_
                    ->SearchWithCursor(q,
                                       [&](MessageRecord&& r, const SearchCursor& at) {
                                         got += r.qid + " ";
                                         last = at;
                                         ++n;
                                       })
                    .ok());
    if (n < q.limit) break;
    q.after = last;
  }
  EXPECT_EQ(got, "4E100 4E101 ");
}

INSTANTIATE_TEST_SUITE_P(Backends, SearchKeys, ::testing::ValuesIn(kStoreBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mailtrail
