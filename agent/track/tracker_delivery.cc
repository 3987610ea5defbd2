// MessageTracker, a delivery attempt: the recipient's outcome, and the leg
// a "queued as" reply may name (see tracker.cc for the rest of a message).
#include <string_view>

#include "agent/track/relay.h"
#include "agent/track/tracker.h"
#include "agent/track/tracker_internal.h"

namespace mailtrail {

namespace {

using track_internal::Address;
using track_internal::AssignCapped;
using track_internal::DeletedFromTheQueue;
using track_internal::kMaxRecipients;
using track_internal::RequeuedAs;
using track_internal::SameAddress;

// What a content filter's 250 reply says it did with the recipient, by
// amavisd-new's own words from the reply's start: "250 2.7.0 Ok, discarded,
// id=..." (dropped), "250 2.5.0 Ok, id=..., BOUNCE" (its D_BOUNCE destiny: it
// returned the mail itself) and "..., DISCARD(bounce.suppressed)" (returned
// nothing). Elsewhere these words are the other side's text (an LMTP server
// echoing a recipient's quoted local part, an outside MX's answer of its
// choice): a delivery.
Outcome FilterVerdict(std::string_view text, std::string_view relay) {
  if (text.size() < 9 || text.substr(0, 6) != "250 2.") return Outcome::kDelivered;
  const std::string_view rest = text.substr(9);
  constexpr std::string_view kDiscarded = " Ok, discarded, id=";
  constexpr std::string_view kOkId = " Ok, id=";
  Outcome said = Outcome::kDelivered;
  if (rest.size() > kDiscarded.size() && rest.substr(0, kDiscarded.size()) == kDiscarded) {
    said = Outcome::kDiscarded;
  } else if (rest.substr(0, kOkId.size()) == kOkId) {
    // The id holds no ',' or space; the verdict follows it, and ends the reply.
    const size_t comma = rest.find(", ", kOkId.size());
    const std::string_view id = rest.substr(kOkId.size(), comma - kOkId.size());
    if (comma != rest.npos && !id.empty() && id.find_first_of(", ") == id.npos) {
      const std::string_view verdict = rest.substr(comma + 2);
      if (verdict == "BOUNCE") said = Outcome::kBounced;
      if (verdict.substr(0, 8) == "DISCARD(" && verdict.back() == ')') said = Outcome::kDiscarded;
    }
  }
  // Not a mailbox server over LMTP (port 24), which a filter's port test
  // takes in (helper-99).
  if (said == Outcome::kDelivered) return Outcome::kDelivered;  // most deliveries: no relay to read
  const Relay to = ParseRelay(relay);
  if (!to.IsContentFilter() || to.IsLmtp()) return Outcome::kDelivered;
  return said;
}

Outcome DeliveryOutcome(std::string_view status, std::string_view text, std::string_view relay) {
  if (status == "sent") return FilterVerdict(text, relay);
  // soft_bounce = yes: a recipient that would have bounced stays queued
  // (bounce.c logs "SOFTBOUNCE" for it), as a deferral does.
  if (status == "deferred" || status == "SOFTBOUNCE") return Outcome::kDeferred;
  if (status == "bounced") return Outcome::kBounced;
  if (status == "expired") return Outcome::kExpired;
  // An address verification's answer (sent.c, bounce.c, defer.c log these
  // for probes and `sendmail -bv`): nothing delivered, nothing returned.
  if (status == "deliverable") return Outcome::kDeliverable;
  if (status == "undeliverable") return Outcome::kUndeliverable;
  return Outcome::kInFlight;
}

}  // namespace

namespace track_internal {

namespace {
// What still waited in `r` (deferred, held, not tried) ends as `to`, its text
// "`what` while deferred: <the reason it waited>"; `relay`, when given,
// replaces where it went (and its DSN, which was the wait's).
void EndWaiting(MessageRecord* r, Outcome to, const std::string& what,
                std::string_view relay = {}) {
  for (auto& rc : r->recipients) {
    if (rc.outcome != Outcome::kDeferred && rc.outcome != Outcome::kHeld &&
        rc.outcome != Outcome::kInFlight)
      continue;
    const std::string was = what + " while " + OutcomeName(rc.outcome) +
                            (rc.status_text.empty() ? "" : ": " + rc.status_text);
    rc.outcome = to;
    rc.status_text = Capped(was);
    if (!relay.empty()) {
      rc.relay = std::string(relay);
      rc.dsn.clear();
    }
  }
}
}  // namespace

// `postsuper -d`: the admin deleted the message (qmgr removes one only when
// every recipient is done). What still waited is never delivered nor
// returned: discarded, with the reason it waited.
void DeletedFromTheQueue(MessageRecord* r) {
  EndWaiting(r, Outcome::kDiscarded, "deleted from the queue (postsuper -d)");
}

// `postsuper -r`: the queue file went back through pickup as `new_qid`. What
// still waited there was handed on, as a content filter's recipient is to its
// next leg: "delivered" by this file, its end on the new one
// (docs/record.md). Why it waited is kept.
void RequeuedAs(MessageRecord* r, std::string_view new_qid) {
  EndWaiting(r, Outcome::kDelivered, "requeued as " + std::string(new_qid) + " (postsuper -r)",
             kRequeueRelay);
}

}  // namespace track_internal

void MessageTracker::OnDelivery(const Event& ev, Open* o) {
  MessageRecord& r = o->rec;
  // Compared in place, made only for a new recipient: most deliveries are a
  // recipient's first (the last match wins, as before).
  RecipientRecord* rc = nullptr;
  for (auto& x : r.recipients)
    if (SameAddress(x.address, ev.to) && SameAddress(x.orig_address, ev.orig_to)) rc = &x;
  // A recipient a HOLD named (smtpd or cleanup logged it before qmgr), now
  // delivered through an alias (orig_to= names it): that delivery is its.
  if (rc == nullptr && !ev.orig_to.empty())
    for (auto& x : r.recipients)
      if (x.outcome == Outcome::kHeld && x.attempts == 0 && x.orig_address.empty() &&
          SameAddress(x.address, ev.orig_to)) {
        rc = &x;
        rc->address = Address(ev.to);
        rc->orig_address = Address(ev.orig_to);
        break;
      }
  if (rc == nullptr) {
    if (r.recipients.size() >= kMaxRecipients) return;
    r.recipients.emplace_back();
    rc = &r.recipients.back();
    rc->address = Address(ev.to);
    if (!ev.orig_to.empty()) rc->orig_address = Address(ev.orig_to);
  }
  rc->outcome = DeliveryOutcome(ev.status, ev.text, ev.relay);
  rc->dsn.assign(ev.dsn);
  AssignCapped(&rc->relay, ev.relay);
  AssignCapped(&rc->status_text, ev.text);
  rc->delay = ev.delay;
  rc->attempts += 1;
  rc->time = ev.time;
  if (!o->requeued_as.empty()) RequeuedAs(&r, o->requeued_as);
  if (o->deleted) DeletedFromTheQueue(&r);
  sink_->OnDelivery(r, static_cast<size_t>(rc - r.recipients.data()));
  // "queued as X" is also what a remote MTA answers, and X may be a queue id
  // open here by chance (or by a hostile MX's choice): link only to a leg this
  // host logged before this line that came back from where this delivery went
  // (a content filter's re-injection, a .forward copy).
  if (!ev.next_qid.empty()) {
    auto child = records_.find(KeyOf(ev, ev.next_qid));
    if (child != records_.end() && IsReturningLeg(ev, r, child->second.rec)) {
      Open& leg = child->second;
      if (leg.parent_by_ident && leg.rec.parent_qid != ev.qid) {
        // IDENT named the message's first queue id: this delivery made the leg.
        if (Open* first = Find(KeyOf(ev, leg.rec.parent_qid)); first != nullptr) {
          std::erase(first->rec.child_qids, ev.next_qid);
          Changed(first);
        }
        leg.rec.parent_qid.clear();
      }
      leg.parent_by_ident = false;
      Link(ev, ev.qid, ev.next_qid);
    }
  }
  if (!orphan_scans_.empty()) AdoptScans(ev, o);
}

}  // namespace mailtrail
