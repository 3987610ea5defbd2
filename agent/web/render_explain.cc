// A block explained (agent/cli/block_explain.h, the same values as `mailtrail
// blocks explain`): as a page and as JSON.
#include "agent/cli/block_explain.h"
#include "agent/track/record_json.h"
#include "agent/web/api_json.h"
#include "agent/web/escape.h"
#include "agent/web/render.h"
#include "agent/web/render_layout.h"
#include "base/text.h"

namespace mailtrail::web {

std::string RenderExplainPage(const std::string& key,
                              const std::vector<cli::BlockExplanation>& all) {
  std::string b =
      "<h1>Block explained</h1><p class=\"links\"><a href=\"/api/v1/blocks/explain?key=" +
      HtmlEscape(UrlEncode(key)) + "\">JSON</a> <a href=\"/blocks\">All blocks</a></p>";
  if (all.empty()) b += "<p id=\"no-block\">No block for " + HtmlEscape(key) + ".</p>";
  for (const cli::BlockExplanation& e : all) {
    const Block& k = e.block;
    b += "<section class=\"explain\"><h2>" + HtmlEscape(BlockKindName(k.kind)) + " " +
         HtmlEscape(k.key) + " (" + (e.active ? "active" : "ended") + ")</h2><ul>";
    b += "<li>Rule " + HtmlEscape(k.rule) + ", strike " + std::to_string(k.strikes) +
         ", decided on " + HtmlEscape(k.origin_host) + "</li>";
    b += "<li>" + TimeCell(k.created) + " to " + TimeCell(k.expires) +
         (k.live ? "" : " (replayed lines: not live)") + "</li>";
    b += "<li>Why: " + HtmlEscape(k.reason) + "</li>";
    for (const auto& s : e.subjects) {
      b += "<li>Subject seen: <code>" + HtmlEscape(s.raw) + "</code><br>header_checks: <code>" +
           HtmlEscape(s.header_check) + "</code><br>matches: " + HtmlEscape(s.matches) + "</li>";
    }
    b += "<li class=\"enforcement\">" +
         (e.not_enforced.empty() ? std::string("Enforced here (not protected).")
                                 : "Not enforced here: " + HtmlEscape(e.not_enforced)) +
         "</li>";
    for (const auto& ev : e.evidence) {
      b += "<li>Evidence <a href=\"" + HtmlEscape(MessageLink(k.origin_host, ev.qid)) + "\">" +
           HtmlEscape(ev.qid) + "</a>";
      if (ev.record) {
        b += " " + TimeCell(ev.record->first_seen) + " from " +
             HtmlEscape(ev.record->client_ip.empty() ? "-" : ev.record->client_ip) + ", subject " +
             HtmlEscape(ev.record->subject.value_or(""));
      } else if (!ev.error.empty()) {
        b += ": " + HtmlEscape(ev.error);
      } else {
        b += " (not in the store)";
      }
      b += "</li>";
    }
    b += "</ul></section>";
  }
  return Layout("Block explained", b);
}

std::string ExplainJson(const std::vector<cli::BlockExplanation>& all) {
  std::string out = "{\"blocks\":[";
  for (size_t i = 0; i < all.size(); ++i) {
    const cli::BlockExplanation& e = all[i];
    if (i) out.push_back(',');
    out += "{\"block\":";
    AppendBlockJson(e.block, &out);
    out += std::string(",\"active\":") + (e.active ? "true" : "false") + ",\"subjects\":[";
    for (size_t j = 0; j < e.subjects.size(); ++j) {
      if (j) out.push_back(',');
      out += "{\"raw\":";
      AppendJsonString(&out, e.subjects[j].raw);
      out += ",\"header_check\":";
      AppendJsonString(&out, e.subjects[j].header_check);
      out += ",\"matches\":";
      AppendJsonString(&out, e.subjects[j].matches);
      out += "}";
    }
    out += "],\"not_enforced\":";
    AppendJsonString(&out, e.not_enforced);
    out += ",\"evidence\":[";
    for (size_t j = 0; j < e.evidence.size(); ++j) {
      if (j) out.push_back(',');
      out += "{\"qid\":";
      AppendJsonString(&out, e.evidence[j].qid);
      out += ",\"record\":";
      if (e.evidence[j].record) {
        AppendRecordJson(*e.evidence[j].record, &out);
      } else {
        out += "null";
      }
      out += "}";
    }
    out += "]}";
  }
  return out + "]}";
}

}  // namespace mailtrail::web
