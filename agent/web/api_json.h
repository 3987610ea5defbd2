// The /api/v1 answers: the console's data (console_data.h) as JSON, and the
// export formats. Records are written as `mailtrail search --format jsonl`
// writes them (docs/record.md); a search's rows, one per recipient, as CSV.
#ifndef MAILTRAIL_AGENT_WEB_API_JSON_H_
#define MAILTRAIL_AGENT_WEB_API_JSON_H_

#include <string>

#include "agent/web/console_data.h"
#include "agent/web/search_params.h"

namespace mailtrail::web {

// {"records": [...], "next": "CURSOR"|null, "next_url": "/api/v1/messages?...",
//  "search": {"recipient": "...", ...}}
std::string SearchPageJson(const WebSearch& s, const SearchPage& page);
// {"records": [...], "linked": [...], "blocks": [...]}
std::string MessageViewJson(const MessageView& v);

// CSV: the header line, then one line per recipient of `r` (one line for a
// record without recipients). Cells are neutralised (escape.h).
std::string CsvHeader();
void AppendCsvRows(const MessageRecord& r, std::string* out);

// The search page's rows: one per recipient, as the HTML table and the CSV
// show them (a record without recipients still gives one row).
struct Row {
  const MessageRecord* record;
  const RecipientRecord* recipient;  // null: the record has none
};
std::vector<Row> RowsOf(const std::vector<MessageRecord>& records);

// A delay in seconds as Postfix logs it ("0.25"); "" when unknown.
std::string FormatDelay(double delay);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_API_JSON_H_
