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

// What one candidate parsed to. The address values point into the line: a
// candidate inside one of them is the client's text.
struct Trailer {
  std::string_view from, to, proto, helo, rest;
  bool has_from = false;
  bool Holds(const char* p) const {
    for (std::string_view v : {from, to})
      if (!v.empty() && p >= v.data() && p < v.data() + v.size()) return true;
    return false;
  }
};

// An address value (from=, to=) as Postfix writes it (quote_822_local): a
// local part holding a special, a space among them, is quoted, with '"' and
// '\\' escaped; a domain holds none. So a space, '\\' or '<' outside quotes
// ends the candidate within a few bytes. `work` counts the bytes read.
bool AddressValue(std::string_view* s, std::string_view* out, size_t* work) {
  if (s->empty() || (*s)[0] != '<') return false;
  bool quoted = false;
  for (size_t i = 1; i < s->size(); ++i) {
    const char c = (*s)[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      *work += i;
      *out = s->substr(1, i - 1);
      s->remove_prefix(i + 1);
      return FollowedBySeparator(*s);
    } else if (c == ' ' || c == '\\' || c == '<') {
      *work += i;
      return false;
    }
  }
  *work += s->size();
  return false;
}

// The HELO name: smtpd neuters its specials, a space among them (smtpd.c,
// NEUTER_CHARACTERS), and postscreen logs one word. So it ends at the line's
// end after '>', or at ">:" before cleanup's ": reply". `rest` begins at ':'.
bool HeloValue(std::string_view* s, std::string_view* out, size_t* work) {
  if (s->empty() || (*s)[0] != '<') return false;
  const size_t sp = s->find(' ');
  *work += sp == std::string_view::npos ? s->size() : sp;
  if (sp == std::string_view::npos) {
    if (s->size() < 2 || s->back() != '>') return false;
    *out = s->substr(1, s->size() - 2);
    s->remove_prefix(s->size());
    return true;
  }
  if (sp < 3 || (*s)[sp - 1] != ':' || (*s)[sp - 2] != '>') return false;
  *out = s->substr(1, sp - 3);
  s->remove_prefix(sp - 1);
  return true;
}

void SkipSep(std::string_view* s) {
  if (!s->empty() && (*s)[0] == ',') s->remove_prefix(1);
  if (!s->empty() && (*s)[0] == ' ') s->remove_prefix(1);
}

// Parses the trailer starting right after "; ". Strict: every field must be a
// known key in Postfix's order; what follows helo is `rest` (empty, or
// cleanup's ": reply").
bool ParseTrailerFields(std::string_view s, bool ends_line, Trailer* t, size_t* work) {
  if (scan::Consume(&s, "from=")) {
    if (!AddressValue(&s, &t->from, work)) return false;
    t->has_from = true;
    SkipSep(&s);
  }
  if (scan::Consume(&s, "to=")) {
    if (!AddressValue(&s, &t->to, work)) return false;
    SkipSep(&s);
  }
  if (scan::Consume(&s, "proto=")) {
    size_t e = 0;
    while (e < s.size() && s[e] != ' ' && s[e] != ',') ++e;
    *work += e;
    t->proto = s.substr(0, e);
    s.remove_prefix(e);
    SkipSep(&s);
  }
  if (scan::Consume(&s, "helo=")) {
    if (!HeloValue(&s, &t->helo, work)) return false;
  }
  if (!t->has_from && t->proto.empty()) return false;
  t->rest = s;
  return s.empty() || (!ends_line && s[0] == ':');
}

}  // namespace

bool SplitTrailer(std::string_view s, Event* ev, std::string_view* head, std::string_view* rest,
                  size_t before, bool ends_line) {
  // Each "; from=<" or "; proto=" is a candidate, tried from the right (a
  // reply may hold "; " and text like a trailer: docs/postfix-logs.md trap 9).
  // A client's imitation inside a quoted address of the real trailer fails
  // within a few bytes (AddressValue, HeloValue); should one parse anyway, it
  // lies inside an address of a trailer to its left, and that one is taken.
  // The bytes read are bounded by a multiple of the line's length.
  const size_t budget = 4 * s.size() + 1024;
  size_t work = 0;
  size_t found = std::string_view::npos;
  Trailer best;
  size_t end = std::min(before, s.size());
  while (end > 0 && work <= budget) {
    const size_t p = scan::RFind(s, "; ", end - 1);
    if (p == std::string_view::npos) break;
    std::string_view tail = s.substr(p + 2);
    if (tail.substr(0, 6) == "from=<" || tail.substr(0, 6) == "proto=") {
      Trailer t;
      if (ParseTrailerFields(tail, ends_line, &t, &work) &&
          (found == std::string_view::npos || t.Holds(s.data() + found))) {
        found = p;
        best = t;
      }
    }
    end = p;
  }
  if (found == std::string_view::npos) return false;
  ev->from = best.from;
  ev->has_from = best.has_from;
  ev->to = best.to;
  ev->proto = best.proto;
  ev->helo = best.helo;
  *rest = best.rest;
  *head = s.substr(0, found);
  return true;
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
  if (!SplitTrailer(s, ev, &reply, &rest, std::string_view::npos, /*ends_line=*/true)) return false;
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
