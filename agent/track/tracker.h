// MessageTracker: joins parsed Events into MessageRecords (docs/architecture.md).
//
// Joins by (host, queue id); NOQUEUE actions by smtpd session (host, pid); links
// content-filter and .forward legs and NDRs; closes a record at "removed" after a
// grace period for late lines, at the end of its smtpd session when it was never
// queued, or when it goes stale. Time is the log's own time (the events'), so the
// tracker is deterministic and needs no clock.
//
// Threading: single-threaded; owned by the reading loop. Memory: bounded by
// `max_open` records and sessions; beyond that the oldest are closed as stale.
// SECURITY: the client IP of a record comes only from smtpd's `client=` field or a
// reject line's fixed "from HOST[IP]:" position, never from header text.
#ifndef MAILTRAIL_AGENT_TRACK_TRACKER_H_
#define MAILTRAIL_AGENT_TRACK_TRACKER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/track/amavis_parts.h"
#include "agent/track/amavis_tasks.h"
#include "agent/track/keys.h"
#include "agent/track/record.h"
#include "base/status.h"
#include "parsers/event.h"

namespace mailtrail {

// Receives closed records, in closing order.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void OnRecord(MessageRecord&& record) = 0;
  // A delivery attempt of recipient `open.recipients[recipient]`, just
  // recorded, on a message that is still open (it closes later, through
  // OnRecord). For what must be known before a message closes: notices that
  // answer mail we relayed arrive while its other recipients still wait
  // (docs/detection.md, "Answers to our own mail").
  virtual void OnDelivery(const MessageRecord& /*open*/, size_t /*recipient*/) {}
};

struct TrackerOptions {
  TimeUs grace = 10 * kUsPerSecond;                 // late lines after "removed"/session end
  TimeUs stale_after = 6LL * 86400 * kUsPerSecond;  // > maximal_queue_lifetime (5d)
  size_t max_open = 1'000'000;                      // open records (and sessions)
  bool keep_events = false;                         // "full" detail: every line of a message
  // Live mode: emit a record as soon as its message is removed (queryable at
  // once), and again, as an update, if a late line changes it within the grace
  // period; a message that may learn its client late waits for its grace
  // (MayAwaitItsClient). Off for replays, which write each record once.
  bool emit_at_removed = false;
  // Not empty: the host of every record (`--host`), for a log whose syslog host
  // field is not the name wanted. Lines are still joined by their own field.
  std::string host;
  // Replays: the record an earlier replay stored of a message whose
  // beginning is not in this log (a log cut inside the message, read as two
  // runs), to go on with instead of a record of its own (docs/install.md,
  // "Replaying logs in parts"). Asked for a queue id first met on a line
  // that does not begin a message (never for smtpd's client= or pickup's
  // line; ResumeRuleOf), with the record's host (`host` when set) and the
  // line's time; none: the message's record starts at this line.
  std::function<std::optional<MessageRecord>(std::string_view host, std::string_view qid,
                                             TimeUs time)>
      resume;
};

class MessageTracker {
 public:
  MessageTracker(TrackerOptions options, RecordSink* sink);
  ~MessageTracker();
  MessageTracker(const MessageTracker&) = delete;
  MessageTracker& operator=(const MessageTracker&) = delete;

  // Feeds one event, in log order. Events of kinds that carry nothing are ignored.
  void Process(const Event& ev);

  // Lets log time pass without a line (a quiet live log): records whose grace
  // or session has run out by `log_now` are closed. Never moves time back.
  void Tick(TimeUs log_now);
  // The newest log time seen (or ticked to).
  TimeUs now() const { return now_; }

  // Closes every open record and session (end of a replay): records still
  // waiting (deferred, held) are emitted with end = kOpen.
  void FlushAll();

  // The open state (messages, smtpd sessions, timers), to resume exactly after a
  // restart: LoadState() on a fresh tracker, before any Process().
  std::string SaveState() const;
  [[nodiscard]] Status LoadState(std::string_view bytes);

  // For the live agent's checkpoints. Once a state was saved or loaded, the
  // tracker notes which messages change or close. SaveChanges() then says only
  // those (and the sessions and timers, always whole): a large deferred queue
  // is not written again with every checkpoint. MarkSaved() makes a state just
  // saved whole the base of the next changes. To restore: LoadState() of the
  // whole state, then ApplyChanges() of each later change set, in order.
  void MarkSaved();
  std::string SaveChanges();
  [[nodiscard]] Status ApplyChanges(std::string_view bytes);

  // Lets `fill` change the open record(s) of `qid` (on any host), e.g. with
  // what its queue file said; a record it changes is saved with the next
  // checkpoint. False when no record of `qid` is open.
  bool FillOpen(std::string_view qid, const std::function<bool(MessageRecord*)>& fill);

  size_t open_records() const { return records_.size(); }
  size_t open_sessions() const { return sessions_.size(); }
  // Lines amavis split (AmavisParts): lines joined again (and of those, lines
  // the amavis parser refused), and parts not read (of a line that lost a
  // part, went over the bounds, or was still short of one at FlushAll). For
  // `stats`.
  int64_t amavis_lines_joined() const { return amavis_parts_.joined(); }
  int64_t amavis_joined_unknown() const { return amavis_joined_unknown_; }
  int64_t amavis_parts_lost() const { return amavis_parts_.dropped(); }
  // amavis records shaped as a main line after their task's main line: not
  // scans (AmavisTasks).
  int64_t amavis_scans_refused() const { return amavis_tasks_.refused(); }

 private:
  struct Open;
  struct Session;
  struct Pending {
    TimeUs due;
    RecordKey key;
    uint64_t generation;
    bool session_end;  // true: close only if never queued; false: after "removed"
  };

  // Keys of the event being processed: its host was interned once, in Process().
  RecordKey KeyOf(const Event& /*ev*/, std::string_view qid) const { return {host_id_, qid}; }
  Open* Find(const RecordKey& key);
  // Notes that the open record `o` (of `key`) may change.
  void Touch(const RecordKey& key, Open* o);
  // Writes the whole state or, given `changed`, a change set with only those
  // messages (and the closed ones).
  void WriteState(std::string* out, const std::vector<const Open*>* changed) const;
  struct ParsedState;  // tracker_state.cc
  static Status ParseState(std::string_view bytes, ParsedState* out);
  void Apply(ParsedState&& p);
  Open* Find(const Event& ev) { return Find(KeyOf(ev, ev.qid)); }
  Open* FindOrCreate(const Event& ev);
  // Which lines of a queue id not open yet go on from the record
  // TrackerOptions::resume gives: none for a line that begins a message;
  // early ones only within kResumeEarly of the first line read (cleanup's,
  // smtpd's, bounce's naming its notice: they follow a message's beginning
  // within seconds, so later they begin one; asking the store for every
  // notice of a log cost a lookup each); any other line whenever (a
  // deferred message is retried for days).
  enum class ResumeRule { kNever, kEarly, kAny };
  static constexpr TimeUs kResumeEarly = 10 * 60 * kUsPerSecond;
  static ResumeRule ResumeRuleOf(EventKind kind);
  // The open record of `ev`'s queue id, or one made from the stored record
  // TrackerOptions::resume gives when `rule` allows; nullptr when neither.
  Open* FindOrResume(const Event& ev, ResumeRule rule);
  static void UndoHeldForWriting(MessageRecord* r);
  // What Close() writes as the reject of a held message without recipients.
  static inline const RejectInfo kHoldReject{"hold", "queue", 0, "", "held in the hold queue"};
  // For lines that only ever begin a message (cleanup, qmgr's "from="): a
  // removed record of the same queue id is over.
  Open* FindOrBegin(const Event& ev);
  // smtpd's client= and pickup: a message's first line.
  Open* StartRecord(const Event& ev);
  SessionKey SessionKeyOf(const Event& ev);
  Session* SessionFor(const Event& ev, bool create);
  // `data_accepted`: the disconnect line says every DATA (or BDAT) of the
  // session was accepted, so its messages without a refusal are queued.
  // `counters`: its disconnect line's ("ehlo=1 mail=1 rcpt=2/3 ..."), if any.
  void EndSession(Session* s, TimeUs now, std::string_view counters_text = {});
  // The NOQUEUE rejects before a message's client= line, its own (EndSession).
  void TakeRejectsBefore(MessageRecord&& rejects, Open* o);
  void FlushNoqueue(Session* s, RecordEnd end);
  void Close(const RecordKey& key, RecordEnd end);
  void Emit(MessageRecord&& r, RecordEnd end);
  void RunDue(TimeUs now);
  // Adds a timer: to pending_ (now + grace), or to waits_after_delete_ (now +
  // kDeliveryAfterDelete). Each stays in order of due by itself, as the clock
  // only moves on; a timer of one inserted among the other's was quadratic
  // after `postsuper -d ALL` (helper-100).
  void Schedule(Pending p, bool after_delete = false);
  // A cleanup status line (maildrop mail it bounced itself): the end.
  void BouncedByCleanup(const Event& ev, Open* o);
  // Whether a timer is due at `now`.
  bool AnyDue(TimeUs now) const {
    return (!pending_.empty() && pending_.front().due <= now) ||
           (!waits_after_delete_.empty() && waits_after_delete_.front().due <= now);
  }
  // How long a message `postsuper -d` deleted while qmgr had it waits for the
  // end of a delivery already running (smtp_data_done_timeout is 600 s).
  static constexpr TimeUs kDeliveryAfterDelete = 600 * kUsPerSecond;
  void SweepStale(TimeUs now);
  // `by_ident`: the parent is named by XFORWARD IDENT (Open::parent_by_ident).
  void Link(const Event& ev, std::string_view parent, std::string_view child,
            bool by_ident = false);
  // A record already emitted changed: it will be emitted again when it closes.
  static void Changed(Open* o);

  void OnConnect(const Event& ev);
  void OnSessionEnd(const Event& ev);
  // A before-queue filter's front smtpd handed on a message: its session's
  // client becomes the message's (the filter's, until then).
  Open* OnProxyAccept(const Event& ev);
  // Its "NOQUEUE: client=" line: the session's client and login.
  void OnFrontClient(const Event& ev);
  // Whether `r`, of the host being processed, is written when its grace ends
  // rather than at "removed" in live mode (tracker.cc).
  bool MayAwaitItsClient(const Open& o) const;
  // cleanup's "removed (canceled|discarded)": `o` was never queued.
  void OnNotQueued(const Event& ev, Open* o);
  Open* OnClient(const Event& ev);  // the message's record
  void OnSmtpdAction(const Event& ev);
  void OnHeader(const Event& ev, Open* o);
  void OnDelivery(const Event& ev, Open* o);
  void OnNotice(const Event& ev, Open* o);
  void OnScan(const Event& ev, Open* o);
  // Whether an amavis record may be used (AmavisTasks), after it ended a
  // line AmavisParts held for its process if it is not one of its parts.
  bool AdmitAmavisRecord(const Event& ev);
  // A part of a line amavis split: the whole line, once joined, is processed.
  void OnAmavisPart(const Event& ev);
  Open* OnScanWithoutQueueId(const Event& ev);
  void AdoptScans(const Event& ev, Open* o);
  static bool IsReturningLeg(const Event& ev, const MessageRecord& parent,
                             const MessageRecord& child);

  TrackerOptions options_;
  RecordSink* sink_;
  HostTable hosts_;
  uint32_t host_id_ = 0;  // hosts_.Id() of the event being processed
  // Held in the maps' nodes, one allocation each (not a node and a unique_ptr:
  // issue 23's profile); a node never moves, so Open* and Session* stay valid.
  std::unordered_map<RecordKey, Open, RecordKeyHash> records_;
  AmavisParts amavis_parts_;  // lines amavis split, joined again
  AmavisTasks amavis_tasks_;  // which record of an amavis task is its scan
  int64_t amavis_joined_unknown_ = 0;
  std::unordered_map<SessionKey, Session, SessionKeyHash> sessions_;
  // The latest line of each host (by host id), and Tick's clock: what makes a
  // host's records stale. Not saved: a restart starts each at its next line
  // (or Tick); a host with no clock yet has nothing stale.
  std::vector<TimeUs> host_now_;
  TimeUs HostNow(uint32_t host) const { return host < host_now_.size() ? host_now_[host] : 0; }
  std::deque<Pending> pending_;
  std::deque<Pending> waits_after_delete_;
  struct OrphanScan {  // an amavis result without a Queue-ID, see OnScanWithoutQueueId
    uint32_t host;
    std::string queued_as, message_id, task_reply;
    ScanResult scan;
    TimeUs time;
  };
  std::deque<OrphanScan> orphan_scans_;
  // (host, XFORWARD IDENT) -> the queue id of the file `postsuper -r` made last
  // with that IDENT: a requeued file keeps smtpd's log_ident, so its content
  // filter's leg (orig_queue_id=) and amavis's Queue-ID name the message's
  // first queue id, long closed. Dropped when that file's record closes; not
  // saved (a restart between the requeue and the filter's pass falls back to
  // the reply's "queued as", Open::parent_by_ident).
  std::unordered_map<RecordKey, std::vector<std::string>, RecordKeyHash> requeued_ident_;
  // The queue id IDENT `ident` stands for now: the requeued file, or itself;
  // empty when several requeued files share it.
  std::string_view ByIdent(const Event& ev, std::string_view ident) const;
  // requeued_ident_'s entries of a requeued file, added and removed.
  void RememberRequeuedFile(const std::string& ident, const RecordKey& file);
  void ForgetRequeuedFile(const RecordKey& key, const Open& o);
  static bool InTheHoldQueue(const Open& o);
  std::vector<bool> proxied_hosts_;  // by host id: logged proxy-accept
  TimeUs now_ = 0;
  TimeUs first_time_ = 0;  // of the first line read (ResumeRule::kEarly)
  TimeUs last_sweep_ = 0;
  uint64_t next_generation_ = 1;
  // Since the last save: messages that may have changed, and those closed.
  // Noted only once a state was saved or loaded (never in a replay).
  bool note_changes_ = false;
  std::vector<RecordKey> touched_;
  std::vector<RecordKey> closed_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_TRACKER_H_
