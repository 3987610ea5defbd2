// MessageTracker::SaveState / LoadState: the open messages, smtpd sessions and
// timers as JSON, so that a restarted agent continues exactly where it stopped
// (a deferred message is not split into two records by a restart).
// The format is internal (versioned by "v"); an unreadable state is an error,
// never half-loaded.
#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/track/json_number.h"
#include "agent/track/record_state.h"
#include "agent/track/tracker.h"
#include "agent/track/tracker_internal.h"
#include "base/json_writer.h"

namespace mailtrail {

namespace {

using nlohmann::json;
// 3: records as agent/track/record_state.h writes them; 2 is still read.
constexpr int kStateVersion = 3;

std::optional<std::string> OptStr(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<std::string>();
}

// A record of a version-2 state (saved before 2026-12-03, the last before the
// record's fields were described once: agent/track/record_fields.h), read so
// that an upgraded agent resumes its open messages.
MessageRecord RecordFromV2State(const json& j) {
  MessageRecord r;
  r.host = j.at("host").get<std::string>();
  r.qid = j.at("qid").get<std::string>();
  r.message_id = OptStr(j.at("mid"));
  r.first_seen = TimeFromJson(j.at("t").at(0));
  r.last_seen = TimeFromJson(j.at("t").at(1));
  const json& c = j.at("client");
  r.has_client = c.at(0).get<bool>();
  r.client_ip = c.at(1).get<std::string>();
  r.client_host = c.at(2).get<std::string>();
  r.helo = c.at(3).get<std::string>();
  r.sasl_username = j.at("sasl").get<std::string>();
  r.sender = OptStr(j.at("sender"));
  r.subject = OptStr(j.at("subject"));
  r.header_from = OptStr(j.at("hfrom"));
  if (auto d = j.find("dsn"); d != j.end()) r.dsn_report = d->get<bool>();
  r.size = IntFromJson<int64_t>(j.at("size"));
  r.nrcpt = IntFromJson<int>(j.at("nrcpt"));
  for (const json& x : j.at("rcpt")) {
    RecipientRecord rc;
    rc.address = x.at(0).get<std::string>();
    rc.orig_address = x.at(1).get<std::string>();
    const int o = IntFromJson<int>(x.at(2));
    if (o < 0 || o >= kOutcomeCount) throw json::other_error::create(501, "bad outcome", nullptr);
    rc.outcome = static_cast<Outcome>(o);
    rc.dsn = x.at(3).get<std::string>();
    rc.relay = x.at(4).get<std::string>();
    rc.status_text = x.at(5).get<std::string>();
    rc.delay = x.at(6).get<double>();
    rc.attempts = IntFromJson<int>(x.at(7));
    rc.time = TimeFromJson(x.at(8));
    r.recipients.push_back(std::move(rc));
  }
  if (!j.at("reject").is_null()) {
    const json& x = j.at("reject");
    r.reject = RejectInfo{x.at(0).get<std::string>(), x.at(1).get<std::string>(),
                          IntFromJson<int>(x.at(2)), x.at(3).get<std::string>(),
                          x.at(4).get<std::string>()};
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
        {TimeFromJson(x.at(0)), x.at(1).get<std::string>(), x.at(2).get<std::string>()});
  return r;
}

}  // namespace

// The whole state, or the changes since the last save ("changes": true): the
// messages touched since then ("records") and those closed ("closed", applied
// first: a queue id reused after its close is a new message), with the
// sessions and timers whole.
void MessageTracker::WriteState(std::string* out, const std::vector<const Open*>* changed) const {
  const bool only_changes = changed != nullptr;
  out->reserve(1024 * ((only_changes ? changed->size() : records_.size()) + sessions_.size()) +
               256);
  JsonWriter w(out);
  auto write_key = [&](const RecordKey& k) {
    w.OpenArray();
    w.Str(nullptr, hosts_.Name(k.host));
    w.Str(nullptr, std::string_view(k.qid, k.len));
    w.CloseArray();
  };
  auto write_open = [&](const Open& o) {
    w.OpenArray();
    WriteRecordState(&w, o.rec);
    w.Uint(nullptr, o.generation);
    for (bool b : {o.started, o.queued, o.held, o.removed, o.emitted, o.changed, o.accepted})
      w.Bool(nullptr, b);
    // Queue operations (since 2026-12-06), only when there is one: most
    // messages have none.
    if (!o.ident.empty() || !o.requeued_as.empty() || o.deleted || o.parent_by_ident) {
      w.OpenArray();
      w.Str(nullptr, o.ident);
      w.Str(nullptr, o.requeued_as);
      for (bool b : {o.deleted, o.parent_by_ident, o.requeued_file}) w.Bool(nullptr, b);
      w.CloseArray();
    }
    w.CloseArray();
  };
  w.Open();
  w.Int("v", kStateVersion);
  if (only_changes) w.Bool("changes", true);
  w.Int("now", now_);
  w.Int("last_sweep", last_sweep_);
  w.Uint("next_generation", next_generation_);
  w.OpenArray("records");
  if (only_changes) {
    for (const Open* o : *changed) write_open(*o);
  } else {
    for (const auto& [key, o] : records_) write_open(o);
  }
  w.CloseArray();
  if (only_changes) {
    w.OpenArray("closed");
    for (const RecordKey& k : closed_) write_key(k);
    w.CloseArray();
  }
  w.OpenArray("sessions");
  for (const auto& [key, s] : sessions_) {
    w.OpenArray();
    w.Str(nullptr, hosts_.Name(key.host));
    w.Uint(nullptr, key.pid);
    w.Uint(nullptr, key.client);
    w.Int(nullptr, s.last_seen);
    if (s.noqueue)
      WriteRecordState(&w, *s.noqueue);
    else
      w.Null(nullptr);
    w.OpenArray();
    for (const auto& a : s.actions) {
      w.OpenArray();
      for (const std::string* t : {&a.action, &a.rcpt, &a.text, &a.dsn, &a.stage, &a.sender})
        w.Str(nullptr, *t);
      w.Int(nullptr, a.code);
      w.CloseArray();
    }
    w.CloseArray();
    w.OpenArray();
    s.record_keys.ForEach(write_key);
    w.CloseArray();
    w.Str(nullptr, s.client_host);
    w.Str(nullptr, s.client_ip);
    w.Str(nullptr, s.sasl_username);
    w.OpenArray();  // since 2026-12-07: NOQUEUE rejects before a message's client=
    for (const auto& b : s.before_client) {
      w.OpenArray();
      write_key(b.message);
      WriteRecordState(&w, *b.rejects);
      w.CloseArray();
    }
    w.CloseArray();
    w.CloseArray();
  }
  w.CloseArray();
  w.OpenArray("pending");
  for (const auto* timers : {&pending_, &waits_after_delete_})
    for (const auto& p : *timers) {
      w.OpenArray();
      w.Int(nullptr, p.due);
      w.Str(nullptr, hosts_.Name(p.key.host));
      w.Str(nullptr, std::string_view(p.key.qid, p.key.len));
      w.Uint(nullptr, p.generation);
      w.Bool(nullptr, p.session_end);
      w.CloseArray();
    }
  w.CloseArray();
  w.Close();
}

std::string MessageTracker::SaveState() const {
  std::string out;
  WriteState(&out, nullptr);
  return out;
}

void MessageTracker::MarkSaved() {
  for (const RecordKey& k : touched_)
    if (auto it = records_.find(k); it != records_.end()) it->second.touched = false;
  touched_.clear();
  closed_.clear();
  note_changes_ = true;
}

std::string MessageTracker::SaveChanges() {
  std::string out;
  if (!note_changes_) {
    // Nothing saved to change from: the whole state, as its own base.
    out = SaveState();
    MarkSaved();
    return out;
  }
  // Each open message once (a key closed and opened again is listed twice);
  // clearing the flags here leaves none set, so the lists can simply go.
  std::vector<const Open*> changed;
  changed.reserve(touched_.size());
  for (const RecordKey& k : touched_) {
    auto it = records_.find(k);
    if (it == records_.end() || !it->second.touched) continue;
    it->second.touched = false;
    changed.push_back(&it->second);
  }
  WriteState(&out, &changed);
  touched_.clear();
  closed_.clear();
  return out;
}

// A state or change set, parsed whole before anything is applied.
struct MessageTracker::ParsedState {
  bool changes = false;
  TimeUs now = 0, last_sweep = 0;
  uint64_t next_generation = 0;
  std::vector<MessageRecord> records;
  std::vector<std::array<bool, 7>> flags;
  struct QueueOps {
    std::string ident, requeued_as;
    bool deleted = false, parent_by_ident = false, requeued_file = false;
  };
  std::vector<QueueOps> queue_ops;
  std::vector<uint64_t> generations;
  std::vector<std::pair<std::string, std::string>> closed;  // (host, qid)
  struct Session {
    std::string host;
    uint32_t pid;
    uint64_t client;
    TimeUs last_seen;
    std::unique_ptr<MessageRecord> noqueue;
    std::vector<std::array<std::string, 6>> actions;
    std::vector<int> codes;
    std::vector<std::pair<std::string, std::string>> keys;
    std::string client_host, client_ip, sasl_username;
    struct BeforeClient {
      std::string host, qid;
      std::unique_ptr<MessageRecord> rejects;
    };
    std::vector<BeforeClient> before_client;
  };
  std::vector<Session> sessions;
  struct Timer {
    TimeUs due;
    std::string host, qid;
    uint64_t generation;
    bool session_end;
  };
  std::vector<Timer> pending;
};

Status MessageTracker::ParseState(std::string_view bytes, ParsedState* out) {
  try {
    const json state = json::parse(bytes);
    const int version = IntFromJson<int>(state.at("v"));
    if (version != kStateVersion && version != 2)
      return Status::Corruption("tracker state of an unknown version");
    auto record = [version](const json& j) {
      return version == 2 ? RecordFromV2State(j) : RecordFromState(j);
    };
    out->changes = state.contains("changes") && state.at("changes").get<bool>();
    for (const json& x : state.at("records")) {
      out->records.push_back(record(x.at(0)));
      out->generations.push_back(IntFromJson<uint64_t>(x.at(1)));
      // The seventh (accepted) came on 2026-12-06: absent in older states.
      std::array<bool, 7> f{};
      for (size_t i = 0; i < f.size(); ++i)
        if (i < 6 || x.size() > 2 + i) f[i] = x.at(2 + i).get<bool>();
      out->flags.push_back(f);
      ParsedState::QueueOps q;
      if (x.size() > 9) {
        const json& y = x.at(9);
        q = {y.at(0).get<std::string>(), y.at(1).get<std::string>(), y.at(2).get<bool>(),
             y.at(3).get<bool>(), y.at(4).get<bool>()};
      }
      out->queue_ops.push_back(std::move(q));
    }
    if (out->changes)
      for (const json& k : state.at("closed"))
        out->closed.emplace_back(k.at(0).get<std::string>(), k.at(1).get<std::string>());
    for (const json& x : state.at("sessions")) {
      ParsedState::Session s;
      s.host = x.at(0).get<std::string>();
      s.pid = IntFromJson<uint32_t>(x.at(1));
      s.client = IntFromJson<uint64_t>(x.at(2));
      s.last_seen = TimeFromJson(x.at(3));
      if (!x.at(4).is_null()) s.noqueue = std::make_unique<MessageRecord>(record(x.at(4)));
      for (const json& a : x.at(5)) {
        std::array<std::string, 6> t;
        for (size_t i = 0; i < t.size(); ++i) t[i] = a.at(i).get<std::string>();
        s.actions.push_back(std::move(t));
        s.codes.push_back(IntFromJson<int>(a.at(6)));
      }
      for (const json& k : x.at(6))
        s.keys.emplace_back(k.at(0).get<std::string>(), k.at(1).get<std::string>());
      if (x.size() > 8) {  // since 2026-12-05: the client of its connect line
        s.client_host = x.at(7).get<std::string>();
        s.client_ip = x.at(8).get<std::string>();
      }
      if (x.size() > 9) s.sasl_username = x.at(9).get<std::string>();
      if (x.size() > 10)
        for (const json& b : x.at(10))
          s.before_client.push_back({b.at(0).at(0).get<std::string>(),
                                     b.at(0).at(1).get<std::string>(),
                                     std::make_unique<MessageRecord>(record(b.at(1)))});
      out->sessions.push_back(std::move(s));
    }
    for (const json& x : state.at("pending"))
      out->pending.push_back({TimeFromJson(x.at(0)), x.at(1).get<std::string>(),
                              x.at(2).get<std::string>(), IntFromJson<uint64_t>(x.at(3)),
                              x.at(4).get<bool>()});
    out->now = TimeFromJson(state.at("now"));
    out->last_sweep = TimeFromJson(state.at("last_sweep"));
    out->next_generation = IntFromJson<uint64_t>(state.at("next_generation"));
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("tracker state: ") + e.what());
  }
  return Status::Ok();
}

void MessageTracker::Apply(ParsedState&& p) {
  for (const auto& [host, qid] : p.closed) {
    const RecordKey key(hosts_.Id(host), qid);
    if (auto it = records_.find(key); it != records_.end()) {
      ForgetRequeuedFile(key, it->second);
      records_.erase(it);
    }
  }
  for (size_t i = 0; i < p.records.size(); ++i) {
    auto o = std::make_unique<Open>();
    o->rec = std::move(p.records[i]);
    o->generation = p.generations[i];
    const auto& f = p.flags[i];
    o->started = f[0];
    o->queued = f[1];
    o->held = f[2];
    o->removed = f[3];
    o->emitted = f[4];
    o->changed = f[5];
    o->accepted = f[6];
    auto& q = p.queue_ops[i];
    o->ident = std::move(q.ident);
    o->requeued_as = std::move(q.requeued_as);
    o->deleted = q.deleted;
    o->parent_by_ident = q.parent_by_ident;
    o->requeued_file = q.requeued_file;
    const RecordKey key(hosts_.Id(o->rec.host), o->rec.qid);
    if (o->requeued_file && !o->ident.empty()) RememberRequeuedFile(o->ident, key);
    records_.insert_or_assign(key, std::move(*o));
  }
  sessions_.clear();
  for (auto& x : p.sessions) {
    auto s = std::make_unique<Session>();
    s->last_seen = x.last_seen;
    s->noqueue = std::move(x.noqueue);
    for (size_t i = 0; i < x.actions.size(); ++i) {
      auto& a = x.actions[i];
      s->actions.push_back({std::move(a[0]), std::move(a[1]), std::move(a[2]), std::move(a[3]),
                            std::move(a[4]), std::move(a[5]), x.codes[i]});
    }
    for (const auto& [host, qid] : x.keys)
      s->record_keys.push_back(RecordKey(hosts_.Id(host), qid));
    s->client_host = std::move(x.client_host);
    s->client_ip = std::move(x.client_ip);
    s->sasl_username = std::move(x.sasl_username);
    for (auto& b : x.before_client)
      s->before_client.push_back({RecordKey(hosts_.Id(b.host), b.qid), std::move(b.rejects)});
    sessions_.emplace(SessionKey{hosts_.Id(x.host), x.pid, x.client}, std::move(*s));
  }
  // A timer due later than the grace from the saved clock waits after a
  // delete; each kind back in order of due (Schedule).
  pending_.clear();
  waits_after_delete_.clear();
  auto timers = p.pending;
  std::stable_sort(timers.begin(), timers.end(),
                   [](const auto& a, const auto& b) { return a.due < b.due; });
  for (const auto& t : timers)
    (t.due > p.now + options_.grace ? waits_after_delete_ : pending_)
        .push_back({t.due, RecordKey(hosts_.Id(t.host), t.qid), t.generation, t.session_end});
  now_ = p.now;
  last_sweep_ = p.last_sweep;
  next_generation_ = p.next_generation;
  // What was loaded is what the store holds: the base of the next changes.
  touched_.clear();
  closed_.clear();
  note_changes_ = true;
}

Status MessageTracker::LoadState(std::string_view bytes) {
  if (!records_.empty() || !sessions_.empty() || !pending_.empty() || !waits_after_delete_.empty())
    return Status::InvalidArgument("tracker state can only be loaded into a fresh tracker");
  ParsedState p;
  if (Status st = ParseState(bytes, &p); !st.ok()) return st;
  if (p.changes) return Status::Corruption("tracker state: a change set where a state belongs");
  Apply(std::move(p));
  return Status::Ok();
}

Status MessageTracker::ApplyChanges(std::string_view bytes) {
  ParsedState p;
  if (Status st = ParseState(bytes, &p); !st.ok()) return st;
  if (!p.changes) return Status::Corruption("tracker state: a state where a change set belongs");
  Apply(std::move(p));
  return Status::Ok();
}

}  // namespace mailtrail
