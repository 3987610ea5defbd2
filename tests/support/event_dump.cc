#include "tests/support/event_dump.h"

#include <cstdio>

#include "base/civil_time.h"
#include "base/text.h"

namespace mailtrail {

namespace {
void Add(std::string* out, const char* key, std::string_view v) {
  if (v.empty()) return;
  out->append(" ").append(key).append("=");
  AppendJsonString(out, v);
}
void AddNum(std::string* out, const char* key, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, " %s=%g", key, v);
  out->append(buf);
}
}  // namespace

std::string DumpEvent(const Event& ev) {
  std::string out = std::string("kind=") + EventKindName(ev.kind);
  if (ev.kind == EventKind::kUnparsable) return out;
  out += " time=" + FormatRfc3339(ev.time);
  if (ev.time % kUsPerSecond) out += "+" + std::to_string(ev.time % kUsPerSecond) + "us";
  Add(&out, "host", ev.host);
  Add(&out, "program", ev.program);
  if (ev.pid) out += " pid=" + std::to_string(ev.pid);
  if (ev.kind == EventKind::kForeign || ev.kind == EventKind::kUnknown ||
      ev.kind == EventKind::kNoise)
    return out;
  Add(&out, "qid", ev.qid);
  Add(&out, "client_host", ev.client_host);
  Add(&out, "client_ip", ev.client_ip);
  Add(&out, "client_port", ev.client_port);
  Add(&out, "orig_queue_id", ev.orig_queue_id);
  Add(&out, "orig_client_host", ev.orig_client_host);
  Add(&out, "orig_client_ip", ev.orig_client_ip);
  Add(&out, "sasl_method", ev.sasl_method);
  Add(&out, "sasl_username", ev.sasl_username);
  Add(&out, "action", ev.action);
  Add(&out, "stage", ev.stage);
  if (ev.code) out += " code=" + std::to_string(ev.code);
  Add(&out, "dsn", ev.dsn);
  Add(&out, "header_name", ev.header_name);
  Add(&out, "text", ev.text);
  Add(&out, "reply", ev.reply);
  if (ev.has_from) {
    out += " from=";
    AppendJsonString(&out, ev.from);
  }
  Add(&out, "to", ev.to);
  Add(&out, "proto", ev.proto);
  Add(&out, "helo", ev.helo);
  if (ev.size >= 0) out += " size=" + std::to_string(ev.size);
  if (ev.nrcpt >= 0) out += " nrcpt=" + std::to_string(ev.nrcpt);
  Add(&out, "uid", ev.uid);
  Add(&out, "orig_to", ev.orig_to);
  Add(&out, "relay", ev.relay);
  if (ev.conn_use) out += " conn_use=" + std::to_string(ev.conn_use);
  if (ev.delay >= 0) AddNum(&out, "delay", ev.delay);
  Add(&out, "delays", ev.delays);
  Add(&out, "tls", ev.tls);
  Add(&out, "status", ev.status);
  Add(&out, "next_qid", ev.next_qid);
  Add(&out, "more_next_qids", ev.more_next_qids);
  if (ev.kind == EventKind::kNotice)
    out += " notice=" + std::to_string(static_cast<int>(ev.notice));
  if (ev.kind == EventKind::kAdmin) out += " admin=" + std::to_string(static_cast<int>(ev.admin));
  Add(&out, "verdict", ev.verdict);
  Add(&out, "recipients", ev.recipients);
  Add(&out, "message_id", ev.message_id);
  Add(&out, "task", ev.task);
  if (ev.has_hits) AddNum(&out, "hits", ev.hits);
  return out;
}

}  // namespace mailtrail
