// amavisd-new main log lines:
// "(PID-N) Passed CLEAN {RelayedInbound}, [IP]:PORT <s> -> <r1>,<r2>, Queue-ID: QID,
//  Message-ID: <..>, mail_id: .., Hits: -1.2, size: 1234, queued_as: NEWQID, 123 ms"
// The per-recipient lines carry no Queue-ID and are counted as noise.
#include "parsers/daemons.h"
#include "parsers/scan.h"

namespace mailtrail::parsers {

namespace {
// Value of ", Key: value" (ends at ", " or the end).
std::string_view Field(std::string_view s, std::string_view key) {
  const size_t p = s.find(key);
  if (p == std::string_view::npos) return {};
  std::string_view v = s.substr(p + key.size());
  return v.substr(0, v.find(", "));
}
}  // namespace

bool ParseAmavis(std::string_view msg, Event* ev) {
  std::string_view s = msg;
  if (!scan::Consume(&s, "(")) {
    ev->kind = EventKind::kNoise;  // startup and configuration chatter
    return true;
  }
  std::string_view task;
  if (!scan::Until(&s, ") ", &task)) return false;
  const size_t brace = s.find(" {");
  const size_t comma = s.find(", ");
  if (comma == std::string_view::npos) return false;
  ev->verdict = s.substr(0, brace < comma ? brace : comma);
  const std::string_view qid = Field(s, ", Queue-ID: ");
  if (qid.empty()) {
    ev->kind = EventKind::kNoise;
    return true;
  }
  ev->qid = scan::LeadingQueueId(qid);
  if (ev->qid.empty()) return false;
  std::string_view rest = s.substr(comma + 2);
  // "[IP]:PORT <s> -> <r>,<r>, Queue-ID: ..." (the client part can be missing)
  if (scan::Consume(&rest, "[")) {
    std::string_view ip;
    if (scan::Until(&rest, "]", &ip)) ev->client_ip = ip;
    const size_t sp = rest.find(' ');
    rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp + 1);
  }
  const size_t arrow = rest.find(" -> ");
  const size_t qpos = rest.find(", Queue-ID: ");
  if (arrow != std::string_view::npos && arrow < qpos) {
    ev->from = scan::Unbracket(rest.substr(0, arrow));
    ev->has_from = true;
    ev->recipients = rest.substr(arrow + 4, qpos - arrow - 4);
  }
  ev->message_id = scan::Unbracket(Field(s, ", Message-ID: "));
  const std::string_view hits = Field(s, ", Hits: ");
  ev->has_hits = scan::ParseDouble(hits, &ev->hits);
  ev->next_qid = scan::LeadingQueueId(Field(s, ", queued_as: "));
  ev->kind = EventKind::kScan;
  return true;
}

}  // namespace mailtrail::parsers
