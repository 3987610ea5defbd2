#include "agent/track/record_json.h"

#include <cstdio>
#include <optional>

#include "base/text.h"

namespace mailtrail {

namespace {

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void Open() { out_->push_back('{'), first_ = true; }
  void Close() { out_->push_back('}'), first_ = false; }
  void OpenArray(const char* key) {
    Key(key);
    out_->push_back('[');
    first_ = true;
  }
  void CloseArray() { out_->push_back(']'), first_ = false; }
  void Key(const char* key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    if (key) {
      AppendJsonString(out_, key);
      out_->push_back(':');
    }
  }
  void Str(const char* key, std::string_view v) {
    Key(key);
    AppendJsonString(out_, v);
  }
  void StrOrNull(const char* key, const std::optional<std::string>& v) {
    if (v)
      Str(key, *v);
    else
      Null(key);
  }
  void NonEmptyOrNull(const char* key, const std::string& v) {
    if (v.empty())
      Null(key);
    else
      Str(key, v);
  }
  void Null(const char* key) {
    Key(key);
    out_->append("null");
  }
  void Int(const char* key, int64_t v) {
    Key(key);
    out_->append(std::to_string(v));
  }
  void Num(const char* key, double v) {
    Key(key);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    out_->append(buf);
  }
  void Bool(const char* key, bool v) {
    Key(key);
    out_->append(v ? "true" : "false");
  }
  void Time(const char* key, TimeUs t) { Str(key, FormatRfc3339(t)); }

 private:
  std::string* out_;
  bool first_ = true;
};

void StrList(Writer* w, const char* key, const std::vector<std::string>& v) {
  w->OpenArray(key);
  for (const auto& s : v) w->Str(nullptr, s);
  w->CloseArray();
}

}  // namespace

void AppendRecordJson(const MessageRecord& r, std::string* out) {
  Writer w(out);
  w.Open();
  w.Str("host", r.host);
  w.NonEmptyOrNull("qid", r.qid);
  w.StrOrNull("message_id", r.message_id);
  w.Time("first_seen", r.first_seen);
  w.Time("last_seen", r.last_seen);
  if (r.has_client) {
    w.Key("client");
    w.Open();
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
    w.Key(nullptr);
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
      w.Time("time", rc.time);
    else
      w.Null("time");
    w.Close();
  }
  w.CloseArray();
  if (r.reject) {
    w.Key("reject");
    w.Open();
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
    w.Key(nullptr);
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
  StrList(&w, "child_qids", r.child_qids);
  w.NonEmptyOrNull("ndr_qid", r.ndr_qid);
  w.NonEmptyOrNull("ndr_of", r.ndr_of);
  // Additions beyond the contract.
  StrList(&w, "notice_qids", r.notice_qids);
  w.StrOrNull("header_from", r.header_from);
  w.Str("end", RecordEndName(r.end));
  if (!r.events.empty()) {
    w.OpenArray("events");
    for (const auto& e : r.events) {
      w.Key(nullptr);
      w.Open();
      w.Time("time", e.time);
      w.Str("program", e.program);
      w.Str("text", e.text);
      w.Close();
    }
    w.CloseArray();
  }
  w.Close();
}

}  // namespace mailtrail
