// MessageTracker, smtpd sessions: connections, NOQUEUE transactions, and the
// HOLD/DISCARD actions that smtpd logs before the message they apply to.
#include <memory>
#include <utility>

#include "agent/track/session_counters.h"
#include "agent/track/tracker.h"
#include "agent/track/tracker_internal.h"
#include "base/ip_address.h"

namespace mailtrail {

namespace track_internal {
// qmgr activates no message on hold, and never sees a discarded one. One
// still held when qmgr activates it (not released by postsuper) was never
// held, and one marked discarded was not: the HOLD or DISCARD smtpd logged in
// its session was another transaction's (the client reset it after its
// recipient was refused; a DISCARD's stayed on the delivered message,
// helper-118 F6). Its recipients, never this message's, go; this message's
// own get their delivery lines.
void DropAnotherTransactionsAction(MessageRecord* r, bool held) {
  if (!r->reject) return;
  const bool hold = held && IsHoldAction(r->reject->action);
  if (!hold && !IsDiscardAction(r->reject->action)) return;
  const Outcome theirs = hold ? Outcome::kHeld : Outcome::kDiscarded;
  r->reject.reset();
  std::erase_if(r->recipients, [theirs](const RecipientRecord& rc) {
    return rc.outcome == theirs && rc.attempts == 0;
  });
}
}  // namespace track_internal

using track_internal::Address;
using track_internal::Capped;
using track_internal::kMaxBeforeClient;
using track_internal::kMaxEventsPerRecord;
using track_internal::kMaxRecipients;

SessionKey MessageTracker::SessionKeyOf(const Event& ev) {
  SessionKey key{host_id_, ev.pid, 0};
  // postscreen is one process for all clients: its sessions are per connection,
  // the client's address and port (a client that comes back is a new session).
  if (ev.daemon == "postscreen") {
    const std::hash<std::string_view> h;
    key.client = (h(ev.client_ip) * 1000003 ^ h(ev.client_port)) | 1;
  }
  return key;
}

MessageTracker::Session* MessageTracker::SessionFor(const Event& ev, bool create) {
  const SessionKey key = SessionKeyOf(ev);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    if (!create) return nullptr;
    it = sessions_.try_emplace(key).first;
  }
  it->second.last_seen = ev.time;
  return &it->second;
}

void MessageTracker::OnConnect(const Event& ev) {
  auto it = sessions_.find(SessionKeyOf(ev));
  if (it != sessions_.end()) {  // the previous session's disconnect never came
    EndSession(&it->second, ev.time);
    sessions_.erase(it);
  }
  Session* s = SessionFor(ev, true);
  s->client_host = Capped(ev.client_host);
  if (IpAddress::Parse(ev.client_ip)) s->client_ip = std::string(ev.client_ip);
}

void MessageTracker::OnFrontClient(const Event& ev) {
  Session* s = SessionFor(ev, true);
  if (IpAddress::Parse(ev.client_ip)) {
    s->client_host = Capped(ev.client_host);
    s->client_ip = std::string(ev.client_ip);
  }
  s->sasl_username = Capped(ev.sasl_username);
}

// Behind a before-queue filter (smtpd_proxy_filter) the smtpd that queues a
// message has the filter for its client; the front smtpd's session has the
// real one, and its proxy-accept line names the message the filter queued
// (docs/record.md). XFORWARD's orig_client= is not taken instead: anything
// that reaches a listener trusting XFORWARD could choose it (helper-66).
// Only a message received from a loopback address (the filter) and no leg of
// another takes it, once: its client is no longer loopback after.
MessageTracker::Open* MessageTracker::OnProxyAccept(const Event& ev) {
  auto s = sessions_.find(SessionKeyOf(ev));
  if (s == sessions_.end() || s->second.client_ip.empty()) return nullptr;
  Open* o = Find(KeyOf(ev, ev.next_qid));
  if (o == nullptr) return nullptr;
  MessageRecord& r = o->rec;
  const auto from = IpAddress::Parse(r.client_ip);
  if (!r.has_client || !from || !from->IsLoopback() || !r.parent_qid.empty()) return nullptr;
  o->joined = true;
  r.client_ip = s->second.client_ip;
  r.client_host = s->second.client_host;
  // The client's HELO (none if it sent none), when the trailer was read.
  if (!ev.proto.empty()) r.helo = Capped(ev.helo);
  // A logged-in user's mail: never counted against its IP (the detector).
  if (!s->second.sasl_username.empty()) r.sasl_username = s->second.sasl_username;
  return o;
}

// On a host with a before-queue filter (it logged proxy-accept), a message
// the smtpd behind the filter received (from loopback, no leg of another)
// may learn its real client after "removed": the front smtpd logs
// proxy-accept when the filter replies, and a quick delivery or a slow
// filter comes first (helper-70). Live, such a record is written when its
// grace ends, not at "removed": the detector sees a record once, and would
// have counted the filter's address (helper-71). Elsewhere, and for a host's
// first proxied message, nothing waits.
bool MessageTracker::MayAwaitItsClient(const Open& o) const {
  if (host_id_ >= proxied_hosts_.size() || !proxied_hosts_[host_id_]) return false;
  const MessageRecord& r = o.rec;
  if (o.joined || !r.has_client || !r.parent_qid.empty()) return false;
  const auto ip = IpAddress::Parse(r.client_ip);
  return ip && ip->IsLoopback();
}

namespace {
// Rejects of recipients alone (RCPT): a refused MAIL or VRFY is no recipient
// of the transaction a later RCPT opens the queue file for (helper-112).
bool RefusedRecipientsOnly(const MessageRecord& r) {
  if (!r.reject || r.reject->stage != "RCPT" || r.recipients.empty()) return false;
  for (const auto& rc : r.recipients)
    if (rc.outcome != Outcome::kRejected) return false;
  return true;
}

// Its content was refused (header/body_checks, a milter, smtpd at DATA or
// its end): no qmgr line will come.
bool ContentRefused(const MessageRecord& r) {
  if (!r.reject || IsHoldAction(r.reject->action) || IsDiscardAction(r.reject->action))
    return false;
  const std::string& st = r.reject->stage;
  return st == "DATA" || st == "END-OF-MESSAGE" || st == "BDAT" || st == "header" || st == "body";
}

// Discarded after its DATA was accepted (header_checks, an access or milter
// DISCARD): no qmgr line will come.
bool Discarded(const MessageRecord& r) {
  if (r.reject && IsDiscardAction(r.reject->action)) return true;
  for (const auto& rc : r.recipients)
    if (rc.outcome == Outcome::kDiscarded) return true;
  return false;
}

// Discarded by header/body_checks or at the end of DATA: its DATA succeeded
// (smtpd answers 250), though cleanup may log no message-id= for it (a
// header DISCARD before the Message-ID header). Not a DISCARD at RCPT: its
// transaction may have been reset before DATA.
bool DiscardedAfterData(const MessageRecord& r) {
  if (!r.reject || !IsDiscardAction(r.reject->action)) return false;
  const std::string& st = r.reject->stage;
  return st == "header" || st == "body" || st == "DATA" || st == "END-OF-MESSAGE";
}
}  // namespace

void MessageTracker::OnSessionEnd(const Event& ev) {
  auto it = sessions_.find(SessionKeyOf(ev));
  if (it == sessions_.end()) return;
  EndSession(&it->second, ev.time, ev.text);
  sessions_.erase(it);
}

void MessageTracker::EndSession(Session* s, TimeUs now, std::string_view counters_text) {
  const SessionCounters counters = ReadCounters(counters_text);
  // When every MAIL transaction of the session queued a message, the NOQUEUE
  // rejects before a message's client= line were its own recipients,
  // refused before the first it accepted (smtpd opens the queue file then):
  // one record with them, as when they follow it ("QID: reject: RCPT").
  // Else they may be a transaction of their own (a flood's RSET and MAIL
  // again), and stay one record (helper-111).
  const bool one_message_each = counters.mail == static_cast<int64_t>(s->record_keys.size());
  for (auto& b : s->before_client) {
    Open* o = one_message_each && RefusedRecipientsOnly(*b.rejects) ? Find(b.message) : nullptr;
    // Not when qmgr named another sender, nor from another client (lines
    // no single smtpd writes: forged, or two logs' pids): another
    // transaction's.
    if (o != nullptr &&
        ((o->rec.sender && b.rejects->sender && *o->rec.sender != *b.rejects->sender) ||
         o->rec.client_ip != b.rejects->client_ip))
      o = nullptr;
    if (o != nullptr) {
      TakeRejectsBefore(std::move(*b.rejects), o);
    } else {
      Emit(std::move(*b.rejects), RecordEnd::kSession);
    }
  }
  s->before_client.clear();
  FlushNoqueue(s, RecordEnd::kSession);
  // Messages of this session that never reach qmgr (header rejects, discards,
  // aborted DATA) end with it — after the grace period, because cleanup and
  // qmgr lines may still follow the disconnect. One whose DATA was accepted
  // (cleanup read its content: it logs message-id=, "<>" when there is none)
  // and not discarded is in the incoming queue, also with a recipient refused
  // ("QID: reject: RCPT"): qmgr's lines will come, however late (a backlog),
  // and the stale sweep is the bound. A transaction abandoned before DATA
  // (RSET) has no message-id= line; a refusal at DATA shows in the counters.
  // A session whose DATA did not all succeed ("data=1/2": a header REJECT or
  // a pipelined message without valid recipients beside an accepted one):
  // its messages cleanup read and did not refuse were accepted when they are
  // no more than the DATA that succeeded; none was when none did ("data=0/1":
  // a lost connection). BDAT counts chunks, not messages: it cannot say.
  const int64_t data_ok = counters.data;
  auto candidate = [](const Open& o) {
    return o.rec.message_id && !Discarded(o.rec) && !ContentRefused(o.rec);
  };
  // The DATA that succeeded less the messages qmgr already took; unknown when one
  // of the session's messages has closed (its DATA may have failed: a lost message
  // beside a queued one was taken as accepted, and stayed open 6 days, helper-112).
  int64_t candidates = 0, queued = 0, kept = 0;
  bool closed = false;
  s->record_keys.ForEach([&](const RecordKey& k) {
    auto it = records_.find(k);
    if (it == records_.end()) {
      closed = true;
    } else if (it->second.queued) {
      ++queued;
    } else {
      candidates += candidate(it->second) ? 1 : 0;
      const MessageRecord& r = it->second.rec;
      kept += (r.message_id || DiscardedAfterData(r)) && !ContentRefused(r) ? 1 : 0;
    }
  });
  // Each DATA succeeded and is a message seen (not so with a failed one, helper-146 F1).
  const bool seen_all = data_ok == 0 || (counters.all_data && !closed && queued + kept >= data_ok);
  const int64_t data_left = data_ok < 0 || closed || queued > data_ok ? -1 : data_ok - queued;
  s->record_keys.ForEach([&](const RecordKey& k) {
    auto it = records_.find(k);
    if (it == records_.end() || it->second.queued) return;
    const MessageRecord& r = it->second.rec;
    // A HOLD of a transaction that sent no DATA (a callout, or one reset beside
    // a message sent) queued nothing: it ends with the session (helper-141 A-1, -144 L1).
    if (seen_all && !r.message_id && !it->second.accepted && it->second.held) {
      it->second.held = false;
      Touch(it->first, &it->second);
    }
    const bool read = r.message_id && !Discarded(r);
    if ((counters.all_data && read) ||
        (data_left > 0 && candidates <= data_left && candidate(it->second))) {
      it->second.accepted = true;
      Touch(it->first, &it->second);  // saved with the next checkpoint
      return;
    }
    // Its content read and not refused, where the counters cannot say it was
    // accepted (BDAT, more candidates than DATA that succeeded, no counters):
    // qmgr's lines may come late, so it waits as a deleted message's delivery
    // may before it ends with the session (not the grace: two records, helper-111).
    const bool maybe_queued = data_left != 0 && candidate(it->second);
    Schedule({now + (maybe_queued ? kDeliveryAfterDelete : options_.grace), k,
              it->second.generation, true},
             maybe_queued);
  });
}

void MessageTracker::OnNotQueued(const Event& ev, Open* o) {
  // cleanup removed the queue file it was writing: no qmgr line will come,
  // and a message from the maildrop has no session whose end would close it.
  // Closed as an unqueued message of a session is, after the grace period.
  o->held = false;
  MessageRecord& r = o->rec;
  if (ev.admin == AdminAction::kDiscarded && !Discarded(r))
    r.reject = RejectInfo{"discard", "", 0, "", "removed (discarded)"};
  Schedule({now_ + options_.grace, KeyOf(ev, ev.qid), o->generation, true});
}

void MessageTracker::TakeRejectsBefore(MessageRecord&& rejects, Open* o) {
  MessageRecord& r = o->rec;
  if (!r.reject) r.reject = std::move(rejects.reject);
  if (r.helo.empty()) r.helo = std::move(rejects.helo);
  if (!r.sender) r.sender = std::move(rejects.sender);  // until qmgr names it
  const size_t room = kMaxRecipients - std::min(kMaxRecipients, r.recipients.size());
  if (rejects.recipients.size() > room) rejects.recipients.resize(room);
  r.recipients.insert(r.recipients.begin(), std::make_move_iterator(rejects.recipients.begin()),
                      std::make_move_iterator(rejects.recipients.end()));
  r.last_seen = std::max(r.last_seen, rejects.last_seen);
  Changed(o);
}

void MessageTracker::FlushNoqueue(Session* s, RecordEnd end) {
  if (!s->noqueue) return;
  Emit(std::move(*s->noqueue), end);
  s->noqueue.reset();
}

MessageTracker::Open* MessageTracker::OnClient(const Event& ev) {
  Open* o = StartRecord(ev);
  MessageRecord& r = o->rec;
  r.has_client = true;
  // The connection's own client, also when XFORWARD names another
  // (orig_client=): an after-queue filter's leg, whose first leg has the
  // client (with or without orig_queue_id: a filter that sends no IDENT is
  // linked by "queued as"), or anything that can reach a listener trusting
  // XFORWARD. A before-queue filter's messages therefore show the filter
  // (docs/record.md).
  r.client_host = Capped(ev.client_host);
  if (IpAddress::Parse(ev.client_ip)) r.client_ip = std::string(ev.client_ip);
  if (!ev.sasl_username.empty()) r.sasl_username = Capped(ev.sasl_username);
  if (!ev.orig_queue_id.empty()) {
    o->ident = std::string(ev.orig_queue_id);
    const std::string_view file = ByIdent(ev, ev.orig_queue_id);
    // This leg's parent, and the parent's child (when open).
    Link(ev, file.empty() ? ev.orig_queue_id : file, ev.qid, /*by_ident=*/true);
  }
  Session* s = SessionFor(ev, true);
  if (s->record_keys.size() < kMaxRecipients) s->record_keys.push_back(KeyOf(ev, ev.qid));
  // The NOQUEUE rejects before it: its own refused recipients or another
  // transaction's, which the session's end tells (EndSession).
  if (s->noqueue && s->before_client.size() < kMaxBeforeClient)
    s->before_client.push_back({KeyOf(ev, ev.qid), std::move(s->noqueue)});
  FlushNoqueue(s, RecordEnd::kSession);
  for (const auto& a : s->actions) {
    if (IsHoldAction(a.action)) o->held = true;
    if (!r.sender) r.sender = a.sender;
    if (!r.reject) r.reject = RejectInfo{a.action, a.stage, a.code, a.dsn, a.text};
    if (a.action == "redirect" || a.action == "filter") continue;  // see OnSmtpdAction
    if (!a.rcpt.empty() && r.recipients.size() < kMaxRecipients) {
      RecipientRecord rc;
      rc.address = a.rcpt;
      rc.outcome = IsHoldAction(a.action) ? Outcome::kHeld : Outcome::kDiscarded;
      rc.status_text = a.text;
      rc.time = ev.time;
      r.recipients.push_back(std::move(rc));
    }
  }
  s->actions.clear();
  return o;
}

void MessageTracker::OnSmtpdAction(const Event& ev) {
  // Informational only: WARN, INFO, BCC (the copy's recipient has delivery
  // lines of its own) and a reject_warning leave the message as it was.
  if (ev.action == "reject_warning" || ev.action == "warn" || ev.action == "info" ||
      ev.action == "bcc")
    return;
  const bool holds = IsHoldAction(ev.action), discards = IsDiscardAction(ev.action);
  // REDIRECT and FILTER send the recipient elsewhere: its delivery lines say
  // where (orig_to= names it), it was neither discarded nor held.
  const bool sends_elsewhere = ev.action == "filter" || ev.action == "redirect";
  const bool accepted_anyway = holds || discards || sends_elsewhere;
  if (ev.qid.empty()) {
    Session* s = SessionFor(ev, true);
    if (accepted_anyway) {
      // check_client_access HOLD/DISCARD: logged as NOQUEUE, yet the message is
      // queued; the next client= of this session is that message.
      if (s->actions.size() < 64)
        s->actions.push_back({std::string(ev.action), Address(ev.to), Capped(ev.text),
                              std::string(ev.dsn), std::string(ev.stage), Address(ev.from),
                              ev.code});
      return;
    }
    // "HOLD means deliver later. But we may still change our mind"
    // (smtpd_check.c): a HOLD or DISCARD stays on the transaction, but a
    // recipient refused after it is none of the message's.
    if (!ev.to.empty())
      for (auto& a : s->actions)
        if (a.rcpt == Address(ev.to)) a.rcpt.clear();
    if (s->noqueue && s->noqueue->sender != Address(ev.from)) FlushNoqueue(s, RecordEnd::kSession);
    if (!s->noqueue) {
      auto r = std::make_unique<MessageRecord>();
      r->host = std::string(ev.host);
      r->first_seen = ev.time;
      r->has_client = true;
      r->client_host = Capped(ev.client_host);
      if (IpAddress::Parse(ev.client_ip)) r->client_ip = std::string(ev.client_ip);
      r->helo = Capped(ev.helo);
      if (ev.has_from) r->sender = Address(ev.from);
      r->reject = RejectInfo{std::string(ev.action), std::string(ev.stage), ev.code,
                             std::string(ev.dsn), Capped(ev.text)};
      s->noqueue = std::move(r);
    }
    MessageRecord& r = *s->noqueue;
    r.last_seen = ev.time;
    if (!ev.to.empty() && r.recipients.size() < kMaxRecipients) {
      RecipientRecord rc;
      rc.address = Address(ev.to);
      rc.outcome = Outcome::kRejected;
      rc.dsn = std::string(ev.dsn);
      rc.status_text = Capped(ev.text);
      rc.time = ev.time;
      r.recipients.push_back(std::move(rc));
    }
    if (options_.keep_events && r.events.size() < kMaxEventsPerRecord)
      r.events.push_back({ev.time, std::string(ev.program), Capped(ev.message)});
    return;
  }
  // A VRFY refused inside a transaction asks about an address: it is no
  // recipient of the message (helper-154 F3: a client could add refused
  // recipients to its own message's record, and make it "mixed").
  if (ev.stage == "VRFY") return;
  // "QID: reject: RCPT ..." after an accepted recipient, or a milter action.
  Open* o = FindOrCreate(ev);
  MessageRecord& r = o->rec;
  if (r.helo.empty()) r.helo = Capped(ev.helo);
  // Until qmgr names it (docs/security.md rule 1): a milter-reject at
  // END-OF-MESSAGE never reaches qmgr, and its sender must be searchable.
  if (!r.sender && ev.has_from) r.sender = Address(ev.from);
  if (!r.reject)
    r.reject = RejectInfo{std::string(ev.action), std::string(ev.stage), ev.code,
                          std::string(ev.dsn), Capped(ev.text)};
  if (holds) o->held = true;
  if (ev.to.empty() || sends_elsewhere) return;
  const Outcome outcome =
      holds ? Outcome::kHeld : (discards ? Outcome::kDiscarded : Outcome::kRejected);
  // A recipient an action held or discarded, then refused: refused.
  for (auto& rc : r.recipients)
    if (rc.address == Address(ev.to) && rc.attempts == 0) {
      if (!accepted_anyway) rc.outcome = outcome;
      return;
    }
  if (r.recipients.size() < kMaxRecipients) {
    RecipientRecord rc;
    rc.address = Address(ev.to);
    rc.outcome = outcome;
    rc.dsn = std::string(ev.dsn);
    rc.status_text = Capped(ev.text);
    rc.time = ev.time;
    r.recipients.push_back(std::move(rc));
  }
}

}  // namespace mailtrail
