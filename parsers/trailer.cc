// The "from=<S> to=<R> proto=P helo=<H>" trailer that smtpd, postscreen and
// cleanup append to reject and header lines, and the reject line around it.
#include <algorithm>

#include "parsers/daemons.h"
#include "parsers/scan.h"

#include "base/queue_id.h"

namespace mailtrail::parsers {

namespace {

bool FollowedBySeparator(std::string_view s) {
  return s.empty() || s[0] == ' ' || s[0] == ',' || s[0] == ':';
}

// An address value (from=, to=): Postfix quotes its specials (scan::Address).
bool AddressValue(std::string_view* s, std::string_view* out) {
  return scan::Address(s, out) && FollowedBySeparator(*s);
}

// The HELO name, which smtpd logs as the client sent it, unquoted and free to
// hold "; from=<" or ">: ": always the trailer's last field, so "<...>" ends at
// the last ">: " (before cleanup's reply, which is the admin's text) or, when
// there is none, at the '>' that ends the line.
bool HeloValue(std::string_view* s, std::string_view* out) {
  if (s->empty() || (*s)[0] != '<') return false;
  size_t p = scan::RFind(*s, ">: ");
  if (p == std::string_view::npos || p == 0) {
    if (s->size() < 2 || s->back() != '>') return false;
    p = s->size() - 1;
  }
  *out = s->substr(1, p - 1);
  s->remove_prefix(p + 1);
  return true;
}

void SkipSep(std::string_view* s) {
  if (!s->empty() && (*s)[0] == ',') s->remove_prefix(1);
  if (!s->empty() && (*s)[0] == ' ') s->remove_prefix(1);
}

// Parses the trailer starting right after "; ". Strict: every field must be a
// known key in Postfix's order; anything after helo is returned in `rest`.
bool ParseTrailerFields(std::string_view s, Event* ev, std::string_view* rest) {
  std::string_view from, to, proto, helo;
  bool has_from = false;
  if (scan::Consume(&s, "from=")) {
    if (!AddressValue(&s, &from)) return false;
    has_from = true;
    SkipSep(&s);
  }
  if (scan::Consume(&s, "to=")) {
    if (!AddressValue(&s, &to)) return false;
    SkipSep(&s);
  }
  if (scan::Consume(&s, "proto=")) {
    size_t e = 0;
    while (e < s.size() && s[e] != ' ' && s[e] != ',') ++e;
    proto = s.substr(0, e);
    s.remove_prefix(e);
    SkipSep(&s);
  }
  if (scan::Consume(&s, "helo=")) {
    if (!HeloValue(&s, &helo)) return false;
  }
  if (!has_from && proto.empty()) return false;
  ev->from = from;
  ev->has_from = has_from;
  ev->to = to;
  ev->proto = proto;
  ev->helo = helo;
  *rest = s;
  return true;
}

}  // namespace

constexpr int kMaxTrailerCandidates = 8;

bool SplitTrailer(std::string_view s, Event* ev, std::string_view* head, std::string_view* rest,
                  size_t before) {
  size_t end = std::min(before, s.size());
  // Real lines have one candidate, two when the client imitates one: a bound
  // keeps a crafted line of many "; from=<" linear.
  int tries = 0;
  while (end > 0) {
    const size_t p = scan::RFind(s, "; ", end - 1);
    if (p == std::string_view::npos) return false;
    std::string_view tail = s.substr(p + 2);
    if (tail.substr(0, 6) == "from=<" || tail.substr(0, 6) == "proto=") {
      if (++tries > kMaxTrailerCandidates) return false;
      if (ParseTrailerFields(tail, ev, rest) && (rest->empty() || (*rest)[0] == ':')) {
        *head = s.substr(0, p);
        return true;
      }
    }
    if (p == 0) return false;
    end = p;
  }
  return false;
}

bool SplitQueueId(std::string_view* msg, Event* ev) {
  if (scan::Consume(msg, "NOQUEUE: ")) {
    ev->qid = {};
    return true;
  }
  const size_t n = QueueIdPrefixLength(*msg);
  if (n == 0 || msg->size() < n + 2 || (*msg)[n + 1] != ' ') return false;
  ev->qid = msg->substr(0, n);
  msg->remove_prefix(n + 2);
  return true;
}

bool ParseActionLine(std::string_view s, bool postscreen, Event* ev) {
  // ACTION
  size_t i = 0;
  while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || s[i] == '-')) ++i;
  if (i == 0 || s.substr(i, 2) != ": ") return false;
  ev->action = s.substr(0, i);
  s.remove_prefix(i + 2);
  // STAGE
  i = 0;
  while (i < s.size() && ((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-')) ++i;
  if (i == 0 || s.substr(i, 6) != " from ") return false;
  ev->stage = s.substr(0, i);
  s.remove_prefix(i + 6);
  // Client at its fixed position (docs/security.md rule 1).
  if (postscreen) {
    if (!scan::Consume(&s, "[")) return false;
    if (!scan::Until(&s, "]:", &ev->client_ip)) return false;
    ev->client_host = {};
    size_t port_end = 0;
    while (port_end < s.size() && s[port_end] >= '0' && s[port_end] <= '9') ++port_end;
    ev->client_port = s.substr(0, port_end);
    s.remove_prefix(port_end);
  } else if (!scan::HostAndIp(&s, &ev->client_host, &ev->client_ip)) {
    return false;
  }
  if (!scan::Consume(&s, ": ")) return false;
  std::string_view reply, rest;
  if (!SplitTrailer(s, ev, &reply, &rest)) return false;
  scan::SplitReply(reply, &ev->code, &ev->dsn, &ev->text);
  ev->kind = EventKind::kSmtpdAction;
  return true;
}

std::string_view QueueIdAfter(std::string_view text, std::string_view marker) {
  // Postfix ends these replies with the id ("... Ok: queued as 586D910A322",
  // "forwarded as 5C24310A31A"): look at the last word only.
  const size_t sp = text.rfind(' ');
  if (sp == std::string_view::npos || sp < marker.size() - 1) return {};
  if (text.substr(sp + 1 - marker.size(), marker.size()) != marker) return {};
  const std::string_view id = text.substr(sp + 1);
  return scan::LeadingQueueId(id).size() == id.size() ? id : std::string_view();
}

}  // namespace mailtrail::parsers
