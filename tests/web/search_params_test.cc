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
  EXPECT_EQ(s->query.outcome, Outcome::kBounced);
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

TEST(SearchCursor, RoundTripsAndRefusesGarbage) {
  const SearchCursor c{1795000000 * kUsPerSecond, 123456789};
  auto back = DecodeCursor(EncodeCursor(c));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->first_seen, c.first_seen);
  EXPECT_EQ(back->row, c.row);
  for (const char* bad : {"", "-", "1-", "-1", "1-2-3", "a-1", "99999999999999999999-1", "1 -2"})
    EXPECT_FALSE(DecodeCursor(bad).has_value()) << bad;
}

}  // namespace
}  // namespace mailtrail::web
