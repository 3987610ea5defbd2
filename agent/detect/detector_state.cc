// FloodDetector::SaveState/LoadState: the detector's memory as JSON, for the
// agent's checkpoint (issue 19 item 8: ten SIGKILLs during a flood used to
// empty the windows ten times, and the flood was never decided).
//
// {"v":1, "subjects":[...], "ips":[...], "rules":[names], "rule_keys":[...],
//  "outbound":[[key, credits, learned], ...], "counts":[untracked, bounces, answers...],
//  "fleet_answers":{"unshared":[[key, credits, learned], ...], "read":[[agent, seq], ...],
//                   "written":seq},
//  "counted_open":[[host, qid, arrived, noted], ...]}
// A ring is saved as [[bucket start (µs), count], ...]: loading adds them
// again, so a window or bucket count changed meanwhile still counts them.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "agent/detect/flood_detector.h"
#include "agent/track/json_number.h"

namespace mailtrail {

using nlohmann::json;

struct DetectorStateCodec {
  using D = FloodDetector;

  static json Ring(const D::Ring& r) {
    json out = json::array();
    for (const auto& [idx, n] : r.slots_)
      if (idx != D::Ring::kEmpty && n > 0) out.push_back({idx * r.width_, n});
    return out;
  }
  static void Ring(const json& j, D::Ring* r) {
    for (const json& s : j) r->Add(TimeFromJson(s.at(0)), IntFromJson<int>(s.at(1)));
  }
  static json Strings(const std::vector<std::string>& v) { return v; }
  static std::vector<std::string> Strings(const json& j) {
    std::vector<std::string> v;
    for (const json& s : j) v.push_back(s.get<std::string>());
    return v;
  }

  static json IpState(const std::string& key, const D::IpState& s) {
    return {key, Ring(s.ring), Strings(s.evidence), s.last, s.decided_until};
  }
  static void IpState(const json& j, TimeUs window, int buckets,
                      std::unordered_map<std::string, D::IpState>* map) {
    D::IpState& s = (*map)[j.at(0).get<std::string>()];
    s.ring = D::Ring(window, buckets);
    Ring(j.at(1), &s.ring);
    s.evidence = Strings(j.at(2));
    s.last = TimeFromJson(j.at(3));
    s.decided_until = TimeFromJson(j.at(4));
  }

  static std::string Save(const D& d) {
    json subjects = json::array();
    for (const auto& [key, s] : d.subjects_) {
      json clients = json::array();
      for (const auto& c : s.ips) clients.push_back({c.ip, c.last, c.recent, c.next});
      subjects.push_back({key, Ring(s.ring), clients, Strings(s.raw), Strings(s.evidence), s.last,
                          s.flood_until, s.last_answer, s.answered, s.answers});
    }
    json ips = json::array();
    for (const auto& [key, s] : d.ips_) ips.push_back(IpState(key, s));
    json rules = json::array(), rule_keys = json::array();
    if (d.rules_)
      for (const auto& spec : d.rules_->specs()) rules.push_back(spec.name);
    for (const auto& [key, s] : d.rule_keys_) rule_keys.push_back(IpState(key, s));
    // Least recently learned first, so that loading rebuilds that order.
    json outbound = json::array();
    for (const std::string* key : d.outbound_.order_) {
      const OutboundMemory::Entry& e = d.outbound_.keys_.at(*key);
      outbound.push_back({*key, e.credits, e.learned});
    }
    // Fleet-wide answers: this agent's not yet published, and where it stands
    // in the others' (a restart must neither read them again nor skip any).
    json unshared = json::array(), read = json::array();
    for (const SharedAnswer& a : d.outbound_.unshared_)
      unshared.push_back({a.key, a.credits, a.learned});
    for (const auto& [agent, seq] : d.answer_cursor_.read) read.push_back({agent, seq});
    // How long each other agent's presence has stood still: a restart goes
    // on from there, and one gone is forgotten however often this one restarts.
    json heard = json::array();
    for (const auto& [agent, h] : d.answer_cursor_.heard)
      heard.push_back({agent, h.seen, h.seq, h.stood, h.born});
    json fleet = {{"unshared", unshared},
                  {"read", read},
                  {"written", d.answer_cursor_.written},
                  {"heard", heard}};
    // Bounces counted while open: their close counts them no more.
    json counted_open = json::array();
    for (const CountedOpen::Saved& c : d.counted_open_.Save())
      counted_open.push_back({c.key.host, c.key.qid, c.key.arrived, c.noted});
    json counts = {d.untracked_, d.bounces_};
    for (int64_t a : d.answers_) counts.push_back(a);
    json j = {{"v", 1},           {"subjects", subjects},   {"ips", ips},
              {"rules", rules},   {"rule_keys", rule_keys}, {"outbound", outbound},
              {"counts", counts}, {"fleet_answers", fleet}, {"counted_open", counted_open}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  // Beyond any window (7 days at most): an edited or broken value does not
  // overflow the sums of PlanAnswerExchange.
  static constexpr int64_t kMaxStood = 8LL * 86400 * kUsPerSecond;

  static void Load(const json& j, D* d) {
    if (IntFromJson<int>(j.at("v")) != 1) throw json::other_error::create(501, "version", &j);
    const DetectorOptions& o = d->o_;
    for (const json& x : j.at("subjects")) {
      D::SubjectState& s = d->subjects_[x.at(0).get<std::string>()];
      s.ring = D::Ring(o.subject_window, o.buckets);
      Ring(x.at(1), &s.ring);
      for (const json& c : x.at(2)) {
        D::SubjectState::Client client{c.at(0).get<std::string>(), TimeFromJson(c.at(1)), {}, 0};
        for (const json& t : c.at(2)) client.recent.push_back(TimeFromJson(t));
        client.next = IntFromJson<size_t>(c.at(3));
        // A changed subject_source_bounces: the latest arrivals, as a fresh ring.
        const size_t keep = static_cast<size_t>(std::max(1, o.subject_source_bounces));
        if (client.recent.size() > keep || client.next >= std::max<size_t>(1, keep)) {
          std::sort(client.recent.begin(), client.recent.end());
          if (client.recent.size() > keep)
            client.recent.erase(client.recent.begin(), client.recent.end() - keep);
          client.next = 0;
        }
        s.ips.push_back(std::move(client));
      }
      s.raw = Strings(x.at(3));
      s.evidence = Strings(x.at(4));
      s.last = TimeFromJson(x.at(5));
      s.flood_until = TimeFromJson(x.at(6));
      s.last_answer = TimeFromJson(x.at(7));
      s.answered = x.at(8).get<bool>();
      s.answers = IntFromJson<int64_t>(x.at(9));
    }
    for (const json& x : j.at("ips")) IpState(x, o.ip_window, o.buckets, &d->ips_);
    // A content rule's slots are keyed by its index: kept only while the rules
    // are the same ones (a changed configuration starts them afresh).
    std::vector<std::string> names;
    if (d->rules_)
      for (const auto& spec : d->rules_->specs()) names.push_back(spec.name);
    if (Strings(j.at("rules")) == names) {
      for (const json& x : j.at("rule_keys")) {
        const std::string slot = x.at(0).get<std::string>();
        const size_t i = static_cast<size_t>(std::stoul(slot.substr(0, slot.find('\t'))));
        if (i < names.size()) IpState(x, d->rules_->specs()[i].window, o.buckets, &d->rule_keys_);
      }
    }
    for (const json& x : j.at("outbound"))
      d->outbound_.Add(x.at(0).get<std::string>(), IntFromJson<int>(x.at(1)), TimeFromJson(x.at(2)),
                       /*set=*/true);
    if (auto f = j.find("fleet_answers"); f != j.end()) {  // absent in older states
      std::vector<SharedAnswer> unshared;
      for (const json& x : f->at("unshared"))
        unshared.push_back(
            {"", 0, x.at(0).get<std::string>(), TimeFromJson(x.at(2)), IntFromJson<int>(x.at(1))});
      d->outbound_.KeepUnshared(unshared);
      for (const json& x : f->at("read"))
        d->answer_cursor_.read[x.at(0).get<std::string>()] = IntFromJson<int64_t>(x.at(1));
      d->answer_cursor_.written = IntFromJson<int64_t>(f->at("written"));
      if (auto h = f->find("heard"); h != f->end())  // absent in older states
        for (const json& x : *h)
          d->answer_cursor_.heard[x.at(0).get<std::string>()] = {
              IntFromJson<int64_t>(x.at(1)), IntFromJson<int64_t>(x.at(2)),
              std::clamp<int64_t>(IntFromJson<int64_t>(x.at(3)), 0, kMaxStood),
              // Saved before incarnations: unknown, so that the agent's row
              // made since (born set) is not taken for a new one (helper-81).
              x.size() > 4 ? IntFromJson<int64_t>(x.at(4)) : HeardAgent::kBornUnknown};
    }
    if (auto c = j.find("counted_open"); c != j.end()) {  // absent in older states
      std::vector<CountedOpen::Saved> saved;
      for (const json& x : *c)
        saved.push_back(
            {{x.at(0).get<std::string>(), x.at(1).get<std::string>(), TimeFromJson(x.at(2))},
             TimeFromJson(x.at(3))});
      d->counted_open_.Load(saved);
    }
    const json& counts = j.at("counts");
    d->untracked_ = IntFromJson<int64_t>(counts.at(0));
    d->bounces_ = IntFromJson<int64_t>(counts.at(1));
    for (int k = 0; k < kAnswerKinds && static_cast<size_t>(k) + 2 < counts.size(); ++k)
      d->answers_[k] = IntFromJson<int64_t>(counts.at(static_cast<size_t>(k) + 2));
  }
};

std::string FloodDetector::SaveState() const { return DetectorStateCodec::Save(*this); }

Status FloodDetector::LoadState(std::string_view text) {
  subjects_.clear();
  ips_.clear();
  rule_keys_.clear();
  outbound_ = OutboundMemory(o_.answers);
  answer_cursor_ = {};
  counted_open_ = CountedOpen();
  untracked_ = bounces_ = 0;
  std::fill(std::begin(answers_), std::end(answers_), 0);
  try {
    DetectorStateCodec::Load(json::parse(text), this);
  } catch (const std::exception& e) {  // json's, and stoul's on a damaged slot
    subjects_.clear();
    ips_.clear();
    rule_keys_.clear();
    outbound_ = OutboundMemory(o_.answers);
    answer_cursor_ = {};
    counted_open_ = CountedOpen();
    return Status::Corruption(std::string("detector state: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace mailtrail
