// amavisd-new main log lines:
// "(PID-N) Passed CLEAN {RelayedInbound}, [IP]:PORT <s> -> <r1>,<r2>, Queue-ID: QID,
//  Message-ID: <..>, mail_id: .., Hits: -1.2, size: 1234, queued_as: NEWQID, 123 ms"
// Mail that Postfix did not receive by SMTP (pickup) has no Queue-ID:
// "(PID-N) Passed CLEAN {RelayedOutbound}, LOCAL [127.0.0.1]:PORT <s> -> <r>,
//  Message-ID: <..>, mail_id: .., Hits: -, size: 471, queued_as: NEWQID, 293 ms"
// The per-recipient lines ("Passed CLEAN, <s> -> <r>, Hits: -1, tag=..., queued_as:
// ..., L/Y/0/0") carry nothing the main line lacks and are counted as noise.
//
// SECURITY: the sender, the recipients and the Message-ID are the sender's text.
// The addresses are read by Postfix's quoting rules under amavis's escapes
// (AmavisAddress); a line amavis split is no scan (the tracker joins its
// parts); the Message-ID is read by its tokens, and amavis's own fields
// after it from the left, before any a template takes from the message;
// Queue-ID only where amavis writes it, right after the recipients.
#include <algorithm>
#include <cctype>

#include "base/queue_id.h"
#include "parsers/daemons.h"
#include "parsers/scan.h"

namespace mailtrail::parsers {

namespace {

// The length in the log of the original byte at s[i], as amavis escapes
// it: "\\" (2.11) or "\134" (2.9) for a backslash, "\xHH" or "\NNN" for
// another byte it escapes, else the byte itself; `*backslash`: it stands for
// one.
size_t LoggedByte(std::string_view s, size_t i, bool* backslash) {
  *backslash = false;
  if (s[i] != '\\' || i + 1 >= s.size()) return 1;
  if (s[i + 1] == '\\') {
    *backslash = true;
    return 2;
  }
  if (s[i + 1] == 'x' && i + 3 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 2])) &&
      std::isxdigit(static_cast<unsigned char>(s[i + 3])))
    return 4;
  if (i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
      s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
    *backslash = s.substr(i + 1, 3) == "134";
    return 4;
  }
  return 1;
}

// "<address>" as amavis logs it: Postfix's quoting (a quoted local part may
// hold '>', a '\' escapes the next byte) under amavis's escapes, which log
// the escaping backslash itself as "\\" or "\134". Read by Postfix's rules
// alone (scan::Address), a sender's "\"" closed its quotes early, and the
// rest of its address, a forged "-> <r>, Queue-ID: ..." naming another
// message, took its scan (helper-121 F2).
bool AmavisAddress(std::string_view* s, std::string_view* out) {
  if (s->empty() || (*s)[0] != '<') return false;
  bool quoted = false, backslash = false, domain = false;
  for (size_t i = 1; i < s->size();) {
    const size_t n = LoggedByte(*s, i, &backslash);
    if (n == 1 && (*s)[i] == '>' && !quoted) {
      *out = s->substr(1, i - 1);
      s->remove_prefix(i + 1);
      return true;
    }
    // Quotes are the local part's: a '"' in the domain opened none, and a
    // forged Queue-ID after it took another message's scan (helper-122).
    if (n == 1 && (*s)[i] == '@' && !quoted) domain = true;
    if (n == 1 && (*s)[i] == '"' && !domain) quoted = !quoted;
    i += n;
    if (quoted && backslash && i < s->size()) i += LoggedByte(*s, i, &backslash);
  }
  return false;
}

// The length of "Message-ID: " or "Resent-Message-ID: " at the start of s, or 0.
size_t IdKey(std::string_view s) {
  if (s.substr(0, 12) == "Message-ID: ") return 12;
  if (s.substr(0, 19) == "Resent-Message-ID: ") return 19;
  return 0;
}

// amavis logs a header's first Message-ID, "<...>" (%m, %r:
// parse_message_id). Inside its quoted strings and domain literals a '\'
// may escape a '>'; a header without a valid id is logged whole as
// "<TEXT>" with its '>'s made '_', and TEXT may end in '\'. So the first
// '>' ends the id, unless a backslash is logged right before it: then the
// id may end there or go on, and what follows that '>' may be the sender's
// text (helper-127 F1: a forged Hits and queued_as after "\>").
enum class IdEnd { kFound, kUncertain, kBad };
IdEnd MessageIdEnd(std::string_view* s, std::string_view* id) {
  if (s->empty() || (*s)[0] != '<') return IdEnd::kBad;
  const size_t gt = s->find('>');
  if (gt == std::string_view::npos) return IdEnd::kBad;
  const std::string_view before = s->substr(0, gt);
  if (before.back() == '\\' || (before.size() >= 4 && before.substr(before.size() - 4) == "\\134"))
    return IdEnd::kUncertain;
  *id = s->substr(0, gt + 1);
  s->remove_prefix(gt + 1);
  return IdEnd::kFound;
}

// Whether a line ends as amavis's main lines do, ", N ms" (the per-recipient
// lines end ", L/Y/0/0").
bool EndsAsMainLine(std::string_view s) {
  if (s.size() < 3 || s.substr(s.size() - 3) != " ms") return false;
  size_t i = s.size() - 3, digits = 0;
  while (i > 0 && std::isdigit(static_cast<unsigned char>(s[i - 1]))) --i, ++digits;
  return digits > 0 && i >= 2 && s.substr(i - 2, 2) == ", ";
}

// "Passed|Blocked CATEGORY {ACTIONS}, REST" (a main line) or
// "Passed|Blocked CATEGORY, <s> -> ..." (a per-recipient line). BANNED (%F)
// and INFECTED (%V) name a message's parts in parentheses: the sender's
// text, which may hold ", " and a whole forged line; the first ", " put
// the scan on the Queue-ID forged there (helper-127 F2). Such a verdict is
// a main line's only when the line ends as one and exactly one ")
// {ACTIONS}, " can end it; else a line is no scan.
enum class Split { kMainLine, kRecipientLine, kBad };
Split SplitVerdict(std::string_view s, std::string_view* verdict, std::string_view* rest) {
  const size_t brace = s.find(" {"), comma = s.find(", ");
  const size_t plain = std::min(brace, comma);
  if (plain == std::string_view::npos) return Split::kBad;
  const size_t paren = s.find(" (");
  if (paren == std::string_view::npos || paren > plain) {  // no text of the sender's before
    *verdict = s.substr(0, plain);
    // Without " {ACTIONS}": a per-recipient line, or a main line of amavis
    // before 2.7; what follows the recipients tells them apart.
    const size_t end = plain == comma ? comma + 2 : s.find("}, ", brace);
    if (end == std::string_view::npos) return Split::kBad;
    *rest = s.substr(plain == comma ? end : end + 3);
    return Split::kMainLine;
  }
  if (!EndsAsMainLine(s)) {
    // The per-recipient lines end ", L/Y/0/0" (%0/%1/%2/%k); anything else
    // (the first record of a line a newline split, a custom template) is
    // not a silent noise (helper-130 F3).
    const size_t last = s.rfind(", ");
    const std::string_view tail = last == std::string_view::npos ? s : s.substr(last + 2);
    return std::count(tail.begin(), tail.end(), '/') == 3 &&
                   tail.find(' ') == std::string_view::npos
               ? Split::kRecipientLine
               : Split::kBad;
  }
  size_t found = std::string_view::npos;
  for (size_t p = s.find(") {"); p != std::string_view::npos; p = s.find(") {", p + 1)) {
    size_t e = p + 3;
    while (e < s.size() && (std::isalpha(static_cast<unsigned char>(s[e])) || s[e] == ',')) ++e;
    if (s.substr(e, 3) != "}, ") continue;
    if (found != std::string_view::npos) return Split::kBad;  // two could end it
    found = p;
    *rest = s.substr(e + 3);
  }
  if (found == std::string_view::npos) return Split::kBad;
  *verdict = s.substr(0, found + 1);
  return Split::kMainLine;
}

// The length of $log_verbose_templ's "(ESMTP://[IP]:PORT < ESMTPS://IP), "
// (the public hops of the Received headers, "(), " when none), or 0.
// amavis writes only a hop's protocol, its bytes out of [A-Za-z0-9.+-]
// made '_', and an address it parsed (an IPv6 one with its "%zone"): no
// ')' or ','.
size_t IpTrace(std::string_view s) {
  if (s.empty() || s[0] != '(') return 0;
  size_t i = 1;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) ||
                          std::string_view("[]:/.+_-% <").find(s[i]) != std::string_view::npos))
    ++i;
  return s.substr(i, 3) == "), " ? i + 3 : 0;
}

// "<a>,<b>" up to the ", " that ends the list (which may be empty).
bool Recipients(std::string_view* s, std::string_view* out) {
  const std::string_view start = *s;
  if (scan::Consume(s, ", ")) {
    *out = {};
    return true;
  }
  while (true) {
    std::string_view one;
    if (!AmavisAddress(s, &one)) return false;
    if (scan::Consume(s, ", ")) break;
    if (!scan::Consume(s, ",")) return false;
  }
  *out = start.substr(0, start.size() - s->size() - 2);
  return true;
}

// "queued_as: " names each transaction amavis passed the message on in,
// joined by '/' (helper-127 F7): the queue id when the reply ended "queued as
// ID", else the whole reply. next_qid is the first; more_next_qids the queue
// ids after it, up to the first piece that is not one.
void ReadQueuedAs(std::string_view field, Event* ev) {
  ev->next_qid = scan::LeadingQueueId(field);
  size_t end = ev->next_qid.size();
  if (end == 0) return;
  const size_t from = end + 1;
  while (end < field.size() && field[end] == '/') {
    const size_t next = std::min(field.find('/', end + 1), field.size());
    if (!IsQueueId(field.substr(end + 1, next - end - 1))) break;
    end = next;
  }
  if (end >= from) ev->more_next_qids = field.substr(from, end - from);
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
  // amavis splits a line longer than $logline_maxlen (980 bytes) into
  // records: each but the last ends in "...", each after the first begins
  // with "..." ("(!)..." at lower levels), cut by byte count where the sender
  // chooses (its addresses and Message-ID come first). A first part read from
  // its right took a forged Hits: or queued_as:; a later part may begin with
  // a whole forged line naming another message (helper-121). No part is a
  // scan: the tracker joins a task's parts (AmavisParts) and reads the whole.
  bool continued = false;
  for (std::string_view mark : {"...", "(!)...", "(!!)..."}) {
    if (s.substr(0, mark.size()) != mark) continue;
    s.remove_prefix(mark.size());
    continued = true;
    break;
  }
  const bool more = s.size() >= 3 && s.substr(s.size() - 3) == "...";
  if (continued || more) {
    if (more) s.remove_suffix(3);
    ev->split = !continued ? SplitPart::kFirst : more ? SplitPart::kMiddle : SplitPart::kLast;
    ev->kind = EventKind::kAmavisPart;
    ev->task = task;
    ev->text = s;
    return true;
  }
  // Only "Passed ..." and "Blocked ..." are main or per-recipient lines; a
  // record that begins otherwise (debug levels' lines, or the rest of a line
  // a sender's newline split, " Blocked ..." or "BLOCKED ...") is no scan
  // (helper-131 F1).
  if (s.substr(0, 7) != "Passed " && s.substr(0, 8) != "Blocked ") {
    ev->kind = EventKind::kNoise;
    return true;
  }
  std::string_view verdict, rest;
  switch (SplitVerdict(s, &verdict, &rest)) {
    case Split::kBad:
      return false;
    case Split::kRecipientLine:
      ev->kind = EventKind::kNoise;
      return true;
    case Split::kMainLine:
      break;
  }
  // "[IP]:PORT ", "LOCAL [IP]:PORT ", "[IP]:PORT [ORIG-IP] ": amavis's own text,
  // which holds no '<'; the sender starts at the first one.
  const size_t lt = rest.find('<');
  if (lt == std::string_view::npos) {
    ev->kind = EventKind::kNoise;  // "Passed CLEAN, ... " forms without addresses
    return true;
  }
  std::string_view client = rest.substr(0, lt);
  rest.remove_prefix(lt);
  std::string_view from, recipients;
  if (!AmavisAddress(&rest, &from) || !scan::Consume(&rest, " -> ") ||
      !Recipients(&rest, &recipients))
    return false;
  // The main line goes on with amavis's own fields ("tls: ...", "quarantine:
  // LOCATION, LOCATION", whose values hold no ", "; $log_verbose_templ's
  // Received trace "(PROTO://[IP]:PORT < ...), "), then Queue-ID, a
  // Message-ID or mail_id; the per-recipient lines go on with "Hits: ".
  bool quarantine = false;
  for (int skipped = 0; skipped < 16; ++skipped) {
    if (rest.substr(0, 10) == "Queue-ID: " || IdKey(rest) != 0 ||
        rest.substr(0, 9) == "mail_id: " || rest.substr(0, 6) == "Hits: ")
      break;
    if (const size_t trace = IpTrace(rest)) {
      rest.remove_prefix(trace);
      continue;
    }
    size_t key = 0;
    while (key < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[key])) ||
                                 rest[key] == '_' || rest[key] == '-'))
      ++key;
    const size_t next = rest.find(", ");
    if (next == std::string_view::npos) break;
    const bool field = key != 0 && rest.substr(key, 2) == ": ";
    // %q lists a message's quarantine locations joined by ", " (helper-127 F5).
    if (!field && !(quarantine && rest.substr(0, next).find(':') == std::string_view::npos)) break;
    if (field) quarantine = rest.substr(0, key) == "quarantine";
    rest.remove_prefix(next + 2);
  }
  std::string_view qid;
  if (scan::Consume(&rest, "Queue-ID: ")) {
    qid = scan::LeadingQueueId(rest);
    if (qid.empty()) return false;
    rest.remove_prefix(qid.size());
    if (!rest.empty() && !scan::Consume(&rest, ", ")) return false;
  } else if (rest.substr(0, 6) == "Hits: ") {
    ev->kind = EventKind::kNoise;  // a per-recipient line: its main line has all it says
    return true;
  } else if (IdKey(rest) == 0 && rest.substr(0, 9) != "mail_id: ") {
    return false;  // a field this parser does not know: unknown, not a silent noise
  }
  // amavis's own fields come next (mail_id, b, Hits, size, pt, queued_as),
  // read from the left: a template may go on with fields taken from the
  // message (Subject, From, User-Agent), whose text imitated them when the
  // line was read from its right (helper-122 F2). Where an id's end is not
  // certain, nothing after it is read (MessageIdEnd).
  bool trailer = true;
  while (const size_t key = IdKey(rest)) {
    const bool resent = key != 12;
    rest.remove_prefix(key);
    std::string_view id;
    const IdEnd end = MessageIdEnd(&rest, &id);
    if (end == IdEnd::kBad) return false;
    if (end == IdEnd::kUncertain) {
      trailer = false;
      break;
    }
    if (!resent && ev->message_id.empty()) ev->message_id = scan::Unbracket(id);
    if (!scan::Consume(&rest, ", ")) return false;
  }
  bool hits = false;
  while (trailer && !rest.empty()) {
    const size_t end = rest.find(", ");
    std::string_view field = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
    if (scan::Consume(&field, "Hits: ")) {
      if (hits) break;
      hits = true;
      // "4.2..7.5" when the recipients' scores differ: the lowest is kept.
      ev->has_hits = scan::ParseDouble(field.substr(0, field.find("..")), &ev->hits);
    } else if (scan::Consume(&field, "queued_as: ")) {
      if (hits) ReadQueuedAs(field, ev);
      break;
    } else if (!scan::Consume(&field, "mail_id: ") && !scan::Consume(&field, "b: ") &&
               !scan::Consume(&field, "size: ") && !scan::Consume(&field, "pt: ")) {
      break;  // the message's own fields, or "N ms"
    }
  }
  if (trailer && !hits) return false;
  // The client is "[IP]:PORT" (XFORWARD). Around it a policy bank's name,
  // "LOCAL", the protocols ("ESMTP/ESMTP", $log_verbose_templ) and "[IP]"
  // without a port, from the message's first Received header (%e: the
  // sender's text, and all there is when Postfix forwarded no address).
  if (const size_t close = client.find("]:"); close != std::string_view::npos) {
    const size_t open = client.rfind('[', close);
    if (open != std::string_view::npos) ev->client_ip = client.substr(open + 1, close - open - 1);
  }
  ev->qid = qid;
  ev->task = task;
  ev->verdict = verdict;
  ev->from = from;
  ev->has_from = true;
  ev->recipients = recipients;
  ev->kind = EventKind::kScan;
  return true;
}

}  // namespace mailtrail::parsers
