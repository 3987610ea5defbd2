// The search page and the small pages (errors, not found).
#include "agent/web/render.h"

#include "agent/web/api_json.h"
#include "agent/web/escape.h"
#include "agent/web/render_layout.h"

namespace mailtrail::web {

namespace {

std::string FilterValue(const WebSearch* s, const std::string& name) {
  if (!s) return "";
  for (const auto& [n, v] : s->filters)
    if (n == name) return v;
  return "";
}

std::string TextField(const WebSearch* s, const char* name, const char* label,
                      const char* placeholder) {
  return "<label>" + std::string(label) + " <input type=\"text\" name=\"" + name + "\" value=\"" +
         HtmlEscape(FilterValue(s, name)) + "\" placeholder=\"" + placeholder + "\"></label> ";
}

std::string YesNo(const WebSearch* s, const char* name, const char* label) {
  const std::string v = FilterValue(s, name);
  std::string f = "<label>" + std::string(label) + " <select name=\"" + name +
                  "\"><option value=\"\">any</option>";
  for (const char* o : {"yes", "no"})
    f += std::string("<option") + (v == o ? " selected" : "") + ">" + o + "</option>";
  return f + "</select></label> ";
}

// The keys fewer searches need, folded (open when one is set): no script.
std::string MoreFilters(const WebSearch* s) {
  bool open = false;
  for (const char* name : {"domain", "client-cidr", "dsn", "relay", "min-delay", "max-delay",
                           "scan-verdict", "min-score", "is-bounce", "has-bounce", "reject-reason"})
    open = open || !FilterValue(s, name).empty();
  std::string f = std::string("<details id=\"more-filters\"") + (open ? " open" : "") +
                  "><summary>More filters</summary>";
  f += TextField(s, "domain", "Recipient domain", "@example.com");
  f += TextField(s, "client-cidr", "Client network", "192.0.2.0/24");
  f += TextField(s, "dsn", "DSN", "5.1.1 or 5.*");
  f += TextField(s, "relay", "Relay contains", "");
  f += TextField(s, "min-delay", "Delay from", "seconds");
  f += TextField(s, "max-delay", "to", "seconds");
  f += TextField(s, "scan-verdict", "Scan verdict", "SPAM");
  f += TextField(s, "min-score", "Score at least", "5");
  f += YesNo(s, "is-bounce", "Is a bounce");
  f += YesNo(s, "has-bounce", "Has a bounce");
  f += TextField(s, "reject-reason", "Reject reason contains", "");
  return f + "</details>";
}

std::string SearchForm(const WebSearch* s) {
  std::string f = "<form method=\"get\" action=\"/search\" id=\"search-form\">";
  f += TextField(s, "sender", "Sender", "a@example.com or &lt;&gt;");
  f += TextField(s, "recipient", "Recipient", "b@example.com");
  f += TextField(s, "client-ip", "Client IP", "192.0.2.1");
  f += TextField(s, "qid", "Queue id", "");
  f += TextField(s, "message-id", "Message-ID", "");
  f += TextField(s, "subject", "Subject contains", "");
  f += TextField(s, "host", "Host", "mx1");
  f += TextField(s, "helo", "HELO", "");
  f += TextField(s, "sasl-user", "SASL user", "");
  f += TextField(s, "min-size", "Size from", "bytes");
  f += TextField(s, "max-size", "to", "bytes");
  f += "<label>Outcome <select name=\"outcome\"><option value=\"\">any</option>";
  const std::string outcome = FilterValue(s, "outcome");
  bool listed = outcome.empty();
  for (const std::string& o : OutcomeNamesShown()) {
    listed = listed || outcome == o;
    f += std::string("<option") + (outcome == o ? " selected" : "") + ">" + o + "</option>";
  }
  // A set from the URL ("bounced,deferred") stays what the form sends.
  if (!listed) f += "<option selected>" + HtmlEscape(outcome) + "</option>";
  f += "</select></label> ";
  f += TextField(s, "since", "Since", "2026-11-27T00:00:00Z");
  f += TextField(s, "until", "Until", "2026-11-28");
  f += MoreFilters(s);
  f += "<label>Rows per page <input type=\"text\" name=\"limit\" value=\"" +
       (s ? std::to_string(s->page_size) : std::to_string(kDefaultPageSize)) + "\"></label> ";
  f += "<button type=\"submit\">Search</button></form>";
  return f;
}

std::string Cell(const std::string& text) { return "<td>" + HtmlEscape(text) + "</td>"; }

std::string RowHtml(const Row& row) {
  const MessageRecord& r = *row.record;
  const RecipientRecord* rc = row.recipient;
  std::string h = "<tr class=\"rcpt-row\">";
  h += "<td>" + TimeCell(r.first_seen) + "</td>";
  h += Cell(r.host);
  if (r.qid.empty()) {
    h += "<td>NOQUEUE</td>";
  } else {
    h += "<td><a href=\"" + HtmlEscape(MessageLink(r.host, r.qid)) + "\">" + HtmlEscape(r.qid) +
         "</a></td>";
  }
  h += Cell(!r.sender ? "" : r.sender->empty() ? "<>" : *r.sender);
  std::string to = rc ? rc->address : "";
  if (rc && !rc->orig_address.empty() && rc->orig_address != rc->address)
    to += " (" + rc->orig_address + ")";
  h += Cell(to);
  h += "<td class=\"subject\">" + HtmlEscape(r.subject.value_or("")) + "</td>";
  h += Cell(r.size >= 0 ? std::to_string(r.size) : "");
  h += Cell(OutcomeName(rc ? rc->outcome : r.outcome));
  h += Cell(rc ? rc->dsn : (r.reject ? r.reject->dsn : ""));
  h += Cell(rc ? rc->relay : "");
  h += Cell(rc ? FormatDelay(rc->delay) : "");
  h += Cell(r.client_ip);
  return h + "</tr>";
}

}  // namespace

std::string MessageLink(const std::string& host, const std::string& qid) {
  return "/message/" + UrlEncode(host) + "/" + UrlEncode(qid);
}

std::string RenderSearchPage(const WebSearch& s, const SearchPage& page) {
  const std::string filters = FilterQueryString(s);
  const std::string amp = filters.empty() ? "" : "&";
  std::string b = "<h1>Search</h1>" + SearchForm(&s);
  b += "<p class=\"links\"><a id=\"permalink\" href=\"/search?" + HtmlEscape(filters) +
       "\">Permalink</a> <a id=\"export-csv\" href=\"/api/v1/export?" +
       HtmlEscape(filters + amp + "format=csv") +
       "\">CSV</a> <a id=\"export-jsonl\" href=\"/api/v1/export?" +
       HtmlEscape(filters + amp + "format=jsonl") + "\">JSONL</a> <a href=\"/api/v1/messages?" +
       HtmlEscape(filters) + "\">JSON</a></p>";
  const std::vector<Row> rows = RowsOf(page.records);
  b += "<p id=\"total\">" +
       (page.total_stopped ? "At least " + std::to_string(page.total) +
                                 " messages match (the count stopped at its work limit)."
        : page.total_capped ? "More than " + std::to_string(page.total) + " messages match."
                            : std::to_string(page.total) + " messages match.") +
       "</p>";
  b += "<p id=\"count\">" + std::to_string(page.records.size()) + " messages, " +
       std::to_string(rows.size()) + " rows on this page" +
       (s.query.after ? " (not the first page)" : "") + ".</p>";
  b += "<table id=\"results\"><thead><tr><th>Arrived</th><th>Host</th><th>Queue id</th>"
       "<th>Sender</th><th>Recipient (original)</th><th>Subject</th><th>Size</th>"
       "<th>Outcome</th><th>DSN</th><th>Relay</th><th>Delay s</th><th>Client IP</th></tr>"
       "</thead><tbody>";
  for (const Row& row : rows) b += RowHtml(row);
  b += "</tbody></table>";
  if (page.stopped && page.next) {
    b += "<p id=\"stopped\">The search stopped at its work limit, having read the messages up to " +
         TimeCell(page.next->first_seen) + ". The next page goes on from there.</p>";
  }
  if (page.next) {
    b += "<p><a id=\"next-page\" href=\"/search?" +
         HtmlEscape(filters + amp + "after=" + EncodeCursor(*page.next)) + "\">" +
         (page.stopped ? "Go on searching" : "Next page") + "</a></p>";
  }
  return Layout("Search", b);
}

std::string RenderSearchError(const std::string& reason) {
  return Layout("Search", "<h1>Search</h1>" + SearchForm(nullptr) + "<p class=\"error\">" +
                              HtmlEscape(reason) + "</p>");
}

std::string RenderNotice(const std::string& title, const std::string& text) {
  return Layout(title, "<h1>" + HtmlEscape(title) + "</h1><p>" + HtmlEscape(text) + "</p>");
}

}  // namespace mailtrail::web
