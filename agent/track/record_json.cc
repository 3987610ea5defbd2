#include "agent/track/record_json.h"

#include <optional>
#include <string_view>

#include "agent/track/record_fields.h"
#include "base/civil_time.h"
#include "base/json_writer.h"

namespace mailtrail {

namespace {

// Writes the JSON of struct `x` from its description (agent/track/
// record_fields.h): its keys in json_at order, one pass over the fields per key.
template <typename R>
class Emitter {
 public:
  Emitter(JsonWriter* w, const R& x) : w_(w), x_(x) {}

  // The keys of the object `in` (nullptr: the struct's own keys).
  void Keys(const char* in) {
    for (at_ = 0, more_ = true; more_; ++at_) {
      more_ = false;
      in_ = in;
      ForEachField(x_, *this);
    }
  }

  template <typename T>
  void operator()(Field f, const T& v) {
    if (f.json_at < 0) return;
    const bool mine = in_ == nullptr ? f.json_in == nullptr
                                     : f.json_in != nullptr && std::string_view(f.json_in) == in_;
    if (!mine) return;
    if (f.json_at > at_) more_ = true;
    if (f.json_at != at_) return;
    Value(f, f.json ? f.json : f.name, v);
  }

 private:
  void Value(const Field& f, const char* key, const std::string& v) {
    if (f.unknown == Unknown::kNever)
      w_->Str(key, v);
    else
      w_->NonEmptyOrNull(key, v);
  }
  void Value(const Field&, const char* key, const std::optional<std::string>& v) {
    w_->StrOrNull(key, v);
  }
  void Value(const Field& f, const char* key, int64_t v) {
    if (IsUnknown(f, v < 0, v == 0)) return w_->Null(key);
    if (f.time) return w_->Str(key, FormatRfc3339(v));
    w_->Int(key, v);
  }
  void Value(const Field& f, const char* key, int v) { Value(f, key, static_cast<int64_t>(v)); }
  void Value(const Field& f, const char* key, double v) {
    if (IsUnknown(f, v < 0, v == 0)) return w_->Null(key);
    w_->Num(key, v);
  }
  void Value(const Field& f, const char* key, bool v) {
    if (!f.json_gate) return w_->Bool(key, v);
    if (!v) return w_->Null(key);
    // A gate: its members, or the one member of its own key as its value.
    const std::string_view self = f.json ? f.json : f.name;
    if (HasMemberKeyed(self)) {
      Emitter inner(w_, x_);
      inner.Keys(key);
      return;
    }
    w_->Open(key);
    Emitter inner(w_, x_);
    inner.Keys(key);
    w_->Close();
  }
  void Value(const Field&, const char* key, Outcome v) { w_->Str(key, OutcomeName(v)); }
  void Value(const Field&, const char* key, RecordEnd v) { w_->Str(key, RecordEndName(v)); }
  void Value(const Field&, const char* key, const std::vector<std::string>& v) {
    w_->Strings(key, v);
  }
  template <typename T>
  void Value(const Field& f, const char* key, const std::vector<T>& v) {
    if (f.json_omit_empty && v.empty()) return;
    w_->OpenArray(key);
    for (const T& item : v) Object(nullptr, item);
    w_->CloseArray();
  }
  template <typename T>
  void Value(const Field&, const char* key, const std::optional<T>& v) {
    if (!v) return w_->Null(key);
    Object(key, *v);
  }
  template <typename T>
  void Object(const char* key, const T& part) {
    w_->Open(key);
    Emitter<T>(w_, part).Keys(nullptr);
    w_->Close();
  }

  static bool IsUnknown(const Field& f, bool negative, bool zero) {
    return f.unknown == Unknown::kNegative ? negative : f.unknown == Unknown::kEmpty && zero;
  }
  // Whether a member of gate `key` has that key itself (has_score and score).
  bool HasMemberKeyed(std::string_view key) const {
    bool found = false;
    ForEachField(x_, [&](Field f, const auto&) {
      if (f.json_in && key == f.json_in && key == (f.json ? f.json : f.name)) found = true;
    });
    return found;
  }

  JsonWriter* w_;
  const R& x_;
  int at_ = 0;
  bool more_ = false;
  const char* in_ = nullptr;
};

}  // namespace

// The keys, their order and their null rules are the description's
// (agent/track/record_fields.h); the contract is docs/record.md.
void AppendRecordJson(const MessageRecord& r, std::string* out) {
  JsonWriter w(out);
  w.Open();
  Emitter<MessageRecord>(&w, r).Keys(nullptr);
  w.Close();
}

}  // namespace mailtrail
