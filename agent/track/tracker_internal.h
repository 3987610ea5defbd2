// Internal to agent/track: the tracker's per-message and per-session state and
// the small helpers its two source files share. Not part of the interface.
#ifndef MAILTRAIL_AGENT_TRACK_TRACKER_INTERNAL_H_
#define MAILTRAIL_AGENT_TRACK_TRACKER_INTERNAL_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/track/tracker.h"
#include "base/text.h"

namespace mailtrail {
namespace track_internal {

inline constexpr TimeUs kSweepEvery = 60 * kUsPerSecond;
inline constexpr TimeUs kSessionIdle = 3600 * kUsPerSecond;
inline constexpr size_t kMaxRecipients = 10000;  // per record: bounded memory on hostile input
// NOQUEUE rejects kept per session for the message after them (Session::before_client).
inline constexpr size_t kMaxBeforeClient = 64;
inline constexpr size_t kMaxEventsPerRecord = 1000;

inline std::string Capped(std::string_view s) { return CapField(s); }
// Addresses compare without case: lower-cased before the cap, so the same
// long address in two cases keeps one hash.
inline std::string Address(std::string_view s) {
  if (s.size() <= kMaxFieldBytes) return AsciiLower(s);
  return CapField(AsciiLower(s));
}

// `*dst = Capped(s)` reusing `*dst`'s buffer: a deferred recipient's relay and
// status text are set again at every attempt.
inline void AssignCapped(std::string* dst, std::string_view s) {
  if (s.size() <= kMaxFieldBytes)
    dst->assign(s);
  else
    *dst = CapField(s);
}
// Whether `lower` (an address as the record keeps it) is `s` as Address() would
// keep it, without making that string.
inline bool SameAddress(const std::string& lower, std::string_view s) {
  if (s.size() > kMaxFieldBytes) return lower == Address(s);
  if (lower.size() != s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    if (c != lower[i]) return false;
  }
  return true;
}

inline void AddUnique(std::vector<std::string>* v, std::string_view s) {
  for (const auto& x : *v)
    if (x == s) return;
  v->emplace_back(s);
}

// `postsuper -d` deleted `r` while recipients waited (tracker_delivery.cc).
void DeletedFromTheQueue(MessageRecord* r);
// `postsuper -r` (pickup's orig_id=): what waited went on as `new_qid`.
void RequeuedAs(MessageRecord* r, std::string_view new_qid);
// qmgr activated `r` (held: it was on hold): a HOLD or DISCARD smtpd logged
// in its session was another transaction's (tracker_session.cc).
void DropAnotherTransactionsAction(MessageRecord* r, bool held);

}  // namespace track_internal

struct MessageTracker::Open {
  MessageRecord rec;
  uint64_t generation = 0;
  bool started = false;  // saw client= or uid=
  bool queued = false;   // reached qmgr: survives the end of its smtpd session
  bool held = false;
  // Postfix took it into its queue without qmgr's line yet: its DATA was
  // accepted (the disconnect's counters), pickup or postsuper named it. Held
  // mail so taken waits for its release without going stale (SweepStale).
  bool accepted = false;
  bool removed = false;
  bool emitted = false;  // emitted at removal (emit_at_removed), still open for late lines
  bool changed = false;  // changed since it was emitted
  bool touched = false;  // in touched_: may have changed since the last save
  // Took a before-queue filter's front client (OnProxyAccept). Not saved: a
  // restart only makes such a record wait its grace (MayAwaitItsClient).
  bool joined = false;
  // parent_qid came from XFORWARD IDENT (smtpd's orig_queue_id=, amavis's
  // Queue-ID): the message's first queue id, which after `postsuper -r` is
  // not the leg the filter was given. A delivery whose reply names this leg
  // ("queued as") is its parent instead.
  bool parent_by_ident = false;
  // The XFORWARD IDENT Postfix sends for this file (its log_ident): a leg's
  // orig_queue_id=, a requeued file's old one's; empty: its own queue id.
  std::string ident;
  // Made by `postsuper -r` (pickup's orig_id=): in requeued_ident_ under
  // `ident`, rebuilt from this when a state is loaded.
  bool requeued_file = false;
  // `postsuper -r` made this queue file NEW (pickup's orig_id=): an attempt
  // still running ends after, and what it leaves waiting went on there too.
  std::string requeued_as;
  // `postsuper -d` deleted it: what an attempt still running leaves waiting
  // is never retried (discarded).
  bool deleted = false;
  // These five are saved since 2026-12-06 (helper-101: a restart between a
  // requeue or a delete and the lines after it split or misplaced records).
  // Resumed from a stored record (TrackerOptions::resume): lines before this
  // time are in it already (the same log read again), and are not applied
  // twice. 0: none.
  TimeUs skip_before = 0;
};

struct MessageTracker::Session {
  // The messages started in this session. Most sessions carry one or two, so a
  // few live inline and only busy sessions allocate.
  struct Keys {
    static constexpr size_t kInline = 4;
    std::array<RecordKey, kInline> inline_keys;
    std::vector<RecordKey> more;
    size_t n = 0;
    void push_back(const RecordKey& k) {
      if (n < kInline)
        inline_keys[n] = k;
      else
        more.push_back(k);
      ++n;
    }
    size_t size() const { return n; }
    template <typename Fn>
    void ForEach(Fn fn) const {
      for (size_t i = 0; i < n && i < kInline; ++i) fn(inline_keys[i]);
      for (const auto& k : more) fn(k);
    }
  };
  Keys record_keys;
  std::unique_ptr<MessageRecord> noqueue;  // the current NOQUEUE transaction
  // The NOQUEUE rejects logged before a message's client= line: that
  // message's own recipients (smtpd opens the queue file at the first RCPT
  // it accepts) or an earlier transaction's; the session's end tells
  // (EndSession).
  struct BeforeClient {
    RecordKey message;
    std::unique_ptr<MessageRecord> rejects;
  };
  std::vector<BeforeClient> before_client;
  struct Action {  // hold/discard: applies to the next client=
    std::string action, rcpt, text, dsn, stage, sender;
    int code = 0;
  };
  std::vector<Action> actions;
  TimeUs last_seen = 0;
  // Its connect line's client: the real one of a before-queue filter's
  // messages, which the smtpd behind the filter logs as from the filter
  // (OnProxyAccept).
  std::string client_host, client_ip;
  // Its login, from a before-queue filter's front smtpd's "NOQUEUE:
  // client=..., sasl_username=" line (not from proxy-accept, whose HELO the
  // client writes).
  std::string sasl_username;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_TRACKER_INTERNAL_H_
