// The "from=<S> to=<R> proto=P helo=<H>" trailer that smtpd, postscreen and
// cleanup append to reject and header lines, and the reject line around it.
#include <algorithm>
#include <array>

#include "parsers/daemons.h"
#include "parsers/scan.h"

#include "base/queue_id.h"

namespace mailtrail::parsers {

namespace {

bool FollowedBySeparator(std::string_view s) {
  return s.empty() || s[0] == ' ' || s[0] == ',' || s[0] == ':';
}

// What one candidate parsed to.
struct Trailer {
  std::string_view from, to, proto, helo, rest;
  bool has_from = false;
};

// How a candidate's fields are read. Strict, as Postfix 3.5 and later write
// them (info_log_address_format = external): an address holds a space only
// inside a quoted local part (quote_822_local; '"' and '\\' escaped there,
// a domain holds none), and a HELO none (smtpd neuters it: NEUTER_CHARACTERS
// in smtpd.c; postscreen logs one word). So an imitation inside a quoted
// address fails within a few bytes. Lenient, as before: only for a line no
// strict candidate fits (unquoted internal-form addresses).
struct Rules {
  bool strict = true;
  bool ends_line = false;  // smtpd and postscreen: it ends the line
  bool sasl = false;       // smtpd: but for its SASL fields
  bool raw_helo = false;   // a HELO-stage line: the HELO as the client sent it
};

// An address value (from=, to=). `work` counts the bytes read.
bool AddressValue(std::string_view* s, std::string_view* out, const Rules& r, size_t* work) {
  if (s->empty() || (*s)[0] != '<') return false;
  if (!r.strict) {
    const size_t before = s->size();
    const bool ok = scan::Address(s, out) && FollowedBySeparator(*s);
    *work += before - s->size();
    return ok;
  }
  // The bytes that end or fail an unquoted stretch: skipped to by a table.
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (const unsigned char c : std::string_view("\"> \\<")) t[c] = true;
    return t;
  }();
  bool quoted = false;
  const char* const d = s->data();
  const size_t n = s->size();
  for (size_t i = 1; i < n; ++i) {
    if (!quoted)
      while (i < n && !kSpecial[static_cast<unsigned char>(d[i])]) ++i;
    if (i == n) break;
    const char c = d[i];
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

// Where smtpd's SASL fields begin at the end of `s`: the leftmost '>' that
// only " sasl_method=M", " sasl_username=U" (or "=<U>") and " sasl_sender=S"
// follow, in that order; npos if none. A value ends at the next '>' (or
// space), so each '>' tried reads at most the text up to the third after it.
size_t SaslFieldsStart(std::string_view s, size_t* work) {
  static constexpr std::string_view kKeys[] = {" sasl_method=", " sasl_username=", " sasl_sender="};
  for (size_t gt = s.find('>'); gt != std::string_view::npos; gt = s.find('>', gt + 1)) {
    std::string_view t = s.substr(gt + 1);
    if (t.substr(0, 6) != " sasl_") continue;
    const size_t before = t.size();
    size_t next_key = 0;
    while (!t.empty() && next_key < std::size(kKeys)) {
      while (next_key < std::size(kKeys) && t.substr(0, kKeys[next_key].size()) != kKeys[next_key])
        ++next_key;
      if (next_key == std::size(kKeys)) break;
      t.remove_prefix(kKeys[next_key++].size());
      size_t e = 0;
      if (!t.empty() && t[0] == '<') {
        e = t.find('>');
        e = e == std::string_view::npos ? t.size() + 1 : e + 1;
      } else {
        while (e < t.size() && t[e] != ' ' && t[e] != '<' && t[e] != '>') ++e;
      }
      if (e == 0 || e > t.size()) break;
      t.remove_prefix(e);
    }
    *work += before - t.size();
    if (t.empty()) return gt;
  }
  return std::string_view::npos;
}

// The HELO value. Strict: one word, ending at the line's end after '>', at
// ">:" before cleanup's ": reply", or at '>' before smtpd's SASL fields
// (Postfix 3.10 and later log " sasl_method=... sasl_username=..."; milter
// lines " sasl_username=<...>"). A raw HELO (HELO-stage lines log what the
// client sent, spaces and all) and a lenient one run to the last ">: " or to
// the line's last '>'. `rest` begins at ':' or at the space before "sasl_".
bool HeloValue(std::string_view* s, std::string_view* out, const Rules& r, size_t* work) {
  if (s->empty() || (*s)[0] != '<') return false;
  if (r.raw_helo) {  // it ends the line but for SASL fields, whatever it holds
    *work += s->size();
    const size_t sasl = SaslFieldsStart(*s, work);
    if (sasl != std::string_view::npos && sasl > 0) {
      *out = s->substr(1, sasl - 1);
      s->remove_prefix(sasl + 1);
      return true;
    }
    if (s->size() < 2 || s->back() != '>') return false;
    *out = s->substr(1, s->size() - 2);
    s->remove_prefix(s->size());
    return true;
  }
  if (!r.strict) {
    size_t p = scan::RFind(*s, ">: ");
    *work += s->size();
    if (p == std::string_view::npos || p == 0) {
      if (s->size() < 2 || s->back() != '>') return false;
      p = s->size() - 1;
    }
    *out = s->substr(1, p - 1);
    s->remove_prefix(p + 1);
    return true;
  }
  const size_t sp = s->find(' ');
  *work += sp == std::string_view::npos ? s->size() : sp;
  if (sp == std::string_view::npos) {
    if (s->size() < 2 || s->back() != '>') return false;
    *out = s->substr(1, s->size() - 2);
    s->remove_prefix(s->size());
    return true;
  }
  if (r.sasl && sp >= 2 && (*s)[sp - 1] == '>' && s->substr(sp, 6) == " sasl_") {
    *out = s->substr(1, sp - 2);
    s->remove_prefix(sp);
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

// Parses the trailer starting right after "; ". Every field must be a known
// key in Postfix's order; what follows helo is `rest` (empty, or cleanup's
// ": reply").
bool ParseTrailerFields(std::string_view s, const Rules& r, Trailer* t, size_t* work) {
  if (scan::Consume(&s, "from=")) {
    if (r.raw_helo || !AddressValue(&s, &t->from, r, work)) return false;
    t->has_from = true;
    SkipSep(&s);
  }
  if (scan::Consume(&s, "to=")) {
    if (r.raw_helo || !AddressValue(&s, &t->to, r, work)) return false;
    SkipSep(&s);
  }
  if (scan::Consume(&s, "proto=")) {
    size_t e = 0;
    // A word ("ESMTP"); a client that sent no HELO leaves cleanup's ": reply"
    // right after it.
    while (e < s.size() && s[e] != ' ' && s[e] != ',' && s[e] != ':') ++e;
    *work += e;
    t->proto = s.substr(0, e);
    s.remove_prefix(e);
    if (s.substr(0, 6) != " sasl_") SkipSep(&s);
  }
  if (scan::Consume(&s, "helo=")) {
    if (!HeloValue(&s, &t->helo, r, work)) return false;
  }
  if (!t->has_from && t->proto.empty()) return false;
  t->rest = s;
  if (s.empty()) return true;
  // smtpd's SASL fields end its line (the login name is not read here).
  return r.ends_line ? (r.sasl || r.raw_helo) && r.strict && s.substr(0, 6) == " sasl_"
                     : s[0] == ':';
}

// The candidate whose fields reach furthest: the real trailer is followed
// only by cleanup's reply or smtpd's SASL fields, while an imitation,
// wherever it starts, ends in text that holds the real one's (its quotes are
// Postfix's, out of step with the imitation's). Ties go to the rightmost.
size_t FindTrailer(std::string_view s, size_t before, const Rules& r, Trailer* best) {
  const size_t budget = 4 * s.size() + 1024;
  size_t work = 0;
  size_t found = std::string_view::npos;
  size_t end = std::min(before, s.size());
  while (end > 0 && work <= budget) {
    const size_t p = scan::RFind(s, "; ", end - 1);
    if (p == std::string_view::npos) break;
    std::string_view tail = s.substr(p + 2);
    // A trailer may begin at to=<: a VRFY reject names no sender.
    if (tail.substr(0, 6) == "from=<" || tail.substr(0, 4) == "to=<" ||
        tail.substr(0, 6) == "proto=") {
      Trailer t;
      if (ParseTrailerFields(tail, r, &t, &work) &&
          (found == std::string_view::npos || t.rest.size() < best->rest.size())) {
        found = p;
        *best = t;
      }
      // Lenient: the rightmost, as before (no bound on what it may hold).
      if (!r.strict && found != std::string_view::npos) break;
    }
    end = p;
  }
  return found;
}

// postscreen's trailer. postscreen writes the addresses of MAIL and RCPT as
// the client sent them, but for the quoting of their local part
// (postscreen_smtpd.c: psc_extract_addr), so a domain may hold a space, '<',
// '"' or an imitated "to=<", and no split of "from=<S>, to=<R>" is certain.
// Both are the client's own words, though; what it cannot write is read at
// fixed places: the client (before the reply), the reply (postscreen's, up to
// the first "; from=<"), and the proto and HELO at the line's end (each one
// word: PSC_SMTPD_NEXT_TOKEN). Between them, the strict reading when it ends
// on those very fields (a quoted local part holding ">, to=<"), else R after
// the last ">, to=<": a client can choose what its sender shows, never which
// client was refused, with what reply, or the HELO it gave.
bool PostscreenTrailer(std::string_view s, Trailer* t, size_t* found) {
  const size_t start = s.find("; from=<");
  if (start == std::string_view::npos) return false;
  std::string_view tail = s.substr(start + 2);
  const size_t proto = tail.rfind(", proto=");
  if (proto == std::string_view::npos) return false;
  std::string_view end = tail.substr(proto + 8);
  const size_t comma = end.find(", helo=<");
  if (comma == std::string_view::npos || comma == 0) return false;
  std::string_view helo = end.substr(comma + 8);
  const std::string_view word = end.substr(0, comma);
  if (word.find_first_of(" <>") != std::string_view::npos || helo.empty() || helo.back() != '>' ||
      helo.find(' ') != std::string_view::npos)
    return false;
  std::string_view addresses = tail.substr(0, proto);  // from=<S>, to=<R>
  const size_t to = addresses.rfind(">, to=<");
  if (to == std::string_view::npos || to < 6 || addresses.back() != '>') return false;
  t->from = addresses.substr(6, to - 6);
  t->has_from = true;
  t->to = addresses.substr(to + 7, addresses.size() - to - 8);
  t->proto = word;
  t->helo = helo.substr(0, helo.size() - 1);
  t->rest = {};
  *found = start;
  Rules strict;
  strict.ends_line = true;
  Trailer fields;
  size_t work = 0;
  if (ParseTrailerFields(tail, strict, &fields, &work) && fields.proto.data() == word.data() &&
      fields.helo.data() == t->helo.data() && fields.helo.size() == t->helo.size()) {
    t->from = fields.from;
    t->to = fields.to;
  }
  return true;
}

}  // namespace

bool SplitTrailer(std::string_view s, Event* ev, std::string_view* head, std::string_view* rest,
                  size_t before, TrailerKind kind) {
  // docs/postfix-logs.md trap 9. The bytes read are bounded by a multiple of
  // the line's length.
  Rules r;
  r.ends_line = kind != TrailerKind::kCleanup;
  r.sasl = kind == TrailerKind::kSmtpd;
  r.raw_helo = kind == TrailerKind::kSmtpdHelo;
  Trailer best;
  size_t found = std::string_view::npos;
  if (kind == TrailerKind::kPostscreen) {
    if (!PostscreenTrailer(s.substr(0, std::min(before, s.size())), &best, &found)) return false;
  } else {
    found = FindTrailer(s, before, r, &best);
  }
  // Internal-form (unquoted) addresses, as before. Not for postscreen (its
  // own reading above), nor HELO-stage lines.
  if (found == std::string_view::npos && !r.raw_helo) {
    r.strict = false;
    found = FindTrailer(s, before, r, &best);
  }
  if (found == std::string_view::npos) return false;
  if (r.ends_line) best.rest = {};
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

bool ParseSizeLimitWarning(std::string_view msg, Event* ev) {
  if (!scan::Consume(&msg, "warning: ") || !SplitQueueId(&msg, ev) || ev->qid.empty() ||
      msg != "queue file size limit exceeded")
    return false;
  ev->action = "reject";
  ev->stage = "END-OF-MESSAGE";
  ev->code = 0;
  ev->dsn = {};
  ev->text = msg;  // the line's own words: an Event's text points into its line
  ev->kind = EventKind::kSmtpdAction;
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
  // Before MAIL FROM (CONNECT, HELO, EHLO) the line holds no from= or to=,
  // and a HELO-stage line the HELO as sent.
  const bool helo_stage = ev->stage == "CONNECT" || ev->stage == "HELO" || ev->stage == "EHLO";
  const TrailerKind kind = postscreen   ? TrailerKind::kPostscreen
                           : helo_stage ? TrailerKind::kSmtpdHelo
                                        : TrailerKind::kSmtpd;
  if (ev->cut) {
    // Postfix cut the line (line_parser.cc): its trailer is gone, and one
    // that parses there may be forged. The reply is the rest; the line is
    // still the client's reject, not an unknown line (helper-118 F4).
    reply = s;
  } else if (!SplitTrailer(s, ev, &reply, &rest, std::string_view::npos, kind)) {
    return false;
  }
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
