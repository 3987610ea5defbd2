#include "agent/track/record_json.h"

#include <cstdio>
#include <optional>

#include "base/civil_time.h"
#include "base/json_writer.h"
#include "base/text.h"

namespace mailtrail {

namespace {

void Time(JsonWriter* w, const char* key, TimeUs t) { w->Str(key, FormatRfc3339(t)); }

}  // namespace

void AppendRecordJson(const MessageRecord& r, std::string* out) {
  JsonWriter w(out);
  w.Open();
  w.Str("host", r.host);
  w.NonEmptyOrNull("qid", r.qid);
  w.StrOrNull("message_id", r.message_id);
  Time(&w, "first_seen", r.first_seen);
  Time(&w, "last_seen", r.last_seen);
  if (r.has_client) {
    w.Open("client");
    w.NonEmptyOrNull("ip", r.client_ip);
    w.NonEmptyOrNull("hostname", r.client_host);
    w.NonEmptyOrNull("helo", r.helo);
    w.Close();
  } else {
    w.Null("client");
  }
  w.NonEmptyOrNull("sasl_username", r.sasl_username);
  w.StrOrNull("sender", r.sender);
  w.StrOrNull("subject", r.subject);
  if (r.size >= 0)
    w.Int("size", r.size);
  else
    w.Null("size");
  w.Str("outcome", OutcomeName(r.outcome));
  w.OpenArray("recipients");
  for (const auto& rc : r.recipients) {
    w.Open();
    w.Str("address", rc.address);
    w.NonEmptyOrNull("orig_address", rc.orig_address);
    w.Str("outcome", OutcomeName(rc.outcome));
    w.NonEmptyOrNull("dsn", rc.dsn);
    w.NonEmptyOrNull("relay", rc.relay);
    w.NonEmptyOrNull("status_text", rc.status_text);
    if (rc.delay >= 0)
      w.Num("delay", rc.delay);
    else
      w.Null("delay");
    w.Int("attempts", rc.attempts);
    if (rc.time)
      Time(&w, "time", rc.time);
    else
      w.Null("time");
    w.Close();
  }
  w.CloseArray();
  if (r.reject) {
    w.Open("reject");
    w.Str("action", r.reject->action);
    w.NonEmptyOrNull("stage", r.reject->stage);
    if (r.reject->code)
      w.Int("code", r.reject->code);
    else
      w.Null("code");
    w.NonEmptyOrNull("dsn", r.reject->dsn);
    w.Str("text", r.reject->text);
    w.Close();
  } else {
    w.Null("reject");
  }
  w.OpenArray("scans");
  for (const auto& s : r.scans) {
    w.Open();
    w.Str("scanner", s.scanner);
    w.Str("action", s.action);
    w.Str("verdict", s.verdict);
    if (s.has_score)
      w.Num("score", s.score);
    else
      w.Null("score");
    w.Close();
  }
  w.CloseArray();
  w.NonEmptyOrNull("parent_qid", r.parent_qid);
  w.Strings("child_qids", r.child_qids);
  w.NonEmptyOrNull("ndr_qid", r.ndr_qid);
  w.NonEmptyOrNull("ndr_of", r.ndr_of);
  // Additions beyond the contract.
  w.Strings("notice_qids", r.notice_qids);
  w.StrOrNull("header_from", r.header_from);
  w.Str("end", RecordEndName(r.end));
  if (!r.events.empty()) {
    w.OpenArray("events");
    for (const auto& e : r.events) {
      w.Open();
      Time(&w, "time", e.time);
      w.Str("program", e.program);
      w.Str("text", e.text);
      w.Close();
    }
    w.CloseArray();
  }
  w.Close();
}

}  // namespace mailtrail
