// MessageTracker: the per-message side (see tracker_session.cc for smtpd sessions).
#include "agent/track/tracker.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "agent/track/tracker_internal.h"
#include "base/ip_address.h"
#include "base/text.h"
#include "parsers/line_parser.h"
#include "parsers/scan.h"

namespace mailtrail {

namespace {

using track_internal::Address;
using track_internal::AddUnique;
using track_internal::Capped;
using track_internal::DeletedFromTheQueue;
using track_internal::DropAnotherTransactionsAction;
using track_internal::kMaxEventsPerRecord;
using track_internal::kMaxRecipients;
using track_internal::kSessionIdle;
using track_internal::kSweepEvery;
using track_internal::RequeuedAs;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

}  // namespace

MessageTracker::MessageTracker(TrackerOptions options, RecordSink* sink)
    : options_(options), sink_(sink) {}

MessageTracker::~MessageTracker() = default;

void MessageTracker::Process(const Event& ev) {
  if (IsAmavis(ev.daemon) && !AdmitAmavisRecord(ev)) return;
  switch (ev.kind) {
    case EventKind::kUnparsable:
    case EventKind::kForeign:
    case EventKind::kUnknown:
    case EventKind::kNoise:
      return;
    case EventKind::kAmavisPart:
      OnAmavisPart(ev);
      return;
    default:
      break;
  }
  host_id_ = hosts_.Id(ev.host);
  if (first_time_ == 0) first_time_ = ev.time;
  if (ev.time > now_) now_ = ev.time;
  if (host_id_ >= host_now_.size()) host_now_.resize(host_id_ + 1, 0);
  host_now_[host_id_] = std::max(host_now_[host_id_], ev.time);
  if (AnyDue(now_)) RunDue(now_);
  if (now_ - last_sweep_ >= kSweepEvery) SweepStale(now_);
  if (options_.resume && !ev.qid.empty()) {
    const Open* o = FindOrResume(ev, ResumeRuleOf(ev.kind));
    if (o != nullptr && ev.time < o->skip_before) return;  // its stored record holds the line
  }

  Open* o = nullptr;
  switch (ev.kind) {
    case EventKind::kConnect:
      if (ev.daemon == "smtpd") OnConnect(ev);
      return;
    case EventKind::kDisconnect:
      OnSessionEnd(ev);
      return;
    case EventKind::kLostConnection:
      return;  // the disconnect line that follows ends the session
    case EventKind::kClient:
      if (ev.qid.empty()) {  // a before-queue filter's front smtpd
        OnFrontClient(ev);
        return;
      }
      o = OnClient(ev);
      break;
    case EventKind::kProxyAccept:
      if (host_id_ >= proxied_hosts_.size()) proxied_hosts_.resize(host_id_ + 1);
      proxied_hosts_[host_id_] = true;
      o = OnProxyAccept(ev);
      break;
    case EventKind::kSmtpdAction:
      OnSmtpdAction(ev);
      if (!ev.qid.empty()) o = Find(ev);
      break;
    case EventKind::kPickup:
      o = StartRecord(ev);
      o->accepted = true;
      if (ev.has_from) o->rec.sender = Address(ev.from);
      // postsuper -r: the old id's queue file is gone into this one (pickup
      // logs no "removed" for it). It ends, linked to what it became.
      if (!ev.orig_queue_id.empty()) {
        Link(ev, ev.orig_queue_id, ev.qid);
        const RecordKey old_key = KeyOf(ev, ev.orig_queue_id);
        Open* old = Find(old_key);
        o->ident =
            old != nullptr && !old->ident.empty() ? old->ident : std::string(ev.orig_queue_id);
        o->requeued_file = true;
        RememberRequeuedFile(o->ident, KeyOf(ev, ev.qid));
        if (old != nullptr && !old->removed) {
          RequeuedAs(&old->rec, ev.qid);
          old->requeued_as = std::string(ev.qid);
          old->held = false;
          Changed(old);
          old->removed = true;
          Schedule({now_ + options_.grace, old_key, old->generation, false});
        }
      }
      break;
    case EventKind::kMessageId:
      o = FindOrBegin(ev);
      if (!o->rec.message_id) o->rec.message_id = Capped(ev.message_id);
      break;
    case EventKind::kHeader:
      o = FindOrBegin(ev);
      if (!o->rec.client_ip.empty() && ev.client_ip != o->rec.client_ip) {
        // The split the parser took names another client than smtpd's: the
        // HELO imitated a trailer. Read the line again for the real client.
        Event again = ev;
        if (ReparseHeaderFor(o->rec.client_ip, &again)) {
          OnHeader(again, o);
          break;
        }
      }
      OnHeader(ev, o);
      break;
    case EventKind::kQueued:
      o = FindOrBegin(ev);
      o->queued = true;
      DropAnotherTransactionsAction(&o->rec, o->held);
      o->held = false;
      // qmgr owns the envelope sender: a header line's trailer may have been
      // imitated by the client (docs/security.md rule 1).
      if (ev.has_from) o->rec.sender = Address(ev.from);
      if (o->rec.size < 0) o->rec.size = ev.size;
      if (o->rec.nrcpt < 0) {
        o->rec.nrcpt = ev.nrcpt;
        o->rec.recipients.reserve(static_cast<size_t>(std::clamp(ev.nrcpt, 0, 64)));
      }
      break;
    case EventKind::kRemoved: {
      o = Find(ev);
      if (o == nullptr) return;  // e.g. postsuper on a message we never saw
      // `postsuper -d` of a message qmgr had: a delivery may be running, and
      // its agent finishes from its open file (helper-92: a filter's 25 s).
      const bool deleted = ev.daemon == "postsuper";
      if (deleted) DeletedFromTheQueue(&o->rec);
      o->deleted = deleted;
      o->removed = true;
      const bool wait_long = deleted && o->queued;
      Schedule({now_ + (wait_long ? kDeliveryAfterDelete : options_.grace), KeyOf(ev, ev.qid),
                o->generation, false},
               wait_long);
      break;
    }
    case EventKind::kExpired:
      o = FindOrCreate(ev);
      for (auto& rc : o->rec.recipients)
        if (rc.outcome == Outcome::kDeferred || rc.outcome == Outcome::kInFlight)
          rc.outcome = Outcome::kExpired;
      break;
    case EventKind::kDelivery:
      o = FindOrCreate(ev);
      OnDelivery(ev, o);
      if (ev.daemon == "cleanup") BouncedByCleanup(ev, o);
      break;
    case EventKind::kNotice:
      o = FindOrCreate(ev);
      OnNotice(ev, o);
      break;
    case EventKind::kAdmin:
      if (ev.admin == AdminAction::kCanceled || ev.admin == AdminAction::kDiscarded) {
        o = Find(ev);
        if (o == nullptr || o->queued) return;  // never seen, or a reused id's old line
        OnNotQueued(ev, o);
        break;
      }
      o = FindOrCreate(ev);
      if (ev.admin == AdminAction::kHold) o->held = o->accepted = true;
      if (ev.admin == AdminAction::kReleased) o->held = false;
      break;
    case EventKind::kScan:
      if (!ev.qid.empty()) {
        // A requeued file's pass through amavis names its first queue id.
        const std::string_view file = ByIdent(ev, ev.qid);
        if (file.empty()) {  // one of several: placed by the delivery it names
          o = OnScanWithoutQueueId(ev);
          break;
        }
        if (file != ev.qid) {
          if (Open* requeued = Find(KeyOf(ev, file)); requeued != nullptr) {
            Event mine = ev;
            mine.qid = file;
            o = requeued;
            OnScan(mine, o);
            break;
          }
        }
      }
      // amavis's Queue-ID is XFORWARD IDENT: after `postsuper -r`, the
      // message's first queue id, closed long ago. A scan of a queue id not
      // open that names the leg it passed on (queued_as:) is placed as one
      // without a Queue-ID is, by that leg or the delivery to amavis whose
      // reply names it, not made a record of its own.
      o = ev.qid.empty() ? nullptr : Find(ev);
      if (o == nullptr && (ev.qid.empty() || !ev.next_qid.empty())) {
        o = OnScanWithoutQueueId(ev);
        break;
      }
      if (o == nullptr) o = FindOrCreate(ev);
      OnScan(ev, o);
      break;
    default:
      return;
  }
  if (o == nullptr) return;
  Changed(o);
  // Its trailer, which named the sender, was cut away (line_parser.cc).
  if (ev.trailer_cut) o->rec.sender_cut = true;
  o->rec.last_seen = std::max(o->rec.last_seen, ev.time);
  if (options_.keep_events && o->rec.events.size() < kMaxEventsPerRecord)
    o->rec.events.push_back({ev.time, std::string(ev.program), Capped(ev.message)});
  if (ev.kind == EventKind::kRemoved && options_.emit_at_removed && !MayAwaitItsClient(*o)) {
    // Live: written now (queryable at once), again only if a late line changes it.
    MessageRecord copy = o->rec;
    copy.is_update = o->emitted;
    Emit(std::move(copy), RecordEnd::kRemoved);
    o->emitted = true;
    o->changed = false;
  }
}

// Every change to an open record goes through Find() or FindOrCreate(), so
// both note the record as touched: a lookup that changes nothing costs only a
// record saved again.
MessageTracker::Open* MessageTracker::Find(const RecordKey& key) {
  auto it = records_.find(key);
  if (it == records_.end()) return nullptr;
  Touch(it->first, &it->second);
  return &it->second;
}

void MessageTracker::Touch(const RecordKey& key, Open* o) {
  if (!note_changes_ || o->touched) return;
  o->touched = true;
  touched_.push_back(key);
}

MessageTracker::Open* MessageTracker::FindOrCreate(const Event& ev) {
  if (records_.size() >= options_.max_open && Find(ev) == nullptr) SweepStale(now_);
  auto [it, inserted] = records_.try_emplace(KeyOf(ev, ev.qid));
  if (!inserted) {
    Touch(it->first, &it->second);
    return &it->second;
  }
  Open* o = &it->second;
  Touch(it->first, o);
  o->generation = next_generation_++;
  o->rec.host = std::string(ev.host);
  o->rec.qid = std::string(ev.qid);
  o->rec.first_seen = o->rec.last_seen = ev.time;
  return o;
}

MessageTracker::Open* MessageTracker::FindOrBegin(const Event& ev) {
  const RecordKey key = KeyOf(ev, ev.qid);
  auto it = records_.find(key);
  if (it != records_.end() && !it->second.removed) {
    Touch(it->first, &it->second);
    return &it->second;
  }
  if (it != records_.end()) {
    // Postfix gave the queue id of a removed message to a new one within the
    // grace period (docs/postfix-logs.md trap 3): only lines that can come late
    // (deliveries, notices, scans) still join the old record.
    Close(key, RecordEnd::kRemoved);
  }
  return FindOrCreate(ev);
}

MessageTracker::Open* MessageTracker::StartRecord(const Event& ev) {
  if (Open* old = Find(ev)) {
    if (!old->started && !old->removed) {
      old->started = true;  // earlier lines of this message arrived first
      return old;
    }
    // Queue id reuse (docs/postfix-logs.md trap 3): the old message is over.
    Close(KeyOf(ev, ev.qid), old->removed ? RecordEnd::kRemoved : RecordEnd::kStale);
  }
  Open* o = FindOrCreate(ev);
  o->started = true;
  return o;
}

namespace {
// A Message-ID logged by a check (docs/postfix.md): nested_header_checks see the
// headers of a returned message/rfc822 part, body_checks the lines of a
// text/rfc822-headers part. What a bounce answers (agent/detect/outbound.h).
void KeepReturnedMessageId(const Event& ev, MessageRecord* r) {
  std::string_view id;
  if (ev.stage == "header" && IEquals(ev.header_name, "message-id")) {
    id = ev.text;
  } else if (ev.stage == "body" && ev.text.size() > 11 &&
             IEquals(ev.text.substr(0, 11), "message-id:")) {
    id = ev.text.substr(11);
  }
  // A fold or a tab is logged masked as '?' ("Message-ID:? <id>": Outlook's
  // long ids). Kept, the id answered nothing (helper-114, postfix-logs.md).
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '?'; };
  while (!id.empty() && blank(id.front())) id.remove_prefix(1);
  while (!id.empty() && blank(id.back())) id.remove_suffix(1);
  id = scan::Unbracket(id);
  if (id.empty() || r->returned_message_ids.size() >= 4) return;
  r->returned_message_ids.push_back(Capped(id));
}
}  // namespace

void MessageTracker::OnHeader(const Event& ev, Open* o) {
  MessageRecord& r = o->rec;
  if (r.helo.empty() && !ev.helo.empty()) r.helo = Capped(ev.helo);
  // The trailer's envelope sender: the only one for messages that never reach qmgr.
  if (!r.sender && ev.has_from) r.sender = Address(ev.from);
  if (ev.stage == "header") {
    // The first Subject/From line is the message's own; later ones come from
    // attached messages (nested_header_checks).
    if (!r.subject && IEquals(ev.header_name, "subject")) r.subject = Capped(ev.text);
    if (!r.header_from && IEquals(ev.header_name, "from")) r.header_from = Capped(ev.text);
  }
  KeepReturnedMessageId(ev, &r);
  Outcome outcome;
  if (ev.action == "reject") {
    outcome = Outcome::kRejected;
  } else if (ev.action == "discard") {
    outcome = Outcome::kDiscarded;
  } else if (ev.action == "hold") {
    outcome = Outcome::kHeld;
    o->held = true;
  } else {
    return;  // info, warning, redirect, filter, replace, ...
  }
  if (!r.reject)
    r.reject = RejectInfo{std::string(ev.action), std::string(ev.stage), ev.code,
                          std::string(ev.dsn), Capped(ev.reply)};
  if (ev.to.empty()) return;
  const std::string to = Address(ev.to);
  for (const auto& rc : r.recipients)
    if (rc.address == to) return;
  RecipientRecord rc;
  rc.address = to;
  rc.outcome = outcome;
  rc.dsn = std::string(ev.dsn);
  rc.status_text = Capped(ev.reply);
  rc.time = ev.time;
  r.recipients.push_back(std::move(rc));
}

bool MessageTracker::FillOpen(std::string_view qid,
                              const std::function<bool(MessageRecord*)>& fill) {
  if (qid.empty() || qid.size() > kMaxQueueIdLength) return false;
  bool found = false;
  for (uint32_t host = 0; host < hosts_.size(); ++host) {
    auto it = records_.find(RecordKey{host, qid});
    if (it == records_.end()) continue;
    found = true;
    if (fill(&it->second.rec)) {
      Touch(it->first, &it->second);
      Changed(&it->second);
    }
  }
  return found;
}

void MessageTracker::RememberRequeuedFile(const std::string& ident, const RecordKey& file) {
  if (auto& files = requeued_ident_[RecordKey(file.host, ident)]; files.size() < 16)
    AddUnique(&files, std::string_view(file.qid, file.len));
}

void MessageTracker::ForgetRequeuedFile(const RecordKey& key, const Open& o) {
  if (!o.requeued_file || o.ident.empty() || requeued_ident_.empty()) return;
  auto alias = requeued_ident_.find(RecordKey(key.host, o.ident));
  if (alias == requeued_ident_.end()) return;
  std::erase(alias->second, o.rec.qid);
  if (alias->second.empty()) requeued_ident_.erase(alias);
}

void MessageTracker::Changed(Open* o) {
  if (o->emitted) o->changed = true;
}

std::string_view MessageTracker::ByIdent(const Event& ev, std::string_view ident) const {
  if (requeued_ident_.empty()) return ident;
  auto it = requeued_ident_.find(KeyOf(ev, ident));
  if (it == requeued_ident_.end() || it->second.empty()) return ident;
  // Two files of one message requeued together: which one, only the
  // delivery to the filter says (helper-101).
  if (it->second.size() > 1) return {};
  // The first file itself while a recipient of it has no result yet: an
  // attempt begun before the requeue still runs, and its filter's pass is
  // its own (helper-92's l1: requeued during a 25 s scan).
  auto first = records_.find(KeyOf(ev, ident));
  if (first != records_.end() && first->second.rec.nrcpt > 0 &&
      first->second.rec.recipients.size() < static_cast<size_t>(first->second.rec.nrcpt))
    return ident;
  return it->second.front();
}

void MessageTracker::Close(const RecordKey& key, RecordEnd end) {
  auto it = records_.find(key);
  if (it == records_.end()) return;
  // Out of the map first (the node, not a copy of the record): `key` may be
  // the node's own.
  auto node = records_.extract(it);
  Open& o = node.mapped();
  ForgetRequeuedFile(node.key(), o);
  if (note_changes_) closed_.push_back(node.key());
  if (o.emitted && !o.changed) return;  // written at removal, as it still is
  o.rec.is_update = o.emitted;
  if (o.held && end == RecordEnd::kOpen) {
    for (auto& rc : o.rec.recipients)
      if (rc.outcome == Outcome::kInFlight) rc.outcome = Outcome::kHeld;
    if (o.rec.recipients.empty() && !o.rec.reject) o.rec.reject = kHoldReject;
  }
  Emit(std::move(o.rec), end);
}

void MessageTracker::Emit(MessageRecord&& r, RecordEnd end) {
  r.end = end;
  r.outcome = ComputeOutcome(r);
  if (!options_.host.empty()) r.host = options_.host;
  sink_->OnRecord(std::move(r));
}

}  // namespace mailtrail
