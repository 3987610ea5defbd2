#include "agent/track/record_state.h"

#include <nlohmann/json.hpp>

#include "agent/track/json_number.h"
#include "agent/track/record_fields.h"

namespace mailtrail {

namespace {

using nlohmann::json;

// Writes the members of one struct as an object's fields.
struct Write {
  JsonWriter* w;
  void operator()(Field f, const std::string& s) {
    if (!s.empty()) w->Str(f.name, s);
  }
  void operator()(Field f, const std::optional<std::string>& s) {
    if (s) w->Str(f.name, *s);
  }
  void operator()(Field f, int64_t v) { w->Int(f.name, v); }
  void operator()(Field f, int v) { w->Int(f.name, v); }
  void operator()(Field f, bool v) {
    if (v) w->Bool(f.name, true);
  }
  void operator()(Field f, double v) { w->Exact(f.name, v); }
  void operator()(Field f, Outcome o) { w->Int(f.name, static_cast<int>(o)); }
  void operator()(Field f, RecordEnd e) { w->Int(f.name, static_cast<int>(e)); }
  void operator()(Field f, const std::vector<std::string>& v) {
    if (!v.empty()) w->Strings(f.name, v);
  }
  template <typename T>
  void operator()(Field f, const std::vector<T>& v) {
    if (v.empty()) return;
    w->OpenArray(f.name);
    for (const T& x : v) Object(x);
    w->CloseArray();
  }
  template <typename T>
  void operator()(Field f, const std::optional<T>& o) {
    if (!o) return;
    w->Open(f.name);
    ForEachField(*o, *this);
    w->Close();
  }
  template <typename T>
  void Object(const T& x) {
    w->Open();
    ForEachField(x, *this);
    w->Close();
  }
};

template <typename E>
E EnumFromJson(const json& j, int count) {
  const int v = IntFromJson<int>(j);
  if (v < 0 || v >= count) throw json::other_error::create(501, "not a value of its enum", &j);
  return static_cast<E>(v);
}

// Reads the members of one struct from an object's fields; a missing field
// keeps the member's default.
struct Read {
  const json* j;
  const json* Find(Field f) const {
    auto it = j->find(f.name);
    return it == j->end() ? nullptr : &*it;
  }
  void operator()(Field f, std::string& s) {
    if (auto* v = Find(f)) s = v->get<std::string>();
  }
  void operator()(Field f, std::optional<std::string>& s) {
    if (auto* v = Find(f)) s = v->get<std::string>();
  }
  void operator()(Field f, int64_t& out) {
    if (auto* v = Find(f)) out = f.time ? TimeFromJson(*v) : IntFromJson<int64_t>(*v);
  }
  void operator()(Field f, int& out) {
    if (auto* v = Find(f)) out = IntFromJson<int>(*v);
  }
  void operator()(Field f, bool& out) {
    if (auto* v = Find(f)) out = v->get<bool>();
  }
  void operator()(Field f, double& out) {
    if (auto* v = Find(f)) out = v->get<double>();
  }
  void operator()(Field f, Outcome& out) {
    if (auto* v = Find(f)) out = EnumFromJson<Outcome>(*v, kOutcomeCount);
  }
  void operator()(Field f, RecordEnd& out) {
    if (auto* v = Find(f)) out = EnumFromJson<RecordEnd>(*v, kRecordEndCount);
  }
  void operator()(Field f, std::vector<std::string>& out) {
    if (auto* v = Find(f)) out = v->get<std::vector<std::string>>();
  }
  template <typename T>
  void operator()(Field f, std::vector<T>& out) {
    if (auto* v = Find(f))
      for (const json& x : *v) ForEachField(out.emplace_back(), Read{&ObjectAt(x)});
  }
  template <typename T>
  void operator()(Field f, std::optional<T>& out) {
    if (auto* v = Find(f)) ForEachField(out.emplace(), Read{&ObjectAt(*v)});
  }
  static const json& ObjectAt(const json& x) {
    if (!x.is_object()) throw json::type_error::create(302, "not an object", &x);
    return x;
  }
};

}  // namespace

void WriteRecordState(JsonWriter* w, const MessageRecord& r) { Write{w}.Object(r); }

MessageRecord RecordFromState(const nlohmann::json& j) {
  MessageRecord r;
  ForEachField(r, Read{&Read::ObjectAt(j)});
  return r;
}

}  // namespace mailtrail
