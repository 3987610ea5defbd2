// MessageTracker::SaveState / LoadState: the open messages, smtpd sessions and
// timers as JSON, so that a restarted agent continues exactly where it stopped
// (a deferred message is not split into two records by a restart).
// The format is internal (versioned by "v"); an unreadable state is an error,
// never half-loaded.
#include <nlohmann/json.hpp>

#include "agent/track/tracker.h"
#include "agent/track/tracker_internal.h"

namespace mailtrail {

namespace {

using nlohmann::json;
constexpr int kStateVersion = 2;

json OptStr(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
std::optional<std::string> OptStr(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<std::string>();
}

json RecordToJson(const MessageRecord& r) {
  json rc = json::array();
  for (const auto& x : r.recipients)
    rc.push_back({x.address, x.orig_address, static_cast<int>(x.outcome), x.dsn, x.relay,
                  x.status_text, x.delay, x.attempts, x.time});
  json scans = json::array();
  for (const auto& s : r.scans)
    scans.push_back({s.scanner, s.verdict, s.action, s.score, s.has_score});
  json events = json::array();
  for (const auto& e : r.events) events.push_back({e.time, e.program, e.text});
  json reject = nullptr;
  if (r.reject)
    reject = {r.reject->action, r.reject->stage, r.reject->code, r.reject->dsn, r.reject->text};
  return {{"host", r.host},
          {"qid", r.qid},
          {"mid", OptStr(r.message_id)},
          {"t", {r.first_seen, r.last_seen}},
          {"client", {r.has_client, r.client_ip, r.client_host, r.helo}},
          {"sasl", r.sasl_username},
          {"sender", OptStr(r.sender)},
          {"subject", OptStr(r.subject)},
          {"hfrom", OptStr(r.header_from)},
          {"size", r.size},
          {"nrcpt", r.nrcpt},
          {"rcpt", rc},
          {"reject", reject},
          {"scans", scans},
          {"links", {r.parent_qid, r.child_qids, r.ndr_qid, r.ndr_of, r.notice_qids}},
          {"events", events}};
}

MessageRecord RecordFromJson(const json& j) {
  MessageRecord r;
  r.host = j.at("host").get<std::string>();
  r.qid = j.at("qid").get<std::string>();
  r.message_id = OptStr(j.at("mid"));
  r.first_seen = j.at("t").at(0).get<TimeUs>();
  r.last_seen = j.at("t").at(1).get<TimeUs>();
  const json& c = j.at("client");
  r.has_client = c.at(0).get<bool>();
  r.client_ip = c.at(1).get<std::string>();
  r.client_host = c.at(2).get<std::string>();
  r.helo = c.at(3).get<std::string>();
  r.sasl_username = j.at("sasl").get<std::string>();
  r.sender = OptStr(j.at("sender"));
  r.subject = OptStr(j.at("subject"));
  r.header_from = OptStr(j.at("hfrom"));
  r.size = j.at("size").get<int64_t>();
  r.nrcpt = j.at("nrcpt").get<int>();
  for (const json& x : j.at("rcpt")) {
    RecipientRecord rc;
    rc.address = x.at(0).get<std::string>();
    rc.orig_address = x.at(1).get<std::string>();
    const int o = x.at(2).get<int>();
    if (o < 0 || o >= kOutcomeCount) throw json::other_error::create(501, "bad outcome", nullptr);
    rc.outcome = static_cast<Outcome>(o);
    rc.dsn = x.at(3).get<std::string>();
    rc.relay = x.at(4).get<std::string>();
    rc.status_text = x.at(5).get<std::string>();
    rc.delay = x.at(6).get<double>();
    rc.attempts = x.at(7).get<int>();
    rc.time = x.at(8).get<TimeUs>();
    r.recipients.push_back(std::move(rc));
  }
  if (!j.at("reject").is_null()) {
    const json& x = j.at("reject");
    r.reject =
        RejectInfo{x.at(0).get<std::string>(), x.at(1).get<std::string>(), x.at(2).get<int>(),
                   x.at(3).get<std::string>(), x.at(4).get<std::string>()};
  }
  for (const json& x : j.at("scans"))
    r.scans.push_back({x.at(0).get<std::string>(), x.at(1).get<std::string>(),
                       x.at(2).get<std::string>(), x.at(3).get<double>(), x.at(4).get<bool>()});
  const json& l = j.at("links");
  r.parent_qid = l.at(0).get<std::string>();
  r.child_qids = l.at(1).get<std::vector<std::string>>();
  r.ndr_qid = l.at(2).get<std::string>();
  r.ndr_of = l.at(3).get<std::string>();
  r.notice_qids = l.at(4).get<std::vector<std::string>>();
  for (const json& x : j.at("events"))
    r.events.push_back(
        {x.at(0).get<TimeUs>(), x.at(1).get<std::string>(), x.at(2).get<std::string>()});
  return r;
}

}  // namespace

std::string MessageTracker::SaveState() const {
  json records = json::array();
  for (const auto& [key, o] : records_)
    records.push_back({RecordToJson(o->rec), o->generation, o->started, o->queued, o->held,
                       o->removed, o->emitted, o->changed});
  json sessions = json::array();
  for (const auto& [key, s] : sessions_) {
    json keys = json::array();
    s->record_keys.ForEach([&](const RecordKey& k) {
      keys.push_back({hosts_.Name(k.host), std::string(k.qid, k.len)});
    });
    json actions = json::array();
    for (const auto& a : s->actions)
      actions.push_back({a.action, a.rcpt, a.text, a.dsn, a.stage, a.sender, a.code});
    sessions.push_back({hosts_.Name(key.host), key.pid, key.client, s->last_seen,
                        s->noqueue ? RecordToJson(*s->noqueue) : json(nullptr), actions, keys});
  }
  json pending = json::array();
  for (const auto& p : pending_)
    pending.push_back({p.due, hosts_.Name(p.key.host), std::string(p.key.qid, p.key.len),
                       p.generation, p.session_end});
  const json state = {{"v", kStateVersion},        {"now", now_},
                      {"last_sweep", last_sweep_}, {"next_generation", next_generation_},
                      {"records", records},        {"sessions", sessions},
                      {"pending", pending}};
  return state.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status MessageTracker::LoadState(std::string_view bytes) {
  if (!records_.empty() || !sessions_.empty() || !pending_.empty())
    return Status::InvalidArgument("tracker state can only be loaded into a fresh tracker");
  try {
    const json state = json::parse(bytes);
    if (state.at("v").get<int>() != kStateVersion)
      return Status::Corruption("tracker state of an unknown version");
    // Parse everything before touching the tracker: all or nothing.
    std::vector<std::pair<RecordKey, std::unique_ptr<Open>>> records;
    for (const json& x : state.at("records")) {
      auto o = std::make_unique<Open>();
      o->rec = RecordFromJson(x.at(0));
      o->generation = x.at(1).get<uint64_t>();
      o->started = x.at(2).get<bool>();
      o->queued = x.at(3).get<bool>();
      o->held = x.at(4).get<bool>();
      o->removed = x.at(5).get<bool>();
      o->emitted = x.at(6).get<bool>();
      o->changed = x.at(7).get<bool>();
      RecordKey key(hosts_.Id(o->rec.host), o->rec.qid);
      records.emplace_back(key, std::move(o));
    }
    std::vector<std::pair<SessionKey, std::unique_ptr<Session>>> sessions;
    for (const json& x : state.at("sessions")) {
      auto s = std::make_unique<Session>();
      SessionKey key{hosts_.Id(x.at(0).get<std::string>()), x.at(1).get<uint32_t>(),
                     x.at(2).get<uint64_t>()};
      s->last_seen = x.at(3).get<TimeUs>();
      if (!x.at(4).is_null()) s->noqueue = std::make_unique<MessageRecord>(RecordFromJson(x.at(4)));
      for (const json& a : x.at(5))
        s->actions.push_back({a.at(0).get<std::string>(), a.at(1).get<std::string>(),
                              a.at(2).get<std::string>(), a.at(3).get<std::string>(),
                              a.at(4).get<std::string>(), a.at(5).get<std::string>(),
                              a.at(6).get<int>()});
      for (const json& k : x.at(6))
        s->record_keys.push_back(
            RecordKey(hosts_.Id(k.at(0).get<std::string>()), k.at(1).get<std::string>()));
      sessions.emplace_back(key, std::move(s));
    }
    std::deque<Pending> pending;
    for (const json& x : state.at("pending"))
      pending.push_back(
          {x.at(0).get<TimeUs>(),
           RecordKey(hosts_.Id(x.at(1).get<std::string>()), x.at(2).get<std::string>()),
           x.at(3).get<uint64_t>(), x.at(4).get<bool>()});
    now_ = state.at("now").get<TimeUs>();
    last_sweep_ = state.at("last_sweep").get<TimeUs>();
    next_generation_ = state.at("next_generation").get<uint64_t>();
    for (auto& [k, o] : records) records_.emplace(k, std::move(o));
    for (auto& [k, s] : sessions) sessions_.emplace(k, std::move(s));
    pending_ = std::move(pending);
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("tracker state: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace mailtrail
