// cleanup(8): message-id, header/body_checks actions with the header text,
// milter actions, and the status of recipients it bounces itself.
#include "parsers/daemons.h"
#include "parsers/scan.h"

namespace mailtrail::parsers {

namespace {

// "ACTION: header NAME: TEXT from HOST[IP]; trailer[: reply]" or "... from local; ..."
// Both ends are the client's text (the header and its HELO), so more than one
// split may parse: the rightmost is taken, or, given `want_client_ip`, the
// rightmost whose client is that one (ReparseHeaderFor).
bool ParseCheckAction(std::string_view s, Event* ev, std::string_view want_client_ip = {}) {
  size_t i = 0;
  while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || s[i] == '-')) ++i;
  if (i == 0 || s.substr(i, 2) != ": ") return false;
  const std::string_view action = s.substr(0, i);
  s.remove_prefix(i + 2);
  std::string_view part;
  if (scan::Consume(&s, "header ")) {
    part = "header";
  } else if (scan::Consume(&s, "body ")) {
    part = "body";
  } else if (scan::Consume(&s, "mime-header ") || scan::Consume(&s, "nested-header ")) {
    part = "header";
  } else {
    return false;
  }
  std::string_view head, rest, content;
  for (size_t before = std::string_view::npos, tries = 0;; before = head.size()) {
    if (++tries > 8 || !SplitTrailer(s, ev, &head, &rest, before)) return false;
    // The last " from " before the trailer precedes the client (the text itself
    // may contain " from ": docs/postfix-logs.md trap 9).
    const size_t from = scan::RFind(head, " from ");
    if (from == std::string_view::npos) continue;
    std::string_view client = head.substr(from + 6);
    content = head.substr(0, from);
    ev->client_host = ev->client_ip = {};
    if (client != "local") {
      std::string_view c = client;
      if (!scan::HostAndIp(&c, &ev->client_host, &ev->client_ip) || !c.empty()) continue;
    }
    if (want_client_ip.empty() || ev->client_ip == want_client_ip) break;
  }
  if (part == "header") {
    const size_t colon = content.find(':');
    if (colon == std::string_view::npos) return false;
    ev->header_name = content.substr(0, colon);
    content.remove_prefix(colon + 1);
    if (!content.empty() && content[0] == ' ') content.remove_prefix(1);
  } else {
    ev->header_name = {};
  }
  ev->text = content;
  // milter_header_checks: "milter-header-reject: header ..." (cleanup_milter.c,
  // cleanup_milter_hbc_log) is a header_checks REJECT of a milter's header.
  std::string_view act = action;
  if (act.substr(0, 7) == "milter-" && act.substr(7, part.size()) == part &&
      act.substr(7 + part.size(), 1) == "-")
    act.remove_prefix(8 + part.size());
  ev->action = act;
  ev->stage = part;
  // A reject's reply ("5.7.1 Spam subject rejected") goes to dsn/reply: `text`
  // carries the header value.
  ev->code = 0;
  ev->dsn = ev->reply = {};
  if (scan::Consume(&rest, ": ")) scan::SplitReply(rest, &ev->code, &ev->dsn, &ev->reply);
  ev->kind = EventKind::kHeader;
  return true;
}

}  // namespace

bool ParseCleanup(std::string_view msg, Event* ev) {
  std::string_view s = msg;
  if (!SplitQueueId(&s, ev) || ev->qid.empty()) {
    if (msg.substr(0, 9) == "warning: " || msg.substr(0, 7) == "error: " ||
        msg.substr(0, 7) == "fatal: ") {
      ev->qid = {};
      ev->kind = EventKind::kNoise;
      return true;
    }
    return false;
  }
  // Mail from the maildrop that cleanup bounces itself (cleanup_bounce.c:
  // a header_checks REJECT, a non-SMTP milter, message_size_limit): each
  // recipient's status line, as bounce_append() logs it from this process.
  if (s.substr(0, 4) == "to=<") return ParseDelivery(msg, ev);
  if (scan::Consume(&s, "message-id=")) {
    ev->message_id = scan::Unbracket(s);
    ev->kind = EventKind::kMessageId;
    return true;
  }
  // Postfix 3.10+ (cleanup_api.c): the message was not queued, after an
  // error or a reject ("canceled"), or by a DISCARD.
  if (s == "removed (canceled)" || s == "removed (discarded)") {
    ev->admin = s == "removed (canceled)" ? AdminAction::kCanceled : AdminAction::kDiscarded;
    ev->kind = EventKind::kAdmin;
    return true;
  }
  if (s.substr(0, 7) == "milter-" && ParseActionLine(s, false, ev)) return true;
  if (ParseCheckAction(s, ev)) return true;
  if (scan::Consume(&s, "resent-message-id=") || s.substr(0, 9) == "warning: " ||
      s.substr(0, 5) == "info:" || s.substr(0, 4) == "dkim") {
    ev->kind = EventKind::kNoise;
    return true;
  }
  return false;
}

bool ReparseHeaderFor(std::string_view client_ip, Event* ev) {
  if (ev->kind != EventKind::kHeader || client_ip.empty()) return false;
  std::string_view s = ev->message;
  Event again = *ev;
  if (!SplitQueueId(&s, &again) || !ParseCheckAction(s, &again, client_ip)) return false;
  *ev = again;
  return true;
}

}  // namespace mailtrail::parsers
