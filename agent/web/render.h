// The console's HTML pages, rendered on the server from the same values the
// API answers with (console_data.h). Pure functions: data in, a page out.
//
// SECURITY: every value from the log or the request goes through HtmlEscape
// (text and attributes) or UrlEncode (links). Pages hold no inline script or
// style (Content-Security-Policy): /static/console.js adds what needs script
// (local time, the UTC switch), and the pages work without it.
#ifndef MAILTRAIL_AGENT_WEB_RENDER_H_
#define MAILTRAIL_AGENT_WEB_RENDER_H_

#include <string>

#include "agent/cli/block_explain.h"
#include "agent/report/summary_part.h"
#include "agent/web/console_data.h"
#include "agent/web/search_params.h"

namespace mailtrail::web {

// The search form, the rows of one page, and the links: next page, this
// search's permalink, its CSV and JSONL export, its JSON.
std::string RenderSearchPage(const WebSearch& s, const SearchPage& page);
// A search whose parameters are wrong: the form again and the reason.
std::string RenderSearchError(const std::string& reason);
// One message: per recipient table, its legs linked both ways, scans, the
// raw log lines (full detail), and the blocks that concern it.
std::string RenderMessagePage(const MessageView& v);
// Every block, active (expires after `now`) and ended, as given. With a CSRF
// token (an operator, writes enabled): the forms to add, extend and remove.
std::string RenderBlocksPage(const std::vector<Block>& blocks, TimeUs now,
                             const std::string& csrf = "");
// A block explained (/blocks/explain?key=K): what `mailtrail blocks explain`
// says, from the same code (agent/cli/block_explain.h); and as JSON.
std::string RenderExplainPage(const std::string& key,
                              const std::vector<cli::BlockExplanation>& all);
std::string ExplainJson(const std::vector<cli::BlockExplanation>& all);
// `mailtrail report`'s summary of the search `s` (its since/until/host), top
// lists of `top` rows, messages per hour as a chart (and a table).
std::string RenderReportsPage(const WebSearch& s, const Report& sum);
// Each live agent's last status row; `now` for its age.
std::string RenderStatusPage(const std::vector<AgentStatus>& agents, TimeUs now);
// A page with a title and one paragraph (not found, errors).
std::string RenderNotice(const std::string& title, const std::string& text);

// A message's page: /message/HOST/QID (a NOQUEUE record has no page of its own).
std::string MessageLink(const std::string& host, const std::string& qid);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_RENDER_H_
