// OutboundMemory: what this server relayed recently, so that a bounce which
// answers our own mail is recognised and never counts against anyone (a
// newsletter's genuine non-delivery notices are not a flood).
//
// Learned from each recipient another MTA accepted (status=sent with
// relay=host[ip]:port, not LMTP's port 24, and on loopback only port 25: not a
// content filter; an address verification's probe is never "sent"), as it is
// delivered: its message may stay open for days while other recipients wait,
// and its notices come meanwhile (a greylisted newsletter). A bounce is an
// answer when, in this order:
//   1. it returns one of those messages' Message-IDs (logged by Postfix's
//      nested_header_checks or body_checks: MessageRecord::returned_message_ids);
//   2. its recipient (our sender) relayed mail within the window to the
//      organisation (OrgDomain: the name registered under a public suffix) that the bouncing
//      client's verified host name belongs to: the recipients' domain or the relay host (a notice
//      from *.outbound.protection.outlook.com answers mail relayed to
//      *.mail.protection.outlook.com);
//   3. its subject, normalized (wrappers such as "Undeliverable:" removed),
//      or what is left of it after up to kMaxWrapperWords words of another
//      wrapper, is one its recipient sent within the window as the envelope
//      sender or as the From: address (a content filter's re-injected leg by
//      the subject its first leg logged: LearnFilterLeg).
// Addresses count without their extension (VERP's list-bounces+u=d@).
// Every remembered message holds kNoticesPerRecipient credits for each
// recipient relayed (a delay notice, a success report, the final notice: a
// recipient may be answered more than once), and each recognised answer
// spends one: a forger who gets one message relayed, or forges a sender who
// really mailed a provider, excuses at most that many bounces; the rest
// count as usual.
//
// In a fleet (AnswerOptions::share), agents that share a store share what
// they learn (docs/detection.md): where an outbound relay sends the mail and
// the MXes receive the notices, the MXes recognise them too. Each agent
// spends the credits it was given on its own, so a forger's few relayed
// messages excuse at most that many bounces at each agent.
//
// Pure logic, no I/O, log time only. Memory is bounded: at most max_keys keys
// (one per Message-ID, per sender and organisation, per sender and subject),
// each forgotten after `window`, the oldest first when full. One thread.
// SECURITY: keys come from untrusted log text; they are capped in length and
// count, and matching is exact (no patterns).
#ifndef MAILTRAIL_AGENT_DETECT_OUTBOUND_H_
#define MAILTRAIL_AGENT_DETECT_OUTBOUND_H_

#include <array>
#include <climits>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/track/record.h"
#include "agent/track/window_count.h"
#include "base/civil_time.h"

namespace mailtrail {

struct AnswerOptions {
  bool enabled = true;
  // Genuine notices come within minutes, delay notices after hours, the last
  // ones after Postfix-like queue lifetimes of days: one day covers nearly all.
  TimeUs window = 24 * 3600 * kUsPerSecond;
  size_t max_keys = 500000;  // about 150 bytes each
  int max_credits = 10000;   // per key
  // Keep what is learned here for the other agents of a fleet (TakeShared).
  bool share = false;
  size_t max_unshared = 100000;  // keys waiting to be shared; beyond, not shared
  // Subjects of messages handed to a content filter, by Message-ID (LearnFilterLeg).
  size_t max_filtered = 50000;  // about 300 bytes each
};

constexpr int kNoticesPerRecipient = 3;

enum class AnswerKind : uint8_t { kNone, kMessageId, kDomain, kSubject };
constexpr int kAnswerKinds = 4;
const char* AnswerKindName(AnswerKind k);  // "message-id", "domain", "subject"

class OutboundMemory {
 public:
  explicit OutboundMemory(AnswerOptions o = {}) : o_(o) {}
  // order_ points into keys_: a copy would point into this one. Moves keep
  // both containers' nodes.
  OutboundMemory(const OutboundMemory&) = delete;
  OutboundMemory& operator=(const OutboundMemory&) = delete;
  OutboundMemory(OutboundMemory&&) = default;
  OutboundMemory& operator=(OutboundMemory&&) = default;

  // Remembers `rc`, a recipient of `r` (open or closed), if it was delivered
  // to another MTA; false if not.
  bool Learn(const MessageRecord& r, const RecipientRecord& rc);
  // Remembers the subject of `r` by its Message-ID if `rc` was handed to a
  // content filter: the leg the filter re-injects (with the same Message-ID)
  // logs none where, as FILTER_README advises, the re-injection's
  // header_checks are off, and Learn() takes the subject from here
  // (helper-93). In memory only, for `window`, at most max_filtered.
  void LearnFilterLeg(const MessageRecord& r, const RecipientRecord& rc);
  // Whether LearnFilterLeg() would keep the subject of `rc` of `r`.
  static bool ToContentFilter(const MessageRecord& r, const RecipientRecord& rc);
  // Whether `rc` of `r` is mail of a sender of ours that another MTA
  // accepted: what Learn() remembers (when enabled).
  static bool Relayed(const MessageRecord& r, const RecipientRecord& rc);
  // Whether the bounce `r` answers remembered mail, and how; spends a credit.
  AnswerKind Recognize(const MessageRecord& r);

  // With `share`: the keys learned here since the last call, one per key
  // (its credits summed, its latest time), in the order first learned; at
  // most `max` (the rest wait for the next call).
  std::vector<SharedAnswer> TakeShared(size_t max = SIZE_MAX);
  // Adds keys other agents learned (SharedAnswer::agent is not read), as of
  // log time `now`; says how many were taken. Rows that are not keys of
  // this memory (a damaged or hostile store) are skipped.
  size_t AddShared(const std::vector<SharedAnswer>& theirs, TimeUs now);
  // Gives back what TakeShared() gave and could not be published, but for
  // keys learned before `not_before`.
  void KeepUnshared(const std::vector<SharedAnswer>& mine, TimeUs not_before = INT64_MIN);

  size_t keys() const { return keys_.size(); }
  size_t unshared() const { return unshared_.size(); }
  int64_t not_shared() const { return not_shared_; }  // learned beyond max_unshared

 private:
  friend struct DetectorStateCodec;             // saves and restores keys_ (detector_state.cc)
  using Order = std::list<const std::string*>;  // keys_'s keys, least recently learned first
  struct Entry {
    int credits = 0;
    TimeUs learned = 0;
    Order::iterator at;  // its place in order_
  };
  // Adds credits to `key`, learned at `t` (it moves to the back of order_),
  // or sets them (a restored state); forgets the least recently learned keys
  // beyond max_keys.
  void Add(std::string key, int credits, TimeUs t, bool set = false);
  bool Take(const std::string& key, TimeUs now);
  // Notes a line's time `t`, and forgets the keys out of the window at the
  // median of the last lines' times (outbound.cc says why).
  void Expire(TimeUs t);
  static constexpr size_t kExpiryTimes = 64, kMinExpiryTimes = 16;
  std::array<TimeUs, kExpiryTimes> expiry_times_{};
  size_t expiry_next_ = 0, expiry_seen_ = 0;
  TimeUs expiry_now_ = std::numeric_limits<TimeUs>::min();
  // Keeps `key`'s new credits for TakeShared().
  void Share(const std::string& key, int credits, TimeUs t);

  AnswerOptions o_;
  // A node-based map: a key's address stays put while it is in order_.
  std::unordered_map<std::string, Entry> keys_;
  // One place per key, however often it is learned: each delivery of a large
  // list message learns the same few keys again (helper-69).
  Order order_;
  // Learned here and not taken yet: by key, its place in unshared_.
  std::unordered_map<std::string, size_t> unshared_at_;
  std::vector<SharedAnswer> unshared_;
  int64_t not_shared_ = 0;
  // LearnFilterLeg's subjects (normalized), by Message-ID, first learned first.
  struct Filtered {
    std::string subject;
    TimeUs learned = 0;
  };
  std::unordered_map<std::string, Filtered> filtered_;
  std::deque<std::string> filtered_order_;
  void ExpireFiltered(TimeUs now);
};

// The organisation a host name or mail domain belongs to: the name
// registered under its public suffix (the Public Suffix List):
// "mail-sor-f69.google.com" -> "google.com", "mx.example.co.uk" ->
// "example.co.uk", "mout.bmw.de" -> "bmw.de". Empty for "unknown", IP
// literals, single labels and names longer than 255 bytes.
std::string OrgDomain(std::string_view host);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_OUTBOUND_H_
