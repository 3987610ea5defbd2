#include "agent/detect/flood_detector.h"

#include <algorithm>

#include "agent/detect/bounce.h"
#include "agent/detect/subject.h"

namespace mailtrail {

namespace {
constexpr size_t kMaxIpsPerSubject = 64;
constexpr size_t kMaxEvidence = 5;
constexpr size_t kMaxRawForms = 8;

void AddCapped(std::vector<std::string>* v, const std::string& s, size_t max) {
  if (v->size() < max && std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}
}  // namespace

FloodDetector::Ring::Ring(TimeUs window, int buckets)
    : width_(std::max<TimeUs>(1, window / std::max(1, buckets))),
      slots_(static_cast<size_t>(std::max(1, buckets)), {-1, 0}) {}

void FloodDetector::Ring::Add(TimeUs t) {
  const int64_t idx = t / width_;
  auto& slot = slots_[static_cast<size_t>(idx % static_cast<int64_t>(slots_.size()))];
  if (slot.first == idx) {
    ++slot.second;
  } else if (slot.first < idx) {  // older than anything kept: reuse the slot
    slot = {idx, 1};
  }
}

int FloodDetector::Ring::Count(TimeUs now) const {
  const int64_t idx = now / width_;
  const int64_t oldest = idx - static_cast<int64_t>(slots_.size()) + 1;
  int n = 0;
  for (const auto& [i, c] : slots_)
    if (i >= oldest && i <= idx) n += c;
  return n;
}

FloodDetector::FloodDetector(DetectorOptions options) : o_(std::move(options)) {
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
    if (rule.action == "count") continue;
    const bool by_ip = rule.action == "block-ip";
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
    const int n = s.ring.Count(now);
    if (n < rule.threshold || s.decided_until > now) continue;
    s.decided_until = now + o_.block_period;
    const std::string why = "content rule '" + rule.name + "' matched " + std::to_string(n) +
                            " message(s) within " + std::to_string(rule.window / kUsPerSecond) +
                            " s";
    if (by_ip) {
      DecideIp(key, r, "content:" + rule.name, why + " from " + key, s.evidence, out);
    } else {
      Decision d;
      d.kind = Decision::Kind::kSubject;
      d.key = key;
      d.raw_subjects = {*r.subject};
      d.rule = "content:" + rule.name;
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
  auto it = ips_.find(ip);
  if (it != ips_.end() && it->second.decided_until > at) return;  // decided already
  if (it != ips_.end()) it->second.decided_until = at + o_.block_period;
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

void FloodDetector::OnRecord(const MessageRecord& r, std::vector<Decision>* out) {
  bool counted = false;  // a "count" rule makes it a bounce for the flood rules
  if (rules_) {
    const std::vector<size_t> matched = rules_->Matches(r);
    for (size_t i : matched) counted |= rules_->specs()[i].action == "count";
    ApplyRules(r, matched, out);
  }
  if (!counted && ClassifyBounce(r) == BounceSignal::kNone) return;
  if (r.client_ip.empty()) return;
  ++bounces_;
  const TimeUs t = r.first_seen;   // when it arrived
  const TimeUs now = r.last_seen;  // when we know all of it
  const std::string& ip = r.client_ip;

  // Per-IP rate.
  if (Admit(ips_, &next_ip_sweep_, ip, o_.max_ips, o_.ip_window, now)) {
    auto [it, fresh] = ips_.try_emplace(ip);
    IpState& s = it->second;
    if (fresh) s.ring = Ring(o_.ip_window, o_.buckets);
    s.ring.Add(t);
    s.last = std::max(s.last, now);
    if (!r.qid.empty()) AddCapped(&s.evidence, r.qid, kMaxEvidence);
    const int n = s.ring.Count(now);
    if (n >= o_.ip_bounces && s.decided_until <= now) {
      DecideIp(ip, r, "backscatter-ip",
               "backscatter: " + std::to_string(n) + " bounces from " + ip + " within " +
                   std::to_string(o_.ip_window / kUsPerSecond) + " s",
               s.evidence, out);
    }
  }

  // Per subject.
  if (!r.subject) return;
  const std::string key = NormalizeSubject(*r.subject);
  if (key.empty() ||
      !Admit(subjects_, &next_subject_sweep_, key, o_.max_subjects, o_.subject_window, now))
    return;
  auto [it, fresh] = subjects_.try_emplace(key);
  SubjectState& s = it->second;
  if (fresh) s.ring = Ring(o_.subject_window, o_.buckets);
  s.ring.Add(t);
  s.last = std::max(s.last, now);
  AddCapped(&s.raw, *r.subject, kMaxRawForms);
  if (!r.qid.empty()) AddCapped(&s.evidence, r.qid, kMaxEvidence);
  auto seen = std::find_if(s.ips.begin(), s.ips.end(), [&](const auto& c) { return c.ip == ip; });
  if (seen != s.ips.end()) {
    if (seen->last < t - o_.subject_window) seen->count = 0;  // a new episode
    seen->last = std::max(seen->last, t);
    ++seen->count;
  } else if (s.ips.size() < kMaxIpsPerSubject) {
    s.ips.push_back({ip, t, 1});
  } else {  // full: replace the stalest
    *std::min_element(s.ips.begin(), s.ips.end(),
                      [](const auto& a, const auto& b) { return a.last < b.last; }) = {ip, t, 1};
  }
  const std::string quoted = "'" + key + "'";
  if (s.blocked_until > now) {
    // The subject is blocked: whoever sends it now is part of the flood.
    DecideIp(ip, r, "backscatter-subject",
             "backscatter: sent the blocked subject " + quoted + " during its block", {r.qid}, out);
    return;
  }
  const int n = s.ring.Count(now);
  int distinct = 0;
  for (const auto& c : s.ips) distinct += c.last >= now - o_.subject_window;
  if (n < o_.subject_bounces || distinct < o_.subject_min_ips) return;
  s.blocked_until = now + o_.block_period;
  const std::string why = "backscatter flood: subject " + quoted + " " + std::to_string(n) +
                          " bounces / " + std::to_string(o_.subject_window / kUsPerSecond) +
                          " s from " + std::to_string(distinct) + " IPs";
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
  for (const auto& c : s.ips)
    if (c.last >= now - o_.subject_window && c.count >= o_.subject_ip_bounces)
      DecideIp(c.ip, r, "backscatter-subject", why, s.evidence, out);
}

}  // namespace mailtrail
