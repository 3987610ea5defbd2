// The console's pages and exports from given values: escaping, one row per
// recipient, links both ways, the cursor in the next-page link.
#include "agent/web/render.h"

#include <gtest/gtest.h>

#include "agent/web/api_json.h"

namespace mailtrail::web {
namespace {

constexpr const char* kHostile = "<img src=x onerror=alert(1)>";

MessageRecord ThreeRecipients() {
  MessageRecord r;
  r.host = "mx";
  r.qid = "4C1A2B3C";
  r.first_seen = 1795000000 * kUsPerSecond;
  r.sender = "=cmd|' /C calc'!A0@evil.test";
  r.subject = kHostile;
  r.client_ip = "192.0.2.7";
  r.size = 1200;
  r.child_qids = {"5D2B3C4D"};
  r.ndr_qid = "6E3C4D5E";
  for (const char* a : {"a@x.test", "b@x.test", "c@x.test"}) {
    RecipientRecord rc;
    rc.address = a;
    rc.outcome = Outcome::kDelivered;
    rc.relay = "mx.x.test[198.51.100.1]:25";
    rc.status_text = "\"><script>alert(2)</script>";
    r.recipients.push_back(rc);
  }
  return r;
}

TEST(RenderSearchPage, OneRowPerRecipientAndNoRawMarkupFromTheLog) {
  WebSearch s;
  s.filters = {{"subject", kHostile}};
  SearchPage page;
  page.records = {ThreeRecipients()};
  page.next = SearchCursor{1795000000 * kUsPerSecond, 42};
  const std::string html = RenderSearchPage(s, page);
  size_t rows = 0;
  for (size_t at = 0; (at = html.find("class=\"rcpt-row\"", at)) != std::string::npos; ++at) ++rows;
  EXPECT_EQ(rows, 3u);
  EXPECT_EQ(html.find("<img"), std::string::npos) << "the subject must show as text";
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("href=\"/search?subject=%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E&amp;"
                      "after=1795000000-42\""),
            std::string::npos)
      << "the next page keeps the filters and adds the cursor";
  EXPECT_NE(html.find("href=\"/message/mx/4C1A2B3C\""), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos) << "no inline script";
}

TEST(RenderSearchPage, TheTotalSaysWhereItsCountStopped) {
  WebSearch s;
  SearchPage page;
  page.total = 312;
  auto total = [&] {
    const std::string html = RenderSearchPage(s, page);
    const size_t at = html.find("<p id=\"total\">");
    return at == std::string::npos ? "" : html.substr(at, html.find("</p>", at) - at);
  };
  EXPECT_EQ(total(), "<p id=\"total\">312 messages match.");
  page.total = kTotalCap;
  page.total_capped = true;
  EXPECT_EQ(total(), "<p id=\"total\">More than 10000 messages match.");
  page.total = 312;
  page.total_stopped = true;
  EXPECT_EQ(total(),
            "<p id=\"total\">At least 312 messages match (the count stopped at its work limit).");
}

TEST(RenderSearchPage, AStoppedPageSaysWhereItGoesOn) {
  WebSearch s;
  s.filters = {{"outcome", "bounced"}};
  SearchPage page;
  page.next = SearchCursor{1795000000 * kUsPerSecond, 42};
  page.stopped = true;
  const std::string html = RenderSearchPage(s, page);
  EXPECT_NE(html.find("<p id=\"stopped\">The search stopped at its work limit, having read the "
                      "messages up to <time datetime=\"2026-11-18T11:06:40Z\">"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("after=1795000000-42\">Go on searching</a>"), std::string::npos);
  page.stopped = false;
  EXPECT_EQ(RenderSearchPage(s, page).find("id=\"stopped\""), std::string::npos);
}

TEST(RenderMessagePage, LegsAreLinkedAndStatusTextEscaped) {
  MessageView v;
  v.records = {ThreeRecipients()};
  MessageRecord next;
  next.host = "mx";
  next.qid = "5D2B3C4D";
  next.parent_qid = "4C1A2B3C";
  v.linked = {next};
  const std::string html = RenderMessagePage(v);
  EXPECT_NE(html.find("data-rel=\"child\" href=\"/message/mx/5D2B3C4D\""), std::string::npos);
  EXPECT_NE(html.find("data-rel=\"parent\" href=\"/message/mx/4C1A2B3C\""), std::string::npos)
      << "the next leg links back";
  EXPECT_NE(html.find("data-rel=\"ndr\" href=\"/message/mx/6E3C4D5E\""), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
}

TEST(CsvExport, OneLinePerRecipientWithFormulasNeutralised) {
  std::string csv = CsvHeader();
  AppendCsvRows(ThreeRecipients(), &csv);
  MessageRecord rejected;
  rejected.host = "mx";
  rejected.sender = "-x@y.test";
  AppendCsvRows(rejected, &csv);
  size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  EXPECT_EQ(lines, 1u + 3u + 1u);
  EXPECT_NE(csv.find(",'=cmd|' /C calc'!A0@evil.test,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",'-x@y.test,"), std::string::npos) << csv;
  EXPECT_EQ(csv.find(",=cmd"), std::string::npos);
}

TEST(SearchPageJson, NextUrlHoldsFiltersAndCursor) {
  WebSearch s;
  s.filters = {{"recipient", "a@x.test"}};
  SearchPage page;
  page.records = {ThreeRecipients()};
  page.next = SearchCursor{1795000000 * kUsPerSecond, 9};
  const std::string json = SearchPageJson(s, page);
  EXPECT_NE(json.find("\"next\":\"1795000000-9\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"next_url\":\"/api/v1/messages?recipient=a%40x.test&after=1795000000-9\""),
            std::string::npos)
      << json;
  page.next.reset();
  EXPECT_NE(SearchPageJson(s, page).find("\"next\":null"), std::string::npos);
  page.total = 312;
  page.total_capped = page.total_stopped = page.stopped = true;
  EXPECT_NE(SearchPageJson(s, page).find("\"total\":312,\"total_capped\":true,\"total_stopped\":"
                                         "true,\"page_stopped\":true}"),
            std::string::npos);
}

TEST(RenderReportsPage, ChartDataInAttributesAndTopRowsLinkToTheirSearch) {
  Summary sum;
  sum.Add(ThreeRecipients());
  WebSearch s;
  s.filters = {{"since", "2026-11-18"}};
  const std::string html = RenderReportsPage(s, ReportOf(sum, 5));
  EXPECT_NE(html.find("<canvas id=\"hours-chart\""), std::string::npos);
  EXPECT_NE(html.find("data-values=\"[1]\""), std::string::npos) << "one message in its hour";
  EXPECT_NE(html.find("data-series=\"{&quot;"), std::string::npos) << "stacked by outcome";
  EXPECT_NE(html.find(":[1]}\""), std::string::npos) << "its outcome's one message";
  EXPECT_NE(html.find("<table id=\"top-bounce-subjects\">"), std::string::npos);
  EXPECT_NE(html.find("<script src=\"/static/chart.js\""), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos) << "no inline script";
  // The sender (lower-cased by the summary) links to its search, percent-encoded.
  EXPECT_NE(
      html.find(
          "href=\"/"
          "search?since=2026-11-18&amp;sender=%3Dcmd%7C%27%20%2Fc%20calc%27%21a0%40evil.test\""),
      std::string::npos)
      << html;
  EXPECT_NE(html.find("href=\"/search?since=2026-11-18&amp;outcome=delivered\""),
            std::string::npos);
}

// A deferral's row: its count, its relay linked to the search of the relay's
// undelivered recipients, and its reason as text.
TEST(RenderReportsPage, DeferralReasonsByRelayLinkToTheRelaysSearch) {
  MessageRecord r = ThreeRecipients();
  for (RecipientRecord& rc : r.recipients) {
    rc.outcome = Outcome::kDeferred;
    rc.status_text = "host mx.x.test[198.51.100.1] said: 451 <" + rc.address +
                     ">: \"><img src=x onerror=alert(3)> (in reply to RCPT TO command)";
  }
  r.recipients[2].relay = "";
  r.recipients[2].status_text = "connect to mx.x.test[198.51.100.1]:25: Connection refused";
  Summary sum;
  sum.Add(r);
  WebSearch s;
  s.filters = {{"since", "2026-11-18"}};
  const std::string html = RenderReportsPage(s, ReportOf(sum, 5));
  EXPECT_NE(html.find("<table id=\"top-deferrals\">"), std::string::npos) << html;
  EXPECT_NE(
      html.find("<tr><td>2</td><td><a href=\"/search?since=2026-11-18&amp;"
                "outcome=deferred%2Cexpired&amp;relay=mx.x.test%5B198.51.100.1%5D%3A25\">"
                "mx.x.test[198.51.100.1]:25</a></td><td>451 &lt;&gt;: &quot;&gt;&lt;img src=x "
                "onerror=alert(3)&gt; (in reply to RCPT TO command)</td></tr>"),
      std::string::npos)
      << html;
  EXPECT_NE(html.find("<tr><td>1</td><td><a href=\"/search?since=2026-11-18&amp;"
                      "outcome=deferred%2Cexpired\">none</a></td><td>connect to "
                      "mx.x.test[198.51.100.1]:25: Connection refused</td></tr>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("<img"), std::string::npos);
  // A report of one outcome and relay: the row's link has the row's own.
  s.filters = {{"outcome", "bounced"}, {"relay", "zzz"}};
  const std::string filtered = RenderReportsPage(s, ReportOf(sum, 5));
  EXPECT_NE(filtered.find("href=\"/search?outcome=deferred%2Cexpired&amp;"
                          "relay=mx.x.test%5B198.51.100.1%5D%3A25\""),
            std::string::npos)
      << filtered;
}

TEST(RenderStatusPage, OneRowPerAgentWithItsAgeAndEscapedName) {
  AgentStatus a;
  a.agent = "<mx1>";
  a.updated = 1795000000 * kUsPerSecond;
  a.lines = 12345;
  const std::string html = RenderStatusPage({a}, a.updated + 42 * kUsPerSecond);
  EXPECT_NE(html.find("<td>&lt;mx1&gt;</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>42</td>"), std::string::npos) << "its age in seconds";
  EXPECT_NE(html.find("<td>12345</td>"), std::string::npos);
  EXPECT_NE(RenderStatusPage({}, 0).find("No agent has written its status."), std::string::npos);
}

}  // namespace
}  // namespace mailtrail::web
