// Event: what one log line says, as typed fields. Produced by the pure parsers in
// this folder (ParseLine in line_parser.h); consumed by the MessageTracker.
//
// Every string_view points into the line that was parsed: an Event is valid only
// as long as that line's bytes. SECURITY: all fields are attacker-influenced text
// (addresses, HELO names, subjects); they are data, never interpreted.
#ifndef MAILTRAIL_PARSERS_EVENT_H_
#define MAILTRAIL_PARSERS_EVENT_H_

#include <cstdint>
#include <string_view>

#include "base/civil_time.h"

namespace mailtrail {

enum class EventKind : uint8_t {
  kUnparsable,      // no syslog envelope at all (binary junk, truncated line)
  kForeign,         // another program's line: counted, skipped
  kUnknown,         // a Postfix/amavis line whose form we do not know: counted, sampled
  kNoise,           // a known line kind that carries nothing for tracking
  kConnect,         // smtpd/postscreen: connect from HOST[IP]
  kDisconnect,      // smtpd: disconnect from HOST[IP] <command counts>
  kLostConnection,  // smtpd: lost connection / timeout after STAGE from HOST[IP]
  kClient,          // smtpd: QID: client=HOST[IP][, orig_queue_id=..][, sasl_username=..]
                    // (NOQUEUE: a before-queue filter's front smtpd: no queue id)
  kSmtpdAction,  // smtpd/postscreen/cleanup(milter): NOQUEUE|QID: reject/hold/...: STAGE from ...
  kMessageId,    // cleanup: QID: message-id=<..>
  kHeader,       // cleanup: QID: ACTION: header|body NAME: TEXT from ...; trailer
  kPickup,       // pickup: QID: uid=N from=<S>
  kQueued,       // qmgr: QID: from=<S>, size=N, nrcpt=M (queue active)
  kRemoved,      // qmgr/postsuper: QID: removed
  kExpired,      // qmgr: QID: from=<S>, status=expired, returned to sender
  kDelivery,     // smtp/lmtp/local/virtual/pipe/error/discard: QID: to=<R>, ... status=S (T)
  kNotice,       // bounce: QID: sender non-delivery notification: NEWQID (and 3 more kinds)
  kAdmin,        // postsuper: QID: requeued / placed on hold / released from hold;
                 // cleanup (3.10+): QID: removed (canceled|discarded)
  kScan,         // amavis: (PID-N) Passed CLEAN ..., Queue-ID: QID, ... queued_as: NEWQID
  // smtpd in front of a before-queue filter (smtpd_proxy_filter): the
  // filter's end-of-data reply, "proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok:
  // queued as NEWQID; from=<..> to=<..> proto=.. helo=<..>": the message this
  // session handed on (next_qid), queued by the smtpd behind the filter.
  kProxyAccept,
  // amavis: one record of a line longer than $logline_maxlen, which amavis
  // split (the tracker joins the parts of one task into the whole line).
  kAmavisPart,
};
constexpr int kEventKindCount = static_cast<int>(EventKind::kAmavisPart) + 1;

// Which record of a line amavis split: the first ends in "...", the others
// begin with "...", each but the last ends in "..." too.
enum class SplitPart : uint8_t { kFirst, kMiddle, kLast };
const char* EventKindName(EventKind k);

enum class NoticeKind : uint8_t { kNonDelivery, kDelay, kSuccess, kPostmaster };
// kCanceled and kDiscarded: cleanup removed a message it did not queue
// (Postfix 3.10+, "QID: removed (canceled)" / "removed (discarded)").
enum class AdminAction : uint8_t { kRequeued, kHold, kReleased, kCanceled, kDiscarded };

struct Event {
  EventKind kind = EventKind::kUnparsable;
  TimeUs time = 0;
  int month = 0;  // 1..12 for yearless envelopes (year roll-over), 0 when the line had a year
  uint32_t pid = 0;
  std::string_view host;     // syslog host
  std::string_view program;  // full syslog tag without pid, e.g. "postfix/submission/smtpd"
  std::string_view daemon;   // last component: "smtpd"
  std::string_view message;  // text after "prog[pid]: "
  std::string_view qid;      // empty when none or NOQUEUE

  // Client, as smtpd logged it at a fixed position (never searched for).
  std::string_view client_host, client_ip;
  std::string_view client_port;  // postscreen only: one connection of a client
  // kClient extras.
  std::string_view orig_queue_id, orig_client_host, orig_client_ip, sasl_method, sasl_username;

  // kSmtpdAction / kHeader.
  std::string_view
      action;  // reject, reject_warning, hold, discard, filter, milter-reject, info, ...
  std::string_view stage;  // CONNECT HELO MAIL RCPT DATA END-OF-MESSAGE (or "header"/"body")
  int code = 0;            // SMTP reply code, 0 if none
  std::string_view dsn;    // enhanced status code "5.1.1" (also deliveries)
  std::string_view text;   // reply text / header value / status text
  std::string_view header_name;
  std::string_view reply;                  // kHeader: the reply text after the trailer (reject)
  std::string_view from, to, proto, helo;  // trailer fields (from = envelope sender)
  bool has_from = false;
  // Postfix cut the line at 2000 bytes (MSG_SYSLOG_RECLEN): what is read from
  // its right (the trailer above) may be a sender's forgery, and is not kept.
  bool cut = false;
  // ...and the trailer, which names the sender, went with it (a header,
  // smtpd action or proxy-accept line): the record's sender is not what the
  // line said (MessageRecord::sender_cut).
  bool trailer_cut = false;

  // kQueued / kPickup / kExpired.
  int64_t size = -1;
  int nrcpt = -1;
  std::string_view uid;

  // kDelivery.
  std::string_view orig_to, relay, status, delays, tls;
  double delay = -1;
  int conn_use = 0;
  std::string_view next_qid;  // "queued as" / "forwarded as" / notice / amavis queued_as

  // kNotice / kAdmin.
  NoticeKind notice = NoticeKind::kNonDelivery;
  AdminAction admin = AdminAction::kRequeued;

  // kScan (amavis).
  std::string_view verdict;     // "Passed CLEAN", "Blocked SPAM", ...
  std::string_view recipients;  // "<a@b>,<c@d>"
  std::string_view message_id;  // also kMessageId (without < >)
  std::string_view task;        // amavis's "PID-N", which its SMTP replies repeat as "id=PID-N"
  // "queued_as: A/B/C": amavis passed the message on in more than one
  // transaction (recipients whose copies differ); next_qid is A, this "B/C",
  // every one a queue id.
  std::string_view more_next_qids;
  // kAmavisPart: `text` is the part without amavis's "..." marks. The line
  // its parts make again (ParseJoinedAmavis) says kLast.
  SplitPart split = SplitPart::kFirst;
  double hits = 0;
  bool has_hits = false;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_PARSERS_EVENT_H_
