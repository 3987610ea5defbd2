// MessageTracker's replays of a log in parts: a queue id first met on a line
// that does not begin a message goes on from the record an earlier replay
// stored (TrackerOptions::resume; docs/install.md, "Replaying logs in
// parts").
#include "agent/track/tracker.h"
#include "agent/track/tracker_internal.h"

namespace mailtrail {

using track_internal::Capped;

MessageTracker::ResumeRule MessageTracker::ResumeRuleOf(EventKind kind) {
  switch (kind) {
    case EventKind::kClient:
    case EventKind::kPickup:
    case EventKind::kProxyAccept:
      return ResumeRule::kNever;
    case EventKind::kMessageId:
    case EventKind::kHeader:
    case EventKind::kSmtpdAction:
      return ResumeRule::kEarly;
    default:
      return ResumeRule::kAny;
  }
}

// Close() writes an open held message without recipients with a "hold"
// reject: how it is shown, not what the tracker knows. A resumed record goes
// on without it (helper-84: a message released the next day kept it). Its
// recipients' `held` stays: the tracker sets that itself at a HOLD action.
void MessageTracker::UndoHeldForWriting(MessageRecord* r) {
  if (r->reject == kHoldReject) r->reject.reset();
}

// The record goes on as the tracker would have left it had it read the
// earlier log too: begun, queued once qmgr named it, held. Its key is the one this log gives (the
// line's host); its first_seen is the stored one, so that the store replaces the record it holds
// (HeldActionFor) instead of adding a second piece. A record whose log went on past this line is
// this log read again: its lines up to its last are not applied twice (one left open at its log's
// end may meet lines of its last second that it never saw: those are).
MessageTracker::Open* MessageTracker::FindOrResume(const Event& ev, ResumeRule rule) {
  if (Open* o = Find(ev)) return o;
  if (rule == ResumeRule::kNever ||
      (rule == ResumeRule::kEarly && ev.time - first_time_ > kResumeEarly))
    return nullptr;
  const std::string_view host = options_.host.empty() ? ev.host : options_.host;
  std::optional<MessageRecord> held = options_.resume(host, ev.qid, ev.time);
  if (!held || held->qid != ev.qid) return nullptr;
  // cleanup logs a message's Message-ID once: held, this log reads the
  // message again from its first line (a notice's, which has no client=),
  // and its record of its own has the stored one's key.
  if (ev.kind == EventKind::kMessageId && held->message_id &&
      *held->message_id == Capped(ev.message_id))
    return nullptr;
  // Only `open` is left open by its log: `session` is a message whose
  // session ended before it was queued, over for good (its queue id may be
  // a new message's, helper-84).
  const bool left_open = held->end == RecordEnd::kOpen;
  const TimeUs last_second = held->last_seen / kUsPerSecond * kUsPerSecond;
  Open* o = FindOrCreate(ev);
  o->rec = std::move(*held);
  o->rec.host = std::string(ev.host);
  o->rec.is_update = false;
  o->started = true;
  o->queued = o->rec.nrcpt >= 0;
  o->held = o->rec.outcome == Outcome::kHeld;
  if (o->held) UndoHeldForWriting(&o->rec);
  o->skip_before = left_open ? last_second : last_second + kUsPerSecond;
  // One that ended is removed, with no close due: its "removed" line is
  // among those skipped, and closed after the grace it would be met again
  // by its next line and emitted twice. It stays open until the end of the
  // replay, or until a line that begins a message takes its queue id
  // (FindOrBegin, StartRecord: a forwarded copy joined it, helper-84).
  o->removed = o->rec.end == RecordEnd::kRemoved;
  return o;
}

}  // namespace mailtrail
