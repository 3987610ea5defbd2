#include "agent/detect/flood_detector.h"

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "agent/detect/bounce.h"
#include "agent/detect/subject.h"
#include "agent/track/relay.h"
#include "base/ip_address.h"

namespace mailtrail {

namespace {
// A content rule's decisions name it "content:NAME".
constexpr std::string_view kContentRulePrefix = "content:";
constexpr size_t kMaxIpsPerSubject = 64;
constexpr size_t kMaxEvidence = 5;
constexpr size_t kMaxRawForms = 8;

void AddCapped(std::vector<std::string>* v, const std::string& s, size_t max) {
  if (v->size() < max && std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

// The network a subject flood's source counts as: an IPv4 address, an IPv6
// address's /64 (what one host or site is given).
std::string SourceNetwork(const std::string& ip) {
  const auto a = IpAddress::Parse(ip);
  if (!a || a->is_v4()) return ip;
  std::string bytes = a->Bytes();
  std::fill(bytes.begin() + 8, bytes.end(), '\0');
  return IpAddress::FromBytes(bytes)->ToString() + "/64";
}

}  // namespace

FloodDetector::FloodDetector(DetectorOptions options)
    : o_(std::move(options)), outbound_(o_.answers) {
  if (!o_.rules.empty()) {
    auto rules = ContentRules::Compile(o_.rules);
    MT_CHECK(rules.ok());  // the configuration was checked when it was read
    rules_ = std::move(*rules);
  }
}

void FloodDetector::ApplyRules(const MessageRecord& r, const std::vector<size_t>& matched,
                               std::vector<Decision>* out) {
  const TimeUs now = r.last_seen;
  for (size_t i : matched) {
    const ContentRuleSpec& rule = rules_->specs()[i];
    if (rule.action == RuleAction::kCount) continue;
    const bool by_ip = rule.action == RuleAction::kBlockIp;
    if (by_ip && r.client_ip.empty()) continue;
    if (!by_ip && !r.subject) continue;
    const std::string key = by_ip ? r.client_ip : NormalizeSubject(*r.subject);
    const std::string slot = std::to_string(i) + "\t" + key;
    if (key.empty() || !Admit(rule_keys_, &next_rule_sweep_, slot, o_.max_ips, rule.window, now))
      continue;
    auto [it, fresh] = rule_keys_.try_emplace(slot);
    IpState& s = it->second;
    if (fresh) s.ring = Ring(rule.window, o_.buckets);
    s.ring.Add(r.first_seen);
    s.last = std::max(s.last, now);
    if (!r.qid.empty()) AddCapped(&s.evidence, r.qid, kMaxEvidence);
    const int n = s.ring.Count(s.ring.WindowEnd(now));
    if (n < rule.threshold || s.decided_until > now) continue;
    s.decided_until = now + o_.block_period;
    const std::string why = "content rule '" + rule.name + "' matched " + std::to_string(n) +
                            " message(s) within " + std::to_string(rule.window / kUsPerSecond) +
                            " s";
    if (by_ip) {
      DecideIp(key, r, std::string(kContentRulePrefix) + rule.name, why + " from " + key,
               s.evidence, out);
    } else {
      Decision d;
      d.kind = Decision::Kind::kSubject;
      d.key = key;
      d.raw_subjects = {*r.subject};
      d.rule = std::string(kContentRulePrefix) + rule.name;
      d.reason = why + " with the subject '" + key + "'";
      d.at = now;
      d.host = r.host;
      d.evidence = s.evidence;
      out->push_back(std::move(d));
    }
  }
}

// Makes room for `key` if it is new: sweeps keys idle for a window when the map
// is full; false when every key is busy (the new one is not tracked).
template <typename Map>
bool FloodDetector::Admit(Map& map, TimeUs* next_sweep, const std::string& key, size_t max,
                          TimeUs window, TimeUs now) {
  if (map.count(key) || map.size() < max) return true;
  // A sweep costs the whole map: at most one per bucket of log time, so that a
  // storm of new keys against a full map costs O(1) per key.
  TimeUs& next = *next_sweep;
  if (now >= next) {
    next = now + window / std::max(1, o_.buckets);
    for (auto it = map.begin(); it != map.end();) {
      if (it->second.last + window < now)
        it = map.erase(it);
      else
        ++it;
    }
  }
  if (map.size() < max) return true;
  ++untracked_;
  return false;
}

void FloodDetector::DecideIp(const std::string& ip, const MessageRecord& r, const std::string& rule,
                             const std::string& reason, std::vector<std::string> evidence,
                             std::vector<Decision>* out) {
  const TimeUs at = r.last_seen;  // when the deciding record was complete
  if (NeverCounted(ip)) return;   // never blocked: no decision to refuse
  auto it = ips_.find(ip);
  if (it != ips_.end() && it->second.decided_until > at) return;  // decided already
  if (it != ips_.end()) {
    it->second.decided_until = at + o_.block_period;
    it->second.evidence.clear();  // the next decision names its own messages
  }
  Decision d;
  d.kind = Decision::Kind::kIp;
  d.key = ip;
  d.rule = rule;
  d.reason = reason;
  d.at = at;
  d.host = r.host;
  d.evidence = std::move(evidence);
  out->push_back(std::move(d));
}

void FloodDetector::BlockEnded(const Decision& d, TimeUs end) {
  NotTaken(d, end);
  if (d.kind == Decision::Kind::kIp) {
    if (auto it = ips_.find(d.key); it != ips_.end()) it->second.ring.ForgetAfter(end);
  } else if (auto it = subjects_.find(d.key); it != subjects_.end()) {
    SubjectState& s = it->second;
    s.ring.ForgetAfter(end);
    for (auto& c : s.ips)  // arrivals after the end no longer make a source
      for (TimeUs& t : c.recent)
        if (t > end) t = 0;
  }
}

void FloodDetector::NotTaken(const Decision& d, TimeUs until) {
  // A content rule's slot: decided again at the rule's next match (it waited
  // its block period: helper-65's cap fault, left for the admin's rules).
  // Its subject is not our flood.
  // An IP refused: every block-ip rule's slot of it, since a second rule
  // matching the same message marked its slot and made no decision of its
  // own (the IP was decided already: helper-77).
  if (rules_ && d.rule.rfind(kContentRulePrefix, 0) == 0) {
    const std::string_view name = std::string_view(d.rule).substr(kContentRulePrefix.size());
    for (size_t i = 0; i < rules_->specs().size(); ++i) {
      const ContentRuleSpec& rule = rules_->specs()[i];
      const bool by_ip = d.kind == Decision::Kind::kIp && rule.action == RuleAction::kBlockIp;
      if (rule.name == name || by_ip)
        if (auto it = rule_keys_.find(std::to_string(i) + "\t" + d.key); it != rule_keys_.end())
          it->second.decided_until = std::min(it->second.decided_until, until);
    }
  }
  // Any IP decision marked the IP decided (DecideIp, content rules too):
  // else the backscatter rules took it as decided for the period.
  if (d.kind == Decision::Kind::kIp) {
    if (auto it = ips_.find(d.key); it != ips_.end()) {
      it->second.decided_until = std::min(it->second.decided_until, until);
      // For the next try, the IP rule's own messages only.
      if (d.rule == "backscatter-ip" && it->second.evidence.empty())
        it->second.evidence = d.evidence;
    }
  } else if (d.rule == "backscatter-subject") {
    if (auto it = subjects_.find(d.key); it != subjects_.end()) {
      it->second.flood_until = std::min(it->second.flood_until, until);
      if (it->second.evidence.empty()) it->second.evidence = d.evidence;
    }
  }
}

int64_t FloodDetector::answers() const {
  int64_t n = 0;
  for (int64_t a : answers_) n += a;
  return n;
}

// An answer keeps its subject from being blocked (the block would refuse the
// next answers); it counts towards nothing else.
void FloodDetector::NoteAnswer(const MessageRecord& r) {
  if (!r.subject) return;
  const std::string key = NormalizeSubject(*r.subject);
  const TimeUs now = r.last_seen;
  // Tracked even when no counted bounce had it yet: answers often come first.
  if (key.empty() ||
      !Admit(subjects_, &next_subject_sweep_, key, o_.max_subjects, o_.subject_window, now))
    return;
  auto [it, fresh] = subjects_.try_emplace(key);
  SubjectState& s = it->second;
  if (fresh) s.ring = Ring(o_.subject_window, o_.buckets);
  s.last = std::max(s.last, now);
  s.last_answer = std::max(s.last_answer, now);
  s.answered = true;
  ++s.answers;
}

bool FloodDetector::Qualified(const SubjectState::Client& c, TimeUs now) const {
  if (c.recent.size() < static_cast<size_t>(std::max(1, o_.subject_source_bounces))) return false;
  return *std::min_element(c.recent.begin(), c.recent.end()) >= now - o_.subject_window;
}

// A bounce counts once, where it came in from its client: a content filter's
// leg is the same message again, from the filter's address (linked to its
// parent, or re-injected from 127.0.0.1 or ::1, which are never a remote
// source: agent/blocks/allowlist.cc protects them always). Once it counted,
// the filter's address was a second source of every subject, so that one
// sender could get a subject blocked. Nor does a message of our own
// authenticated users (SASL): their notices are theirs, and a block would
// close submission to them. Nor does our own servers' notice on its way out
// (OnItsWayOut).
bool FloodDetector::MayFlood(const std::string& key) const {
  return std::find(o_.unblockable_subjects.begin(), o_.unblockable_subjects.end(), key) ==
         o_.unblockable_subjects.end();
}

void FloodDetector::OnRecord(const MessageRecord& r, std::vector<Decision>* out) {
  bool counted = false;  // a "count" rule makes it a bounce for the flood rules
  if (rules_) {
    const std::vector<size_t> matched = rules_->Matches(r);
    for (size_t i : matched) counted |= rules_->specs()[i].action == RuleAction::kCount;
    ApplyRules(r, matched, out);
  }
  // Counted at its first deferral (OnDeferral).
  if (!counted_open_.empty() && counted_open_.Take({r.host, r.qid, r.first_seen})) return;
  if (!counted && ClassifyBounce(r) == BounceSignal::kNone) return;  // learned in OnDelivery
  bool ours = false;  // handed in by a host of ours (never_counted)
  if (!CountsFromItsClient(r, &ours)) return;
  CountBounce(r, ours, out);
}

int FloodDetector::CountSource(const std::string& source, const MessageRecord& r, TimeUs t,
                               TimeUs now) {
  if (!Admit(ips_, &next_ip_sweep_, source, o_.max_ips, o_.ip_window, now)) return 0;
  auto [it, fresh] = ips_.try_emplace(source);
  IpState& s = it->second;
  if (fresh) s.ring = Ring(o_.ip_window, o_.buckets);
  s.ring.Add(t);
  s.last = std::max(s.last, now);
  if (!r.qid.empty()) AddCapped(&s.evidence, r.qid, kMaxEvidence);
  // Its count and the other agents' over one window (Ring::WindowEnd).
  const TimeUs end = s.ring.WindowEnd(now);
  return s.ring.Count(end) + InWindow(Others(others_ips_, source), o_.ip_window, end);
}

void FloodDetector::DecideSource(const std::string& source, int n, const MessageRecord& r,
                                 std::vector<Decision>* out) {
  auto it = ips_.find(source);
  if (it == ips_.end() || it->second.decided_until > r.last_seen) return;
  if (const auto net = Cidr::Parse(source); net && net->bits() < 128)  // a /64
    for (const Cidr& n : o_.never_counted)
      if (n.Overlaps(*net)) return;  // it holds a host of ours: never blocked
  DecideIp(source, r, "backscatter-ip",
           "backscatter: " + std::to_string(n) + " bounces from " + source + " within " +
               std::to_string(o_.ip_window / kUsPerSecond) + " s",
           it->second.evidence, out);
}

void FloodDetector::CountBounce(const MessageRecord& r, bool ours, std::vector<Decision>* out) {
  if (const AnswerKind a = outbound_.Recognize(r); a != AnswerKind::kNone) {
    ++answers_[static_cast<int>(a)];
    NoteAnswer(r);
    return;
  }
  const TimeUs t = r.first_seen;   // when it arrived
  const TimeUs now = r.last_seen;  // when we know all of it
  const std::string& ip = r.client_ip;
  // One notice in two logs read here: the copy our MX handed in is not
  // counted again; the outside copy after it counts for its source only,
  // and not again as a bounce (helper-115 F6: it did when ours came first).
  const bool copy = r.message_id && copies_.SeenFromTheOtherSide(*r.message_id, ours, now);
  if (copy && ours) return;
  if (!copy) ++bounces_;

  // Per-IP rate; a host of ours is never blocked, and takes no room here.
  // An IPv6 address counts for its /64 too: one host holds a whole /64 and
  // may send each notice from a new address (600 in 5 minutes were never
  // blocked, helper-152 F3). The /64 is decided when its addresses reach the
  // rate together and this one has not alone (an address flooding alone is
  // decided as an address).
  if (!ours) {
    const int alone = CountSource(ip, r, t, now);
    if (alone >= o_.ip_bounces) DecideSource(ip, alone, r, out);
    if (const std::string net = SourceNetwork(ip); net != ip) {
      const int together = CountSource(net, r, t, now);
      if (together >= o_.ip_bounces && alone < o_.ip_bounces) DecideSource(net, together, r, out);
    }
  }

  // Per subject.
  if (!r.subject) return;
  const std::string key = NormalizeSubject(*r.subject);
  if (key.empty() || !MayFlood(key) ||
      !Admit(subjects_, &next_subject_sweep_, key, o_.max_subjects, o_.subject_window, now))
    return;
  auto [it, fresh] = subjects_.try_emplace(key);
  if (fresh) it->second.ring = Ring(o_.subject_window, o_.buckets);
  OnSubjectBounce(r, it->second, key, /*count=*/!copy, out);
}

void FloodDetector::OnDelivery(const MessageRecord& r, const RecipientRecord& rc) {
  // Cheapest first: most deliveries are not mail of ours sent to another MTA
  // (its sender is known, so ClassifyBounce() takes it for no bounce).
  if (!OutboundMemory::Relayed(r, rc)) {
    if (OutboundMemory::ToContentFilter(r, rc)) outbound_.LearnFilterLeg(r, rc);
    return;
  }
  if (rules_) {  // a bounce by the admin's rules is none of our mail
    for (size_t i : rules_->Matches(r))
      if (rules_->specs()[i].action == RuleAction::kCount) return;
  }
  outbound_.Learn(r, rc);
}

MessageRecord DeliveryFacts(const MessageRecord& r, size_t i) {
  MessageRecord one;
  one.host = r.host;
  one.qid = r.qid;
  one.sender = r.sender;
  one.message_id = r.message_id;
  one.subject = r.subject;
  one.header_from = r.header_from;
  one.recipients.push_back(r.recipients.at(i));
  return one;
}

void FloodDetector::OnSubjectBounce(const MessageRecord& r, SubjectState& s, const std::string& key,
                                    bool count, std::vector<Decision>* out) {
  const TimeUs t = r.first_seen, now = r.last_seen;
  const std::string& ip = r.client_ip;
  const size_t keep = static_cast<size_t>(std::max(1, o_.subject_source_bounces));
  if (count) s.ring.Add(t);
  s.last = std::max(s.last, now);
  AddCapped(&s.raw, *r.subject, kMaxRawForms);
  if (!r.qid.empty()) AddCapped(&s.evidence, r.qid, kMaxEvidence);
  auto c = std::find_if(s.ips.begin(), s.ips.end(), [&](const auto& x) { return x.ip == ip; });
  if (c == s.ips.end()) {
    if (s.ips.size() < kMaxIpsPerSubject) {
      c = s.ips.insert(s.ips.end(), SubjectState::Client{ip, t, {}, 0});
    } else {  // full: replace the stalest
      c = std::min_element(s.ips.begin(), s.ips.end(),
                           [](const auto& a, const auto& b) { return a.last < b.last; });
      *c = {ip, t, {}, 0};
    }
  }
  c->last = std::max(c->last, t);
  if (c->recent.size() < keep) {
    c->recent.push_back(t);
  } else {
    c->recent[c->next % keep] = t;
    c->next = (c->next + 1) % keep;
  }
  const std::string quoted = "'" + key + "'";
  const std::string per_source = std::to_string(o_.subject_source_bounces) + " within " +
                                 std::to_string(o_.subject_window / kUsPerSecond) + " s";
  if (s.flood_until > now) {
    // A flood of this subject is on: a source is part of it once it sent the
    // subject as often as the sources that made the flood.
    if (FleetQualified(key, *c, now))
      DecideIp(ip, r, "backscatter-subject",
               "backscatter: sent the flood subject " + quoted + " " + per_source, {r.qid}, out);
    return;
  }
  const TimeUs end = s.ring.WindowEnd(now);
  const int n = s.ring.Count(end) + InWindow(Others(others_subjects_, key), o_.subject_window, end);
  if (n < o_.subject_bounces) return;
  // Sources are counted by network: an IPv4 address, an IPv6 /64 (one VPS
  // has a /64: ten of its addresses were ten sources, and one machine got any
  // subject blocked for everyone, helper-134 F1). A source must be outside
  // the never-blocked networks: our own relays returning their NDRs to our
  // users are no flood of the subject.
  std::set<std::string> networks;
  for (const std::string& ip : OthersOnlySources(key, s, now)) networks.insert(SourceNetwork(ip));
  for (const auto& x : s.ips)
    if (FleetQualified(key, x, now) && !NeverCounted(x.ip)) networks.insert(SourceNetwork(x.ip));
  const int sources = static_cast<int>(networks.size());
  if (sources < o_.subject_min_ips) return;
  s.flood_until = now + o_.block_period;
  const std::string why = "backscatter flood: subject " + quoted + " " + std::to_string(n) +
                          " bounces / " + std::to_string(o_.subject_window / kUsPerSecond) +
                          " s from " + std::to_string(sources) + " sources with at least " +
                          std::to_string(o_.subject_source_bounces) + " each";
  std::string ip_why = why;
  if (s.answered && s.last_answer + o_.block_period > now) {
    // The subject also answered our own mail lately: its sources are blocked,
    // the subject is not (that would refuse the genuine notices).
    ip_why += "; the subject is not blocked: " + std::to_string(s.answers) +
              " bounce(s) with it answered mail this server relayed, the last at " +
              FormatRfc3339(s.last_answer);
  } else {
    Decision d;
    d.kind = Decision::Kind::kSubject;
    d.key = key;
    d.raw_subjects = s.raw;
    d.rule = "backscatter-subject";
    d.reason = why;
    d.at = now;
    d.host = r.host;
    d.evidence = s.evidence;
    out->push_back(std::move(d));
  }
  for (const auto& x : s.ips)
    if (FleetQualified(key, x, now))
      DecideIp(x.ip, r, "backscatter-subject", ip_why, s.evidence, out);
  s.evidence.clear();  // the next decision names its own messages
}

}  // namespace mailtrail
