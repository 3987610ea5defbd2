// MessageRecord: one message's compact tracking record (the contract is
// docs/record.md). Plain data, owned by whoever holds it.
#ifndef MAILTRAIL_AGENT_TRACK_RECORD_H_
#define MAILTRAIL_AGENT_TRACK_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/civil_time.h"

namespace mailtrail {

enum class Outcome : uint8_t {
  kInFlight,
  kDelivered,
  kBounced,
  kDeferred,
  kExpired,
  kRejected,
  kDiscarded,
  kHeld,
  kMixed,
  // Address verification (verify(8)'s probes, `sendmail -bv`): nothing was
  // delivered or returned, the answer is only known. Appended: stores keep codes.
  kDeliverable,
  kUndeliverable,
};
constexpr int kOutcomeCount = static_cast<int>(Outcome::kUndeliverable) + 1;
const char* OutcomeName(Outcome o);
// The names of every outcome, in the order choices list them (`search
// --outcome`, the web console's filter): the usual ones first.
std::vector<std::string> OutcomeNamesShown();
std::optional<Outcome> OutcomeFromName(std::string_view name);

// Why a record was closed.
enum class RecordEnd : uint8_t {
  kRemoved,  // qmgr/postsuper "removed" (the normal end)
  kSession,  // a NOQUEUE transaction or an unqueued message whose smtpd session ended
  kStale,    // no line for too long: expired by the tracker
  kOpen,     // still open when a replay ended (deferred, held, in flight)
};
constexpr int kRecordEndCount = static_cast<int>(RecordEnd::kOpen) + 1;
const char* RecordEndName(RecordEnd e);

struct RecipientRecord {
  std::string address;
  std::string orig_address;  // empty: none
  Outcome outcome = Outcome::kInFlight;
  std::string dsn, relay, status_text;
  double delay = -1;  // < 0: unknown
  int attempts = 0;
  TimeUs time = 0;
  bool operator==(const RecipientRecord&) const = default;
};

struct RejectInfo {
  std::string action;  // reject, hold, discard, milter-reject, ...
  std::string stage;   // RCPT, DATA, END-OF-MESSAGE, header, body, ...
  int code = 0;
  std::string dsn, text;
  bool operator==(const RejectInfo&) const = default;
};

// The actions after which the message is queued anyway: on hold, or accepted
// and thrown away (smtpd_check.c's HOLD/DISCARD, smtpd.c's and
// cleanup_milter.c's milter replies 'H' and 'D').
inline bool IsHoldAction(std::string_view action) {
  return action == "hold" || action == "milter-hold";
}
inline bool IsDiscardAction(std::string_view action) {
  return action == "discard" || action == "milter-discard";
}

struct ScanResult {
  std::string scanner;  // "amavis"
  std::string verdict;  // "CLEAN", "SPAM", ...
  std::string action;   // "Passed", "Blocked"
  double score = 0;
  bool has_score = false;
  bool operator==(const ScanResult&) const = default;
};

// One line of the message's life, kept at the "full" detail level.
struct RecordEvent {
  TimeUs time = 0;
  std::string program;
  std::string text;
  bool operator==(const RecordEvent&) const = default;
};

// Its fields are described once, in agent/track/record_fields.h: a field added
// here is added there.
struct MessageRecord {
  std::string host;
  std::string qid;  // empty: rejected before queueing (NOQUEUE)
  std::optional<std::string> message_id;
  TimeUs first_seen = 0, last_seen = 0;
  bool has_client = false;
  std::string client_ip, client_host, helo;
  std::string sasl_username;
  std::optional<std::string> sender;
  std::optional<std::string> subject;
  std::optional<std::string> header_from;
  int64_t size = -1;
  int nrcpt = -1;
  Outcome outcome = Outcome::kInFlight;
  RecordEnd end = RecordEnd::kOpen;
  std::vector<RecipientRecord> recipients;
  std::optional<RejectInfo> reject;
  std::vector<ScanResult> scans;
  std::string parent_qid;
  std::vector<std::string> child_qids;
  std::string ndr_qid, ndr_of;
  std::vector<std::string> notice_qids;  // delay / success notices about this message
  std::vector<RecordEvent> events;       // full detail only
  // Not part of the record: true when this replaces a record emitted before
  // (same host, qid and first_seen), see TrackerOptions::emit_at_removed.
  bool is_update = false;
  // Not part of the record either: its queue file said Content-Type
  // multipart/report; report-type=delivery-status (agent/queue), a DSN.
  bool dsn_report = false;
  // Not part of the record either: a line of it that named its sender in a
  // trailer was cut by Postfix (Event::cut), so its sender may be unknown for
  // that reason: no header makes it a notice (ClassifyBounce, helper-120).
  bool sender_cut = false;
  // Not part of the record either: Message-IDs logged by a header or body check
  // (nested_header_checks `/^Message-ID:/ INFO` on a returned message,
  // body_checks on returned headers; the message's own too if header_checks logs
  // it): what a bounce answers (agent/detect/outbound.h). At most 4.
  std::vector<std::string> returned_message_ids;
  bool operator==(const MessageRecord&) const = default;
};

// The longest value a record keeps of one field (address, subject, status
// text, ...): bounded memory and rows on hostile input.
constexpr size_t kMaxFieldBytes = 1000;
// `s` as a record keeps it: whole when it fits, else its first bytes (cut at a
// UTF-8 boundary), "~h" and 16 hex digits of a hash of the whole value, so two
// long values that differ only after the cut stay two values.
std::string CapField(std::string_view s);

// The relay a recipient gets when `postsuper -r` hands it to the message's
// next queue file (tracker_delivery.cc).
inline constexpr std::string_view kRequeueRelay = "requeue";
// Whether `rc` went on to a next leg of `r`: requeued, or delivered to a
// content filter whose reply names one of r's child legs ("queued as").
// "Delivered" by this queue file, its end on that leg: the report counts it
// there, once (docs/reporting.md). A .forward's hop ("forwarded as") is not
// one: counted as pflogsumm's "forwarded".
bool HandedToNextLeg(const MessageRecord& r, const RecipientRecord& rc);
// Whether `rc` alone says it may have gone on (HandedToNextLeg without the
// message's legs): its status text is then kept at standard detail, where the
// report reads it (KeepsStatusText, agent/store/record_columns.h).
bool MayHaveGoneOn(const RecipientRecord& rc);

// The message outcome from its recipients (docs/record.md): their common outcome,
// `mixed` when they differ, `in_flight` while any is open.
Outcome ComputeOutcome(const MessageRecord& r);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_RECORD_H_
