// The reports page (`mailtrail report`'s Report of a search) and the status
// page (each live agent's row in the store).
#include <array>
#include <cstdio>

#include "agent/web/escape.h"
#include "agent/web/render.h"
#include "agent/web/render_layout.h"
#include "base/text.h"

namespace mailtrail::web {

namespace {

std::string Td(const std::string& text) { return "<td>" + HtmlEscape(text) + "</td>"; }

// The search of `s` with one more filter (a row of a top list).
std::string SearchLink(const WebSearch& s, const char* name, const std::string& value) {
  WebSearch more = s;
  more.filters.emplace_back(name, value);
  return "/search?" + FilterQueryString(more);
}

std::string TopTable(const char* id, const char* title, const Summary::Top& top, const WebSearch& s,
                     const char* filter) {
  std::string h = std::string("<h3>") + title + "</h3><table id=\"" + id +
                  "\"><tr><th>Count</th><th>Value</th></tr>";
  for (const auto& [n, key] : top) {
    h += "<tr><td>" + std::to_string(n) + "</td>";
    h += filter ? "<td><a href=\"" + HtmlEscape(SearchLink(s, filter, key)) + "\">" +
                      HtmlEscape(key.empty() ? "<>" : key) + "</a></td>"
                : Td(key);
    h += "</tr>";
  }
  return h + "</table>";
}

// Deferral reasons by relay: a relay opens the search of its recipients still
// deferred or expired (the reason is the last one each gave, so a search by it
// would miss recipients whose texts differ only in an address).
std::string DeferralTable(const Summary::Top& top, const WebSearch& s) {
  std::string h =
      "<h3>Deferral reasons by relay (recipients deferred or expired, by their last reason)</h3>"
      "<table id=\"top-deferrals\"><tr><th>Count</th><th>Relay</th><th>Reason</th></tr>";
  for (const auto& [n, key] : top) {
    const auto [relay, reason] = SplitDeferralKey(key);
    WebSearch more = s;  // the row's outcome and relay, not the report's own
    std::erase_if(more.filters,
                  [](const auto& f) { return f.first == "outcome" || f.first == "relay"; });
    more.filters.emplace_back("outcome", "deferred,expired");
    if (relay != "none") more.filters.emplace_back("relay", std::string(relay));
    h += "<tr><td>" + std::to_string(n) + "</td><td><a href=\"" +
         HtmlEscape("/search?" + FilterQueryString(more)) + "\">" + HtmlEscape(relay) +
         "</a></td>" + Td(std::string(reason)) + "</tr>";
  }
  return h + "</table>";
}

std::string ReportForm(const WebSearch& s) {
  auto value = [&](const char* name) {
    for (const auto& [n, v] : s.filters)
      if (n == name) return HtmlEscape(v);
    return std::string();
  };
  return "<form method=\"get\" action=\"/reports\"><label>Since <input type=\"text\" "
         "name=\"since\" value=\"" +
         value("since") +
         "\" placeholder=\"2026-11-27\"></label> <label>Until <input type=\"text\" name=\"until\" "
         "value=\"" +
         value("until") + "\"></label> <label>Host <input type=\"text\" name=\"host\" value=\"" +
         value("host") + "\"></label> <button type=\"submit\">Report</button></form>";
}

Summary::Top DomainTop(const Report& sum) {
  Summary::Top top;
  for (const Report::Domain& d : sum.top_recipient_domains)
    top.emplace_back(d.recipients, d.domain);
  return top;
}

std::string Hours(const Report& sum, const std::string& search_filters) {
  // The chart's data as attributes (no inline script): hour labels, counts,
  // and the counts by outcome (one stacked series per outcome that occurs).
  std::array<bool, kOutcomeCount> seen{};
  for (const auto& [hour, outcomes] : sum.hour_outcomes)
    for (int o = 0; o < kOutcomeCount; ++o) seen[o] = seen[o] || outcomes[o] != 0;
  std::string labels = "[", values = "[", head = "<tr><th>Hour</th><th>Messages</th>", rows;
  std::array<std::string, kOutcomeCount> series;
  for (int o = 0; o < kOutcomeCount; ++o)
    if (seen[o]) head += std::string("<th>") + OutcomeName(static_cast<Outcome>(o)) + "</th>";
  for (const auto& [hour, n] : sum.hours) {
    if (labels.size() > 1) labels += ",", values += ",";
    AppendJsonString(&labels, FormatRfc3339(hour));
    values += std::to_string(n);
    rows += "<tr><td>" + TimeCell(hour) + "</td><td>" + std::to_string(n) + "</td>";
    const auto it = sum.hour_outcomes.find(hour);
    for (int o = 0; o < kOutcomeCount; ++o) {
      if (!seen[o]) continue;
      const int64_t k = it == sum.hour_outcomes.end() ? 0 : it->second[o];
      series[o] += (series[o].empty() ? "" : ",") + std::to_string(k);
      rows += "<td>" + std::to_string(k) + "</td>";
    }
    rows += "</tr>";
  }
  labels += "]", values += "]";
  std::string by_outcome = "{";
  for (int o = 0; o < kOutcomeCount; ++o) {
    if (!seen[o]) continue;
    if (by_outcome.size() > 1) by_outcome += ",";
    AppendJsonString(&by_outcome, OutcomeName(static_cast<Outcome>(o)));
    by_outcome += ":[" + series[o] + "]";
  }
  by_outcome += "}";
  // A click on a bar opens the search of its hour (charts.js adds since/until).
  return "<h2>Messages per hour, by outcome</h2><canvas id=\"hours-chart\" height=\"80\" "
         "data-search=\"" +
         HtmlEscape("/search?" + search_filters) + "\" data-labels=\"" + HtmlEscape(labels) +
         "\" data-values=\"" + HtmlEscape(values) + "\" data-series=\"" + HtmlEscape(by_outcome) +
         "\"></canvas><details><summary>As a table</summary><table id=\"hours\">" + head + "</tr>" +
         rows + "</table></details>";
}

}  // namespace

std::string RenderReportsPage(const WebSearch& s, const Report& sum) {
  std::string b = "<h1>Reports</h1>" + ReportForm(s);
  const std::string filters = FilterQueryString(s);
  b += "<p class=\"links\"><a href=\"/api/v1/reports?" + HtmlEscape(filters) +
       "\">JSON</a> <a href=\"/search?" + HtmlEscape(filters) + "\">These messages</a></p>";
  b += "<h2>Totals</h2><table id=\"totals\"><tr><th>Outcome</th><th>Messages</th>"
       "<th>Recipients</th></tr>";
  for (int o = 0; o < kOutcomeCount; ++o) {
    const int64_t m = sum.messages[o], r = sum.recipients[o];
    if (m == 0 && r == 0) continue;
    const char* name = OutcomeName(static_cast<Outcome>(o));
    b += "<tr><td><a href=\"" + HtmlEscape(SearchLink(s, "outcome", name)) + "\">" + name +
         "</a></td><td>" + std::to_string(m) + "</td><td>" + std::to_string(r) + "</td></tr>";
  }
  b += "</table><p>" + std::to_string(sum.records) + " records, " +
       std::to_string(sum.bytes_received) + " bytes received.</p>";
  if (sum.partial)
    b += "<p class=\"notice\" id=\"partial\">Only the first " + std::to_string(sum.records) +
         " records of this search were summed (a report not made by the hour sums a bounded "
         "number of records and reads a bounded part of the store): give a window (since, "
         "until, host and no other filter) to have it made by the hour, whole.</p>";
  WebSearch others = s;  // the search without its window: the bar's hour is the window
  std::erase_if(others.filters,
                [](const auto& f) { return f.first == "since" || f.first == "until"; });
  b += Hours(sum, FilterQueryString(others));
  b += TopTable("top-senders", "Top senders", sum.top_senders, s, "sender");
  b += TopTable("top-hosts", "Top sending hosts", sum.top_sending_hosts, s, nullptr);
  b += TopTable("top-domains", "Top recipient domains", DomainTop(sum), s, nullptr);
  b += TopTable("top-rejects", "Reject reasons", sum.top_reject_reasons, s, nullptr);
  b += TopTable("top-rejected", "Rejected clients", sum.top_rejected_clients, s, nullptr);
  b += TopTable("top-problems", "Delivery problems (outcome relay DSN)", sum.top_delivery_problems,
                s, nullptr);
  b += DeferralTable(sum.top_deferral_reasons, s);
  b += TopTable("top-bounce-subjects", "Bounces by subject (notices and bounced messages)",
                sum.top_bounce_subjects, s, "subject");
  return Layout("Reports", b, /*charts=*/true);
}

std::string RenderStatusPage(const std::vector<AgentStatus>& agents, TimeUs now) {
  std::string b = "<h1>Status</h1><p class=\"links\"><a href=\"/api/v1/status\">JSON</a></p>";
  if (agents.empty()) return Layout("Status", b + "<p>No agent has written its status.</p>");
  b += "<table id=\"agents\"><tr><th>Agent</th><th>Updated</th><th>Age s</th><th>Started</th>"
       "<th>Newest line</th><th>Lag s</th><th>Lines</th><th>Lines/s</th><th>Unknown lines</th>"
       "<th>Records</th><th>Open messages</th><th>Backlog bytes</th></tr>";
  for (const AgentStatus& a : agents) {
    char lag[32], rate[32];
    std::snprintf(lag, sizeof lag, "%.1f", a.lag_seconds);
    std::snprintf(rate, sizeof rate, "%.1f", a.lines_per_second);
    b += "<tr>" + Td(a.agent) + "<td>" + TimeCell(a.updated) + "</td>" +
         Td(std::to_string((now - a.updated) / kUsPerSecond)) + "<td>" + TimeCell(a.started) +
         "</td><td>" + TimeCell(a.last_line) + "</td>" + Td(lag) + Td(std::to_string(a.lines)) +
         Td(rate) + Td(std::to_string(a.unknown_lines)) + Td(std::to_string(a.records)) +
         Td(std::to_string(a.open_messages)) + Td(std::to_string(a.backlog_bytes)) + "</tr>";
  }
  return Layout("Status", b + "</table>");
}

}  // namespace mailtrail::web
