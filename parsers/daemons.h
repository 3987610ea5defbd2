// One parser per Postfix daemon family (and amavis). Internal to parsers/: each
// takes the message part of a line (after "prog[pid]: ") with the envelope
// fields already in `ev`, fills the rest, and returns false for a form it does
// not know (the caller then counts the line as unknown). Pure functions.
#ifndef MAILTRAIL_PARSERS_DAEMONS_H_
#define MAILTRAIL_PARSERS_DAEMONS_H_

#include <string_view>

#include "parsers/event.h"

namespace mailtrail::parsers {

bool ParseSmtpd(std::string_view msg, Event* ev);
bool ParsePostscreen(std::string_view msg, Event* ev);
bool ParseCleanup(std::string_view msg, Event* ev);
bool ParseQmgr(std::string_view msg, Event* ev);
bool ParsePickup(std::string_view msg, Event* ev);
bool ParseBounce(std::string_view msg, Event* ev);
bool ParsePostsuper(std::string_view msg, Event* ev);
bool ParseDelivery(std::string_view msg, Event* ev);
bool ParseAmavis(std::string_view msg, Event* ev);
bool ReparseHeaderFor(std::string_view client_ip, Event* ev);  // line_parser.h

// Shared pieces.
// Splits "QID: rest" or "NOQUEUE: rest"; sets ev->qid (empty for NOQUEUE).
bool SplitQueueId(std::string_view* msg, Event* ev);
// "ACTION: STAGE from HOST[IP]: REPLY; from=<..> to=<..> proto=.. helo=<..>".
// `postscreen` selects "[IP]:PORT" and a comma-separated trailer.
bool ParseActionLine(std::string_view s, bool postscreen, Event* ev);
// Where a trailer is: cleanup's lines may go on with ": reply"; smtpd's and
// postscreen's end with it (smtpd's but for its SASL fields), and smtpd's
// before MAIL FROM (CONNECT, HELO, EHLO) hold no from= or to= but the HELO as
// the client sent it.
enum class TrailerKind { kCleanup, kSmtpd, kSmtpdHelo, kPostscreen };
// Finds the trailer (docs/postfix-logs.md trap 9): sets `head` to what
// precedes "; from=<" and `rest` to what follows "helo=<..>" (empty, or
// cleanup's ": reply"). `before` limits the search to trailers that start
// before it, to try the next one leftwards.
bool SplitTrailer(std::string_view s, Event* ev, std::string_view* head, std::string_view* rest,
                  size_t before = std::string_view::npos, TrailerKind kind = TrailerKind::kCleanup);
// smtpd's "warning: QID: queue file size limit exceeded" (message_size_limit):
// the message was refused at the end of DATA with Postfix's fixed "552 5.3.4
// Error: message file too big" (452 4.3.4 under soft_bounce; the code is not
// logged), so a reject at END-OF-MESSAGE. Not cleanup's: it logs the same
// for mail from the maildrop, which it bounces (status=bounced) instead.
bool ParseSizeLimitWarning(std::string_view msg, Event* ev);
// The next queue id after `marker` in `text` ("queued as ", "forwarded as ").
std::string_view QueueIdAfter(std::string_view text, std::string_view marker);

}  // namespace mailtrail::parsers

#endif  // MAILTRAIL_PARSERS_DAEMONS_H_
