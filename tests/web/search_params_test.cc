// The search as the URL holds it: parameters, validation, permalinks, cursors.
#include "agent/web/search_params.h"

#include <gtest/gtest.h>

#include <map>

#include "base/civil_time.h"

namespace mailtrail::web {
namespace {

StatusOr<WebSearch> Parse(const std::map<std::string, std::string>& params) {
  return ParseSearchParams([&](const char* name) -> std::optional<std::string> {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return it->second;
  });
}

TEST(SearchParams, NamedLikeTheCliFlags) {
  auto s = Parse({{"recipient", "Tara@Example.TEST"},
                  {"client-ip", "127.0.5.124"},
                  {"message-id", "<id@host>"},
                  {"sender", "<>"},
                  {"outcome", "bounced"},
                  {"since", "2026-11-27"},
                  {"subject", "Order"},
                  {"qid", ""},
                  {"helo", "mail.x.test"},
                  {"sasl-user", "carol"},
                  {"min-size", "100"},
                  {"max-size", "2000"}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->query.recipient.value_or("?"), "tara@example.test");
  EXPECT_EQ(s->query.client_ip.value_or("?"), "127.0.5.124");
  EXPECT_EQ(s->query.message_id.value_or("?"), "id@host");
  EXPECT_EQ(s->query.sender.value_or("?"), "") << "<> is the null sender";
  EXPECT_EQ(s->query.outcomes, std::vector<Outcome>{Outcome::kBounced});
  TimeUs want;
  ASSERT_TRUE(ParseRfc3339("2026-11-27T00:00:00Z", &want));
  EXPECT_EQ(s->query.since, want);
  EXPECT_EQ(s->query.subject.value_or("?"), "Order");
  EXPECT_FALSE(s->query.qid.has_value()) << "an empty form field is no filter";
  EXPECT_EQ(s->query.helo.value_or("?"), "mail.x.test");
  EXPECT_EQ(s->query.sasl_username.value_or("?"), "carol");
  EXPECT_EQ(s->query.min_size.value_or(-1), 100);
  EXPECT_EQ(s->query.max_size.value_or(-1), 2000);
  EXPECT_EQ(s->query.limit, kDefaultPageSize);
  EXPECT_FALSE(s->query.after.has_value());
}

TEST(SearchParams, BadValuesAreRefusedByName) {
  struct Case {
    std::map<std::string, std::string> params;
    std::string want;
  } cases[] = {
      {{{"client-ip", "1.2.3"}}, "client-ip"},
      {{{"outcome", "lost"}}, "outcome"},
      {{{"since", "yesterday"}}, "since"},
      {{{"limit", "0"}}, "limit"},
      {{{"limit", "1001"}}, "limit"},
      {{{"limit", "-5"}}, "limit"},
      {{{"after", "12"}}, "after"},
      {{{"after", "x-1"}}, "after"},
      {{{"subject", std::string(kMaxParamBytes + 1, 'a')}}, "subject"},
      {{{"min-size", "1k"}}, "min-size"},
      {{{"max-size", "-1"}}, "max-size"},
      {{{"outcome", "bounced,lost"}}, "outcome"},
      {{{"domain", "@"}}, "domain"},
      {{{"domain", "a@b.test"}}, "domain"},
      {{{"client-cidr", "192.0.2.0/33"}}, "client-cidr"},
      {{{"dsn", "5.1.x"}}, "dsn"},
      {{{"dsn", "5..1"}}, "dsn"},
      {{{"dsn", "*"}}, "dsn"},
      {{{"min-delay", "-1"}}, "min-delay"},
      {{{"max-delay", "1.2.3"}}, "max-delay"},
      {{{"min-score", "high"}}, "min-score"},
      {{{"is-bounce", "true"}}, "is-bounce"},
      {{{"has-bounce", "1"}}, "has-bounce"},
  };
  for (const Case& c : cases) {
    auto s = Parse(c.params);
    ASSERT_FALSE(s.ok()) << c.want;
    EXPECT_NE(s.status().message().find(c.want), std::string::npos)
        << "got " << s.status().message() << ", want it to name " << c.want;
  }
}

TEST(SearchParams, PermalinkHoldsEveryFilterAndParsesBackToTheSameSearch) {
  auto s = Parse({{"recipient", "a+b@x.test"},
                  {"subject", "50% off & more"},
                  {"limit", "25"},
                  {"after", "1795000000-7"}});
  ASSERT_TRUE(s.ok());
  const std::string qs = FilterQueryString(*s);
  EXPECT_EQ(qs, "recipient=a%2Bb%40x.test&subject=50%25%20off%20%26%20more&limit=25")
      << "the cursor is not part of the permalink";
  // Decoded as a server would, the permalink gives the same filters.
  std::map<std::string, std::string> back = {
      {"recipient", "a+b@x.test"}, {"subject", "50% off & more"}, {"limit", "25"}};
  auto again = Parse(back);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->filters, s->filters);
  EXPECT_EQ(again->page_size, 25);
}

// The keys the CLI lacks (agent/store/search_filters.h for their meaning).
TEST(SearchParams, WebOnlyKeysReachTheQuery) {
  auto s = Parse({{"domain", "@Example.COM"},
                  {"client-cidr", "192.0.2.0/24"},
                  {"dsn", "5.*"},
                  {"relay", "mx.example.com"},
                  {"outcome", "bounced,deferred"},
                  {"min-delay", "2.5"},
                  {"max-delay", "60"},
                  {"scan-verdict", "SPAM"},
                  {"min-score", "-1.5"},
                  {"is-bounce", "yes"},
                  {"has-bounce", "no"},
                  {"reject-reason", "Relay access denied"}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  const SearchQuery& q = s->query;
  EXPECT_EQ(q.recipient_domain.value_or("?"), "example.com");
  EXPECT_EQ(q.client_cidr.value_or("?"), "192.0.2.0/24");
  EXPECT_EQ(q.dsn.value_or("?"), "5.*");
  EXPECT_EQ(q.relay.value_or("?"), "mx.example.com");
  EXPECT_EQ(q.outcomes, (std::vector<Outcome>{Outcome::kBounced, Outcome::kDeferred}));
  EXPECT_EQ(q.min_delay.value_or(-1), 2.5);
  EXPECT_EQ(q.max_delay.value_or(-1), 60);
  EXPECT_EQ(q.scan_verdict.value_or("?"), "SPAM");
  EXPECT_EQ(q.min_score.value_or(0), -1.5);
  EXPECT_EQ(q.is_bounce, std::optional<bool>(true));
  EXPECT_EQ(q.has_bounce, std::optional<bool>(false));
  EXPECT_EQ(q.reject_text.value_or("?"), "Relay access denied");
  for (const char* dsn : {"5.1.1", "4.7.*", "5", "2.0.0"})
    EXPECT_TRUE(Parse({{"dsn", dsn}}).ok()) << dsn;
  // In the permalink, in kFilterNames order, as given.
  EXPECT_EQ(FilterQueryString(*s).substr(0, 44), "outcome=bounced%2Cdeferred&domain=%40Example");
}

TEST(SearchCursor, RoundTripsAndRefusesGarbage) {
  const SearchCursor c{1795000000 * kUsPerSecond, 123456789};
  auto back = DecodeCursor(EncodeCursor(c));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->first_seen, c.first_seen);
  EXPECT_EQ(back->row, c.row);
  for (const char* bad : {"", "-", "1-", "-1", "1-2-3", "a-1", "99999999999999999999-1", "1 -2"})
    EXPECT_FALSE(DecodeCursor(bad).has_value()) << bad;
  // The cursor of a page stopped between messages (Store::SearchWithin).
  const SearchCursor end{1795000000 * kUsPerSecond, kRowAfterAll};
  back = DecodeCursor(EncodeCursor(end));
  ASSERT_TRUE(back.has_value()) << EncodeCursor(end);
  EXPECT_EQ(*back, end);
}

}  // namespace
}  // namespace mailtrail::web
