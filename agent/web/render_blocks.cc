// The blocks page: every block the store keeps, active ones first, with its
// evidence linked to the messages' pages.
#include "agent/web/escape.h"
#include "agent/web/render.h"
#include "agent/web/render_layout.h"

namespace mailtrail::web {

namespace {
std::string Td(const std::string& text) { return "<td>" + HtmlEscape(text) + "</td>"; }

std::string BlockRows(const std::vector<Block>& blocks, TimeUs now, bool active) {
  std::string h;
  for (const Block& b : blocks) {
    if ((b.expires > now) != active) continue;
    std::string evidence;
    for (const std::string& qid : b.evidence)
      evidence += "<a href=\"" + HtmlEscape(MessageLink(b.origin_host, qid)) + "\">" +
                  HtmlEscape(qid) + "</a> ";
    h += "<tr class=\"block-row\">" + Td(BlockKindName(b.kind)) + Td(b.key) + Td(b.rule) +
         Td(b.reason) + "<td>" + TimeCell(b.created) + "</td><td>" + TimeCell(b.expires) + "</td>" +
         Td(std::to_string(b.strikes)) + Td(b.origin_host) + Td(b.live ? "yes" : "no (replay)") +
         "<td>" + evidence + "</td><td><a class=\"explain\" href=\"/blocks/explain?key=" +
         HtmlEscape(UrlEncode(b.key)) + "\">explain</a></td></tr>";
  }
  return h;
}

std::string Table(const char* id, const std::string& rows) {
  if (rows.empty()) return "<p>None.</p>";
  return std::string("<table id=\"") + id +
         "\"><thead><tr><th>Kind</th><th>Key</th><th>Rule</th><th>Reason</th><th>Created</th>"
         "<th>Expires</th><th>Strikes</th><th>Host</th><th>Enforced</th><th>Evidence</th><th></"
         "th></tr>"
         "</thead><tbody>" +
         rows + "</tbody></table>";
}
// Plain forms (they work without script), each with the CSRF token.
std::string WriteForms(const std::string& csrf) {
  const std::string token =
      "<input type=\"hidden\" name=\"csrf\" value=\"" + HtmlEscape(csrf) + "\">";
  return "<h2>Change</h2>"
         "<form method=\"post\" action=\"/api/v1/blocks/add\" id=\"block-add\">" +
         token +
         "<label>Kind <select name=\"kind\"><option>ip</option><option>cidr</option>"
         "<option>subject</option></select></label> <label>Key <input type=\"text\" name=\"key\">"
         "</label> <label>For <input type=\"text\" name=\"for\" value=\"1h\"></label> "
         "<label>Reason <input type=\"text\" name=\"reason\"></label> "
         "<button type=\"submit\">Add block</button></form>"
         "<form method=\"post\" action=\"/api/v1/blocks/extend\" id=\"block-extend\">" +
         token +
         "<label>Key <input type=\"text\" name=\"key\"></label> <label>For <input type=\"text\""
         " name=\"for\" value=\"1h\"></label> <button type=\"submit\">Extend</button></form>"
         "<form method=\"post\" action=\"/api/v1/blocks/remove\" id=\"block-remove\">" +
         token +
         "<label>Key <input type=\"text\" name=\"key\"></label> "
         "<button type=\"submit\">Remove</button></form>";
}
}  // namespace

std::string RenderBlocksPage(const std::vector<Block>& blocks, TimeUs now,
                             const std::string& csrf) {
  return Layout("Blocks",
                "<h1>Blocks</h1><p class=\"links\"><a href=\"/api/v1/blocks\">JSON</a>"
                "</p>" +
                    (csrf.empty() ? std::string() : WriteForms(csrf)) + "<h2>Active</h2>" +
                    Table("active-blocks", BlockRows(blocks, now, true)) + "<h2>Ended</h2>" +
                    Table("ended-blocks", BlockRows(blocks, now, false)));
}

}  // namespace mailtrail::web
