// Delivery agents: smtp, lmtp, local, virtual, pipe, error, discard, relay, retry.
// "QID: to=<R>, [orig_to=<O>,] relay=X, [conn_use=N,] delay=D, delays=a/b/c/d,
//  dsn=X.Y.Z, status=S (TEXT)" — optional and future keys, so read by name
// (docs/postfix-logs.md trap 8).
#include "parsers/daemons.h"
#include "parsers/scan.h"

namespace mailtrail::parsers {

namespace {

// One "key=value" at the front of `*s`, then ", ".
bool NextField(std::string_view* s, std::string_view* key, std::string_view* value) {
  const size_t eq = s->find('=');
  if (eq == std::string_view::npos || eq == 0 || eq > 16) return false;
  *key = s->substr(0, eq);
  s->remove_prefix(eq + 1);
  if (*key == "status") {  // the last field: "sent (text)"
    *value = *s;
    s->remove_prefix(s->size());
    return true;
  }
  if (!s->empty() && (*s)[0] == '<') {
    // to=, orig_to=: a quoted local part may hold ">, " (scan::Address).
    return scan::Address(s, value) && scan::Consume(s, ", ");
  } else {
    const size_t end = s->find(", ");
    if (end == std::string_view::npos) return false;
    *value = s->substr(0, end);
    s->remove_prefix(end + 2);
  }
  return true;
}

}  // namespace

bool ParseDelivery(std::string_view msg, Event* ev) {
  std::string_view s = msg;
  if (!SplitQueueId(&s, ev) || ev->qid.empty()) {
    ev->qid = {};
    // "connect to H[IP]:25: Connection refused", warnings, TLS notes: no queue id.
    ev->kind = EventKind::kNoise;
    return true;
  }
  if (s.substr(0, 4) != "to=<") {
    // "QID: lost connection with ...", "QID: conversation with ... timed out", "QID: host
    // ... said: ... (in reply to ...)" (an attempt that continues), "QID: enabling PIX ...".
    ev->kind = EventKind::kNoise;
    return true;
  }
  bool have_to = false, have_status = false;
  while (!s.empty()) {
    std::string_view key, value;
    if (!NextField(&s, &key, &value)) return false;
    if (key == "to") {
      ev->to = value;
      have_to = true;
    } else if (key == "orig_to") {
      ev->orig_to = value;
    } else if (key == "relay") {
      ev->relay = value;
    } else if (key == "delay") {
      scan::ParseDouble(value, &ev->delay);
    } else if (key == "delays") {
      ev->delays = value;
    } else if (key == "dsn") {
      ev->dsn = value;
    } else if (key == "tls") {  // Postfix 3.11+
      ev->tls = value;
    } else if (key == "conn_use") {
      int64_t n = 0;
      if (scan::ParseInt(value, &n)) ev->conn_use = static_cast<int>(n);
    } else if (key == "status") {
      const size_t sp = value.find(' ');
      ev->status = value.substr(0, sp);
      if (sp != std::string_view::npos) {
        std::string_view text = value.substr(sp + 1);
        if (text.size() >= 2 && text.front() == '(' && text.back() == ')')
          text = text.substr(1, text.size() - 2);
        ev->text = text;
      }
      have_status = true;
    }
    // Anything newer: tolerated.
  }
  if (!have_to || !have_status || ev->status.empty()) return false;
  ev->next_qid = QueueIdAfter(ev->text, "queued as ");
  if (ev->next_qid.empty()) ev->next_qid = QueueIdAfter(ev->text, "forwarded as ");
  ev->kind = EventKind::kDelivery;
  return true;
}

}  // namespace mailtrail::parsers
