#include "agent/web/api_json.h"

#include <cstdio>

#include "agent/track/record_json.h"
#include "agent/web/escape.h"
#include "base/civil_time.h"
#include "base/text.h"

namespace mailtrail::web {

namespace {
void AppendRecords(const std::vector<MessageRecord>& records, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < records.size(); ++i) {
    if (i) out->push_back(',');
    AppendRecordJson(records[i], out);
  }
  out->push_back(']');
}
}  // namespace

std::string SearchPageJson(const WebSearch& s, const SearchPage& page) {
  std::string out = "{\"records\":";
  AppendRecords(page.records, &out);
  out += ",\"next\":";
  if (page.next) {
    AppendJsonString(&out, EncodeCursor(*page.next));
    const std::string filters = FilterQueryString(s);
    out += ",\"next_url\":";
    AppendJsonString(&out, "/api/v1/messages?" + filters + (filters.empty() ? "" : "&") +
                               "after=" + EncodeCursor(*page.next));
  } else {
    out += "null,\"next_url\":null";
  }
  out += ",\"search\":{";
  for (size_t i = 0; i < s.filters.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, s.filters[i].first);
    out.push_back(':');
    AppendJsonString(&out, s.filters[i].second);
  }
  out += "},\"limit\":" + std::to_string(s.page_size) + ",\"total\":" + std::to_string(page.total) +
         ",\"total_capped\":" + (page.total_capped ? "true" : "false") +
         ",\"total_stopped\":" + (page.total_stopped ? "true" : "false") +
         ",\"page_stopped\":" + (page.stopped ? "true" : "false") + "}";
  return out;
}

std::string MessageViewJson(const MessageView& v) {
  std::string out = "{\"records\":";
  AppendRecords(v.records, &out);
  out += ",\"linked\":";
  AppendRecords(v.linked, &out);
  out += ",\"blocks\":[";
  for (size_t i = 0; i < v.blocks.size(); ++i) {
    if (i) out.push_back(',');
    AppendBlockJson(v.blocks[i], &out);
  }
  out += "]}";
  return out;
}

std::string CsvHeader() {
  return "first_seen,host,qid,sender,recipient,orig_recipient,subject,size,outcome,dsn,relay,"
         "delay,client_ip,status_text\r\n";
}

std::string FormatDelay(double delay) {
  if (delay < 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", delay);
  return buf;
}

void AppendCsvRows(const MessageRecord& r, std::string* out) {
  auto line = [&](const RecipientRecord* rc) {
    const std::string cells[] = {
        FormatRfc3339(r.first_seen),
        r.host,
        r.qid,
        r.sender.value_or(""),
        rc ? rc->address : "",
        rc ? rc->orig_address : "",
        r.subject.value_or(""),
        r.size >= 0 ? std::to_string(r.size) : "",
        OutcomeName(rc ? rc->outcome : r.outcome),
        rc ? rc->dsn : (r.reject ? r.reject->dsn : ""),
        rc ? rc->relay : "",
        rc ? FormatDelay(rc->delay) : "",
        r.client_ip,
        rc ? rc->status_text : (r.reject ? r.reject->text : ""),
    };
    for (size_t i = 0; i < std::size(cells); ++i) {
      if (i) out->push_back(',');
      *out += CsvCell(cells[i]);
    }
    *out += "\r\n";
  };
  if (r.recipients.empty()) line(nullptr);
  for (const RecipientRecord& rc : r.recipients) line(&rc);
}

std::vector<Row> RowsOf(const std::vector<MessageRecord>& records) {
  std::vector<Row> rows;
  for (const MessageRecord& r : records) {
    if (r.recipients.empty()) rows.push_back({&r, nullptr});
    for (const RecipientRecord& rc : r.recipients) rows.push_back({&r, &rc});
  }
  return rows;
}

}  // namespace mailtrail::web
