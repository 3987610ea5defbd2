// The message page: one message, its legs, scans, log lines and blocks.
#include <cstdio>

#include "agent/web/api_json.h"
#include "agent/web/escape.h"
#include "agent/web/render.h"
#include "agent/web/render_layout.h"

namespace mailtrail::web {

namespace {

std::string Td(const std::string& text) { return "<td>" + HtmlEscape(text) + "</td>"; }

std::string QidLink(const std::string& host, const std::string& qid, const char* rel) {
  if (qid.empty()) return "";
  return "<a class=\"leg\" data-rel=\"" + std::string(rel) + "\" href=\"" +
         HtmlEscape(MessageLink(host, qid)) + "\">" + HtmlEscape(qid) + "</a>";
}

std::string Field(const char* name, const std::string& html_value) {
  return "<tr><th>" + std::string(name) + "</th><td>" + html_value + "</td></tr>";
}

std::string Summary(const MessageRecord& r) {
  std::string h = "<table class=\"summary\">";
  h += Field("Host", HtmlEscape(r.host));
  h += Field("Queue id", r.qid.empty() ? "NOQUEUE" : HtmlEscape(r.qid));
  h += Field("Message-ID", r.message_id
                               ? "<a href=\"/message-id/" + HtmlEscape(UrlEncode(*r.message_id)) +
                                     "\">" + HtmlEscape(*r.message_id) + "</a>"
                               : "");
  h += Field("Arrived", TimeCell(r.first_seen));
  h += Field("Last seen", TimeCell(r.last_seen));
  std::string client = r.client_ip;
  if (!r.client_host.empty()) client = r.client_host + "[" + r.client_ip + "]";
  if (!r.helo.empty()) client += " helo=" + r.helo;
  h += Field("Client", HtmlEscape(client));
  h += Field("SASL user", HtmlEscape(r.sasl_username));
  h += Field("Sender", HtmlEscape(!r.sender ? "" : r.sender->empty() ? "<>" : *r.sender));
  h +=
      Field("Subject", "<span class=\"subject\">" + HtmlEscape(r.subject.value_or("")) + "</span>");
  h += Field("Size", r.size >= 0 ? std::to_string(r.size) : "");
  h += Field("Outcome", OutcomeName(r.outcome));
  if (r.reject)
    h += Field("Rejected", HtmlEscape(r.reject->stage + " " + std::to_string(r.reject->code) + " " +
                                      r.reject->dsn + " " + r.reject->text));
  std::string legs = QidLink(r.host, r.parent_qid, "parent");
  for (const std::string& c : r.child_qids) legs += " " + QidLink(r.host, c, "child");
  h += Field("Content filter legs (before, after)", legs);
  h += Field("Its bounce (NDR)", QidLink(r.host, r.ndr_qid, "ndr"));
  h += Field("Bounce of", QidLink(r.host, r.ndr_of, "ndr-of"));
  std::string notices;
  for (const std::string& n : r.notice_qids) notices += QidLink(r.host, n, "notice") + " ";
  h += Field("Notices", notices);
  return h + "</table>";
}

std::string Recipients(const MessageRecord& r) {
  std::string h =
      "<table class=\"recipients\"><thead><tr><th>Recipient</th><th>Original</th>"
      "<th>Outcome</th><th>Attempts</th><th>DSN</th><th>Relay</th><th>Delay s</th>"
      "<th>Last attempt</th><th>Status text</th></tr></thead><tbody>";
  for (const RecipientRecord& rc : r.recipients) {
    h += "<tr class=\"rcpt-row\">" + Td(rc.address) + Td(rc.orig_address) +
         Td(OutcomeName(rc.outcome)) + Td(std::to_string(rc.attempts)) + Td(rc.dsn) + Td(rc.relay) +
         Td(FormatDelay(rc.delay)) + "<td>" + TimeCell(rc.time) + "</td>" + Td(rc.status_text) +
         "</tr>";
  }
  return h + "</tbody></table>";
}

std::string ScoreText(double score) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", score);
  return buf;
}

std::string Scans(const MessageRecord& r) {
  if (r.scans.empty()) return "";
  std::string h =
      "<h3>Scans</h3><table class=\"scans\"><tr><th>Scanner</th><th>Verdict</th>"
      "<th>Action</th><th>Score</th></tr>";
  for (const ScanResult& s : r.scans)
    h += "<tr>" + Td(s.scanner) + Td(s.verdict) + Td(s.action) +
         Td(s.has_score ? ScoreText(s.score) : "") + "</tr>";
  return h + "</table>";
}

std::string Events(const MessageRecord& r) {
  if (r.events.empty()) return "";
  std::string h = "<h3>Log lines</h3><table class=\"events\">";
  for (const RecordEvent& e : r.events)
    h += "<tr><td>" + TimeCell(e.time) + "</td>" + Td(e.program) + Td(e.text) + "</tr>";
  return h + "</table>";
}

std::string Record(const MessageRecord& r, const char* cls) {
  return "<section class=\"" + std::string(cls) + "\"><h2>" + HtmlEscape(r.host) + " " +
         HtmlEscape(r.qid.empty() ? "NOQUEUE" : r.qid) + "</h2>" + Summary(r) + Recipients(r) +
         Scans(r) + Events(r) + "</section>";
}

std::string Blocks(const std::vector<Block>& blocks) {
  if (blocks.empty()) return "<h2>Blocks</h2><p>No block concerns this message.</p>";
  std::string h =
      "<h2>Blocks</h2><table class=\"blocks\"><tr><th>Kind</th><th>Key</th>"
      "<th>Rule</th><th>Reason</th><th>Created</th><th>Expires</th></tr>";
  for (const Block& b : blocks)
    h += "<tr>" + Td(BlockKindName(b.kind)) + Td(b.key) + Td(b.rule) + Td(b.reason) + "<td>" +
         TimeCell(b.created) + "</td><td>" + TimeCell(b.expires) + "</td></tr>";
  return h + "</table>";
}

}  // namespace

std::string RenderMessagePage(const MessageView& v) {
  std::string b = "<h1>Message</h1>";
  for (const MessageRecord& r : v.records) b += Record(r, "message");
  if (!v.linked.empty()) {
    b += "<h2>Its other legs and notifications</h2>";
    for (const MessageRecord& r : v.linked) b += Record(r, "linked");
  }
  b += Blocks(v.blocks);
  return Layout("Message", b);
}

}  // namespace mailtrail::web
