// smtpd(8) and postscreen(8) lines.
#include <algorithm>

#include "parsers/daemons.h"
#include "parsers/scan.h"

namespace mailtrail::parsers {

namespace {

// "client=HOST[IP][, orig_queue_id=Q][, orig_client=HOST[IP]]" or, after AUTH,
// "client=HOST[IP], sasl_method=M, sasl_username=U[, sasl_sender=S]
// [, orig_queue_id=Q][, orig_client=...]" (smtpd_sasl_proto.c). After AUTH the
// line holds the client's own text (the user name, the AUTH= sender), which
// may imitate ", orig_queue_id=": in that form no queue id is read at all
// (XFORWARD comes from a content filter, which does not authenticate), and the
// user name ends at the first key smtpd writes after it (docs/security.md rule 1).
bool ParseClient(std::string_view s, Event* ev) {
  if (!scan::HostAndIp(&s, &ev->client_host, &ev->client_ip)) return false;
  if (s.empty()) {
    ev->kind = EventKind::kClient;
    return true;
  }
  if (scan::Consume(&s, ", sasl_method=")) {
    if (!scan::Until(&s, ", sasl_username=", &ev->sasl_method)) {
      ev->sasl_method = s;  // Postfix logs the user name whenever it logs the method
    } else {
      size_t end = s.size();
      for (std::string_view key : {", sasl_sender=", ", orig_queue_id=", ", orig_client="})
        end = std::min(end, s.find(key));
      ev->sasl_username = s.substr(0, end);
    }
    ev->kind = EventKind::kClient;
    return true;
  }
  // XFORWARD: "orig_queue_id=" and "orig_client=", then keys this parser does not need.
  while (scan::Consume(&s, ", ")) {
    const size_t eq = s.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view key = s.substr(0, eq);
    s.remove_prefix(eq + 1);
    const size_t end = s.find(", ");
    std::string_view value = s.substr(0, end);
    s.remove_prefix(end == std::string_view::npos ? s.size() : end);
    if (key == "orig_queue_id") {
      ev->orig_queue_id = scan::LeadingQueueId(value).size() == value.size() ? value : "";
    } else if (key == "orig_client") {
      std::string_view v = value;
      if (!scan::HostAndIp(&v, &ev->orig_client_host, &ev->orig_client_ip)) return false;
    }
  }
  ev->kind = EventKind::kClient;
  return true;
}

// "connect from HOST[IP]" / "disconnect from HOST[IP] counters"
bool ParseConnection(std::string_view s, Event* ev) {
  if (scan::Consume(&s, "connect from ")) {
    if (!scan::HostAndIp(&s, &ev->client_host, &ev->client_ip)) return false;
    ev->kind = EventKind::kConnect;
    return true;
  }
  if (scan::Consume(&s, "disconnect from ")) {
    if (!scan::HostAndIp(&s, &ev->client_host, &ev->client_ip)) return false;
    if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
    ev->text = s;
    ev->kind = EventKind::kDisconnect;
    return true;
  }
  // "lost connection after DATA (15144 bytes) from HOST[IP]", "timeout after RCPT from ..."
  if (scan::Consume(&s, "lost connection after ") || scan::Consume(&s, "timeout after ")) {
    const size_t from = scan::RFind(s, " from ");
    if (from == std::string_view::npos) return false;
    std::string_view stage = s.substr(0, from);
    const size_t sp = stage.find(' ');
    ev->stage = stage.substr(0, sp);
    std::string_view client = s.substr(from + 6);
    if (!scan::HostAndIp(&client, &ev->client_host, &ev->client_ip)) return false;
    ev->kind = EventKind::kLostConnection;
    return true;
  }
  return false;
}

// smtpd in front of a before-queue filter (smtpd_proxy_filter), the filter's
// end-of-data reply (smtpd.c): "proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok:
// queued as QID; from=<..> to=<..> proto=ESMTP helo=<..>[ sasl_username=<U>]".
// The reply is the filter's (amavis's repeats the queueing smtpd's: "... Ok:
// queued as QID") and holds no ';': it ends at the first one, before any of
// the client's text, and its last word is the id of the message the filter
// handed on (a reply that names none is noise). The trailer's fields count
// only where its split agrees: an address logged unquoted (before Postfix
// 3.5, info_log_address_format = internal) may imitate a trailer
// (helper-70).
bool ParseProxyAccept(std::string_view s, Event* ev) {
  if (!scan::Consume(&s, "proxy-accept: ")) return false;
  const size_t colon = s.find(": ");
  if (colon == std::string_view::npos) return false;
  ev->stage = s.substr(0, colon);
  s.remove_prefix(colon + 2);
  const size_t semicolon = s.find(';');
  if (semicolon == std::string_view::npos) return false;
  ev->text = s.substr(0, semicolon);
  ev->next_qid = QueueIdAfter(ev->text, "queued as ");
  if (ev->next_qid.empty()) return false;
  ev->kind = EventKind::kProxyAccept;
  std::string_view reply, rest;
  if (!SplitTrailer(s, ev, &reply, &rest, std::string_view::npos, TrailerKind::kSmtpd) ||
      reply.size() != ev->text.size()) {
    ev->from = ev->to = ev->proto = ev->helo = {};
    ev->has_from = false;
    return true;
  }
  // After AUTH smtpd_whatsup() ends the line with " sasl_username=<U>", but
  // a HELO may hold spaces and '>' and so write that too (helper-71): the
  // login is not read here.
  return true;
}

bool IsSmtpdNoise(std::string_view s) {
  static constexpr std::string_view kPrefixes[] = {
      "warning: ",
      "error: ",
      "fatal: ",
      "panic: ",
      "Anonymous TLS connection",
      "Trusted TLS connection",
      "Untrusted TLS connection",
      "Verified TLS connection",
      "SSL_accept error",
      "too many errors after",
      "improper command pipelining",
      "statistics: ",
      "setting up TLS connection",
      "discarding EHLO keywords",
      "proxy-accept:",
      "proxy-reject:",
      "NOQUEUE: lost connection",
      "TLS SNI",
  };
  for (auto p : kPrefixes)
    if (s.substr(0, p.size()) == p) return true;
  return false;
}

}  // namespace

bool ParseSmtpd(std::string_view msg, Event* ev) {
  if (ParseConnection(msg, ev)) return true;
  std::string_view s = msg;
  if (SplitQueueId(&s, ev)) {
    // "NOQUEUE: client=": a before-queue filter's front smtpd, with the
    // client (and its login after AUTH) of the session (OnProxyAccept).
    if (scan::Consume(&s, "client=")) return ParseClient(s, ev);
    if (ParseActionLine(s, /*postscreen=*/false, ev)) return true;
    ev->qid = {};
  }
  if (ParseSizeLimitWarning(msg, ev)) return true;
  ev->qid = {};
  if (ParseProxyAccept(msg, ev)) return true;
  ev->stage = ev->text = ev->next_qid = ev->from = ev->to = ev->proto = ev->helo = {};
  ev->has_from = false;
  if (IsSmtpdNoise(msg)) {
    ev->kind = EventKind::kNoise;
    return true;
  }
  return false;
}

bool ParsePostscreen(std::string_view msg, Event* ev) {
  std::string_view s = msg;
  if (scan::Consume(&s, "NOQUEUE: ")) return ParseActionLine(s, /*postscreen=*/true, ev);
  // One connection is "[IP]:PORT" from CONNECT to DISCONNECT: its rejects are
  // one record, and the next connection of the same client is another.
  const bool connect = scan::Consume(&s, "CONNECT from [");
  if (connect || scan::Consume(&s, "DISCONNECT [")) {
    if (!scan::Until(&s, "]:", &ev->client_ip)) return false;
    size_t port_end = 0;
    while (port_end < s.size() && s[port_end] >= '0' && s[port_end] <= '9') ++port_end;
    ev->client_port = s.substr(0, port_end);
    ev->client_host = {};
    ev->kind = connect ? EventKind::kConnect : EventKind::kDisconnect;
    return true;
  }
  // PASS NEW/OLD, DNSBL rank, HANGUP, DISCONNECT, PREGREET, WHITELISTED, COMMAND ...
  static constexpr std::string_view kKnown[] = {
      "PASS ",        "DNSBL ",        "HANGUP ",      "DISCONNECT ", "PREGREET ",
      "WHITELISTED ", "ALLOWLISTED ",  "BLACKLISTED ", "DENYLISTED ", "COMMAND ",
      "NON-SMTP ",    "BARE NEWLINE ", "CONNECT ",     "warning: ",   "error: ",
      "fatal: ",      "cache ",        "BDAT ",        "DATA ",       "reject: ",
  };
  for (auto p : kKnown) {
    if (msg.substr(0, p.size()) == p) {
      ev->kind = EventKind::kNoise;
      return true;
    }
  }
  return false;
}

}  // namespace mailtrail::parsers
