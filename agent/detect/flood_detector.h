// FloodDetector: watches the bounces among received messages and decides when a
// flood is on (docs/style.md rule 6: pure logic, time from the records, no I/O, no clock).
//
// A bounce that answers mail this server relayed (OutboundMemory: the returned
// Message-ID, or the sender's recent mail to the bouncing server's
// organisation, or its subject) is counted as an answer and never counts
// towards a rule. The others, over sliding windows (a ring of buckets):
// - ip: >= ip_bounces bounces from one client IP within ip_window; or from
//   one IPv6 /64, its addresses together, none of them alone.
// - subject: >= subject_bounces bounces with one normalized subject within
//   subject_window, from >= subject_min_ips sources that each sent it at least
//   subject_source_bounces times in that window (one forging source, or one
//   flooding source plus legitimate servers with a notice or two, cannot get a
//   common subject blocked). Decides a subject block, unless that subject
//   answered our own mail within block_period (blocking it would refuse those
//   answers), and an IP block for each of those sources; for block_period
//   after, any source that reaches subject_source_bounces of it in the window
//   is blocked too. An IP is only ever blocked on its own bounces: a lone
//   notice under a blocked subject is refused by the subject block, and its
//   sender keeps its IP.
// Memory is bounded: at most max_subjects and max_ips keys (the idle ones are
// swept first; when all are busy a new key is not tracked, and counted), 64
// sources per subject, and OutboundMemory's own bound.
// Decisions carry the log time of the record that tripped them.
#ifndef MAILTRAIL_AGENT_DETECT_FLOOD_DETECTOR_H_
#define MAILTRAIL_AGENT_DETECT_FLOOD_DETECTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/detect/content_rules.h"
#include "agent/detect/counted_open.h"
#include "agent/detect/notice_copies.h"
#include "agent/detect/outbound.h"
#include "agent/track/record.h"
#include "agent/track/window_count.h"
#include "base/cidr.h"
#include "base/civil_time.h"
#include "base/ip_address.h"
#include "base/status.h"

namespace mailtrail {

struct DetectorOptions {
  TimeUs subject_window = 120 * kUsPerSecond;
  int subject_bounces = 50;
  int subject_min_ips = 2;
  // A source counts towards subject_min_ips, and is blocked with the subject,
  // when it sent that subject at least this often within subject_window. A
  // legitimate server sends a notice or two with one subject in two minutes
  // (corpus 05: at most 3 a minute, of any subject; a burst for our own mail is
  // an answer and not counted); a source of backscatter sends dozens.
  int subject_source_bounces = 5;
  TimeUs ip_window = 60 * kUsPerSecond;
  int ip_bounces = 20;
  // How long a subject flood stays in force (its sources are blocked as they
  // reach subject_source_bounces), and how long an answer keeps a subject from
  // being blocked.
  TimeUs block_period = 3600 * kUsPerSecond;
  int buckets = 12;
  size_t max_subjects = 100000;
  size_t max_ips = 100000;
  // The admin's rules over logged headers (checked when the configuration is
  // read: they compile).
  std::vector<ContentRuleSpec> rules;
  AnswerOptions answers;  // answers to our own mail (outbound.h)
  // What the blocks may never touch ([blocks] allow, mynetworks, this
  // machine's addresses; the block manager's allowlist). A bounce from these
  // networks counts only when one of its recipients was delivered here or
  // to a mailbox server inside them (a backup MX, a filtering gateway
  // handing in backscatter); else it is our own servers' notice on its way
  // out and counts for no rule (OnItsWayOut).
  std::vector<Cidr> never_counted;
  // Subjects that are never blocked (normalized, [blocks] allow_subjects):
  // the admin says they are common, so they make no flood, whose sources
  // would then be blocked at five of it in two minutes; the IP rule holds.
  std::vector<std::string> unblockable_subjects;
};

struct Decision {
  enum class Kind : uint8_t { kIp, kSubject };
  Kind kind = Kind::kIp;
  std::string key;                        // the IP (an IPv6 /64), or the normalized subject
  std::vector<std::string> raw_subjects;  // subject: the forms seen (at most 8)
  std::string rule;                       // "backscatter-subject" | "backscatter-ip"
  std::string reason;                     // for people (untrusted text inside: escape it)
  TimeUs at = 0;                          // log time of the record that tripped it
  std::string host;                       // the MTA that logged it
  std::vector<std::string> evidence;      // a few queue ids
};

class FloodDetector {
 public:
  explicit FloodDetector(DetectorOptions options = {});

  // One closed record; appends what it decides.
  void OnRecord(const MessageRecord& r, std::vector<Decision>* out);
  // A delivery of `rc`, a recipient of `r`, as it happens (`r`
  // may still be open): mail we relayed is learned then, not when its
  // message closes, so that notices answering it are recognised while its
  // other recipients still wait (RecordSink::OnDelivery). Decides nothing.
  // Reads only what DeliveryFacts() keeps.
  void OnDelivery(const MessageRecord& r, const RecipientRecord& rc);
  // A delivery of `open`, a message still open, was deferred: a bounce
  // counts now, at its first deferral, and no more when it closes, hours or
  // days later and outside every window (CountedOpen). A bounce from our own
  // networks waits for its close (OnItsWayOut reads every recipient), and so
  // does a message only a content rule makes a bounce (the rules read it
  // whole).
  void OnDeferral(const MessageRecord& open, std::vector<Decision>* out);
  size_t counted_open() const { return counted_open_.size(); }
  bool WasCountedOpen(const MessageRecord& open) const {
    return counted_open_.Has({open.host, open.qid, open.first_seen});
  }
  // A decision the block manager refused for a while (its cap of new blocks
  // per minute), or a block ended early: decided again on the next bounce,
  // not after block_period. With `until`: decided again on the next bounce
  // after that log time (a decision on old lines, recorded not live: the
  // first live bounce decides again, helper-94).
  void NotTaken(const Decision& d, TimeUs until = 0);
  // `nets` join never_counted (an address this machine gained since the
  // start): their bounces are ours from now on.
  void NeverCountMore(const std::vector<Cidr>& nets) {
    o_.never_counted.insert(o_.never_counted.end(), nets.begin(), nets.end());
  }
  // The block of `d`'s key ended at `end`: decided again after it
  // (NotTaken), and the key's counts of bounces stamped after its end are
  // forgotten. A log stamped ahead of the clock (its host's clock put right
  // later) left them hours ahead: they held the slots the same flood needed
  // once the log came back, and its bounces went uncounted (helper-94 D).
  // Counts the block's own flood made come before its end and stay.
  void BlockEnded(const Decision& d, TimeUs end);

  size_t tracked_subjects() const { return subjects_.size(); }
  size_t tracked_ips() const { return ips_.size(); }
  int64_t untracked() const { return untracked_; }  // keys refused at the bound
  int64_t bounces() const { return bounces_; }      // counted bounces: answers excluded
  // Bounces recognised as answers to our own mail, by how (AnswerKind).
  int64_t answers(AnswerKind k) const { return answers_[static_cast<int>(k)]; }
  int64_t answers() const;
  size_t outbound_keys() const { return outbound_.keys(); }
  // Rule matches abandoned at PCRE2's limits (counted as no match).
  int64_t rule_limit_hits() const { return rules_ ? rules_->limit_hits() : 0; }

  // Its windows, flood periods and OutboundMemory as JSON, saved with the
  // agent's checkpoint (detector_state.cc): a restart, even after SIGKILL,
  // goes on counting where it stood instead of forgetting the flood so far
  // (and deciding again a block it already made).
  std::string SaveState() const;
  // Replaces the state by a saved one (options may have changed meanwhile:
  // the windows are counted again into this detector's buckets). Corruption
  // if it does not parse; then the state is empty.
  Status LoadState(std::string_view json);

  // Fleet-wide counting (docs/detection.md): what this detector counted in its
  // windows as of log time `now`, by bucket, for the other agents sharing its
  // store; and their counts, which the ip and subject rules then add to its
  // own (the last ones given count until the next call; none: its own alone).
  std::vector<WindowCount> FleetCounts(TimeUs now) const;
  void SetFleetCounts(const std::vector<WindowCount>& others);
  // The IP rule checked again with the counts just set, at log time `now`, for
  // the IPs this detector saw bounces from: a flood whose share here has paused
  // is decided when the others' counts come, not at its next bounce here.
  void CheckFleet(TimeUs now, const std::string& host, std::vector<Decision>* out);
  size_t fleet_counts() const { return others_rows_; }

  // Fleet-wide answers (docs/detection.md, with answers.share): the mail this
  // detector learned since the last call, for the other agents; their mail,
  // added as of log time `now`, and the cursor past it (saved with the state,
  // so that a restart neither reads their rows again nor skips any); and
  // this detector's own, given back when they could not be published.
  std::vector<SharedAnswer> TakeLearnedAnswers(size_t max = SIZE_MAX) {
    return outbound_.TakeShared(max);
  }
  const AnswerCursor& answer_cursor() const { return answer_cursor_; }
  void AddFleetAnswers(const AnswerExchange& x, TimeUs now);
  void KeepUnsentAnswers(const std::vector<SharedAnswer>& mine, TimeUs not_before = INT64_MIN);
  int64_t fleet_answers() const { return fleet_answers_; }  // keys taken from others
  // Keys learned but never published: more waited than OutboundOptions'
  // max_unshared (the store did not answer for long).
  int64_t answers_not_shared() const { return outbound_.not_shared(); }

  // A count of events over the last `window`, in `buckets` slots.
  class Ring {
   public:
    Ring() = default;
    Ring(TimeUs window, int buckets);
    void Add(TimeUs t, int n = 1);
    // Forgets the counts of buckets that begin after `t`.
    void ForgetAfter(TimeUs t);
    // The count of the window that ends at `end`.
    int Count(TimeUs end) const;
    // Where the window counted at `now` ends: `now`, or the newest bucket
    // when that is less than a window after it (a log's clock stepped back).
    TimeUs WindowEnd(TimeUs now) const;

   private:
    friend struct DetectorStateCodec;
    friend class FloodDetector;                   // FleetCounts publishes the slots
    static constexpr int64_t kEmpty = INT64_MIN;  // a slot's index before its first count
    int64_t Bucket(TimeUs t) const;
    TimeUs width_ = 1;
    std::vector<std::pair<int64_t, int>> slots_;  // (bucket index, count)
  };

 private:
  struct SubjectState {
    Ring ring;
    struct Client {
      std::string ip;
      TimeUs last = 0;
      std::vector<TimeUs> recent;  // its last subject_source_bounces arrivals, a ring
      size_t next = 0;
    };
    std::vector<Client> ips;  // at most 64
    std::vector<std::string> raw, evidence;
    TimeUs last = 0, flood_until = 0, last_answer = 0;
    bool answered = false;  // last_answer is set
    int64_t answers = 0;    // bounces with this subject that answered our mail
  };
  // Whether a bounce record counts towards the flood rules: from a client,
  // not a content filter's leg. `ours`: its client is in never_counted (read
  // once per record: the copies of a notice and the IP rule need it too).
  bool CountsFromItsClient(const MessageRecord& r, bool* ours) const;
  // Whether `ip` is in never_counted.
  bool NeverCounted(std::string_view ip) const;
  bool NeverCounted(const IpAddress& ip) const;
  // A bounce from never_counted (the caller knows) that no recipient of ours
  // received.
  bool OnItsWayOut(const MessageRecord& r) const;
  // Whether a subject, normalized, may make a flood (SubjectFloods).
  bool MayFlood(const std::string& key) const;
  // Whether `c` sent the subject subject_source_bounces times within the window.
  bool Qualified(const SubjectState::Client& c, TimeUs now) const;
  // The same, with what the other agents counted of it (fleet_counts.cc).
  bool FleetQualified(const std::string& key, const SubjectState::Client& c, TimeUs now) const;
  // Buckets of the other agents (start, count), summed over the agents.
  using Buckets = std::unordered_map<TimeUs, int>;
  // The sum of `b`'s buckets inside the window that ends at `now`.
  int InWindow(const Buckets* b, TimeUs window, TimeUs now) const;
  const Buckets* Others(const std::unordered_map<std::string, Buckets>& m,
                        const std::string& key) const;
  // Sources of `key` only other agents saw, with enough of it each.
  std::vector<std::string> OthersOnlySources(const std::string& key, const SubjectState& s,
                                             TimeUs now) const;
  // A bounce of subject `key` from its source; counted in the subject's
  // total unless `count` is false (a copy counted already: NoticeCopies).
  void OnSubjectBounce(const MessageRecord& r, SubjectState& s, const std::string& key, bool count,
                       std::vector<Decision>* out);
  void NoteAnswer(const MessageRecord& r);
  // A bounce that counts from its client (`ours`: a host in never_counted):
  // an answer to our mail, or counted towards the IP and subject rules.
  void CountBounce(const MessageRecord& r, bool ours, std::vector<Decision>* out);
  // Counts a bounce of `r` (arrived at `t`) for `source` (an address, or an
  // IPv6 /64) in ips_; its count with the other agents' in the window, 0
  // when it cannot be tracked (max_ips).
  int CountSource(const std::string& source, const MessageRecord& r, TimeUs t, TimeUs now);
  // An IP rule decision for `source`, which counted `n`, unless decided already.
  void DecideSource(const std::string& source, int n, const MessageRecord& r,
                    std::vector<Decision>* out);
  struct IpState {
    Ring ring;
    std::vector<std::string> evidence;
    TimeUs last = 0, decided_until = 0;
  };
  template <typename Map>
  bool Admit(Map& map, TimeUs* next_sweep, const std::string& key, size_t max, TimeUs window,
             TimeUs now);
  void ApplyRules(const MessageRecord& r, const std::vector<size_t>& matched,
                  std::vector<Decision>* out);
  // An IP decision at the log time of `r`, unless one is in force already.
  void DecideIp(const std::string& ip, const MessageRecord& r, const std::string& rule,
                const std::string& reason, std::vector<std::string> evidence,
                std::vector<Decision>* out);

  friend struct DetectorStateCodec;
  DetectorOptions o_;
  std::unordered_map<std::string, SubjectState> subjects_;
  std::unordered_map<std::string, IpState> ips_;
  std::unique_ptr<ContentRules> rules_;
  std::unordered_map<std::string, IpState> rule_keys_;  // "rule\tkey": a rule's window
  OutboundMemory outbound_;
  NoticeCopies copies_;
  CountedOpen counted_open_;
  int64_t untracked_ = 0, bounces_ = 0;
  int64_t answers_[kAnswerKinds] = {};
  TimeUs next_subject_sweep_ = 0, next_ip_sweep_ = 0, next_rule_sweep_ = 0;
  // The other agents' counts (SetFleetCounts): by IP, by subject, and by
  // subject and source.
  std::unordered_map<std::string, Buckets> others_ips_, others_subjects_;
  std::unordered_map<std::string, std::unordered_map<std::string, Buckets>> others_sources_;
  size_t others_rows_ = 0;
  AnswerCursor answer_cursor_;
  int64_t fleet_answers_ = 0;
};

// What FloodDetector::OnDelivery reads of the `i`th delivery of `r`: the
// message's host, queue id, sender, Message-ID, Subject and From, and that
// one recipient (its only one). For a caller that keeps a delivery for later
// (the detect verb's merge by time) or fills what the log did not say (the
// agent's queue files), without copying every recipient of a large message.
MessageRecord DeliveryFacts(const MessageRecord& r, size_t i);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_FLOOD_DETECTOR_H_
