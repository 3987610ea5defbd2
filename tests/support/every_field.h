// EveryFieldRecord(): a MessageRecord with every field of
// agent/track/record_fields.h set to a value of its own, none at its default,
// each list with two entries. A codec or store given it must give it back
// whole (operator==), so a field that one side forgets fails the test. A new
// field in record_fields.h is filled here without a change; a field of a new
// type fails to compile until this file learns that type.
#ifndef MAILTRAIL_TESTS_SUPPORT_EVERY_FIELD_H_
#define MAILTRAIL_TESTS_SUPPORT_EVERY_FIELD_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/track/record_fields.h"
#include "agent/track/record_state.h"
#include "base/json_writer.h"

namespace mailtrail {
namespace every_field_internal {

// Fills each field with a value derived from a running counter, so no two
// fields hold the same value and a swap of two fields is seen too.
class Filler {
 public:
  // Keep::kAgent fields are left at their defaults unless `agent_fields`.
  explicit Filler(bool agent_fields) : agent_fields_(agent_fields) {}

  void operator()(Field f, std::string& v) {
    if (Skip(f)) return;
    // The stores keep a client address as an address (a BLOB of its bytes).
    if (std::string_view(f.name) == "client_ip") {
      v = "192.0.2." + std::to_string(Next());
      return;
    }
    v = std::string(f.name) + "-" + std::to_string(Next());
  }
  void operator()(Field f, std::optional<std::string>& v) {
    if (Skip(f)) return;
    v = std::string(f.name) + "-" + std::to_string(Next());
  }
  void operator()(Field f, int64_t& v) {
    if (Skip(f)) return;
    // A time: whole seconds in 2026 (stores keep microseconds, but the
    // JSON output is checked elsewhere); a size: a plain number.
    v = f.time ? int64_t{1795773600000000} + Next() * 1000000 : 1000 + Next();
  }
  void operator()(Field f, int& v) {
    if (Skip(f)) return;
    v = 100 + Next();
  }
  void operator()(Field f, double& v) {
    if (Skip(f)) return;
    v = Next() + 0.25;  // exact in binary and in decimal
  }
  void operator()(Field f, bool& v) {
    if (Skip(f)) return;
    v = true;
  }
  void operator()(Field f, Outcome& v) {
    if (Skip(f)) return;
    v = Outcome::kDeferred;
  }
  void operator()(Field f, RecordEnd& v) {
    if (Skip(f)) return;
    v = RecordEnd::kStale;
  }
  void operator()(Field f, std::vector<std::string>& v) {
    if (Skip(f)) return;
    v = {std::string(f.name) + "-" + std::to_string(Next()),
         std::string(f.name) + "-" + std::to_string(Next())};
  }
  template <typename T>
  void operator()(Field f, std::optional<T>& v) {
    if (Skip(f)) return;
    v.emplace();
    ForEachField(*v, *this);
  }
  template <typename T>
  void operator()(Field f, std::vector<T>& v) {
    if (Skip(f)) return;
    v.resize(2);
    for (T& x : v) ForEachField(x, *this);
  }

 private:
  bool Skip(Field f) const { return f.keep == Keep::kAgent && !agent_fields_; }
  int Next() { return ++n_; }
  bool agent_fields_;
  int n_ = 0;
};

}  // namespace every_field_internal

// With `agent_fields` false, the fields only the agent keeps (Keep::kAgent:
// checkpoint and spool) stay at their defaults, as a store gives them back.
inline MessageRecord EveryFieldRecord(bool agent_fields = true) {
  MessageRecord r;
  every_field_internal::Filler fill(agent_fields);
  ForEachField(r, fill);
  return r;
}

// gtest prints a record that fails EXPECT_EQ as the checkpoint's JSON of it:
// every field by name, so the one that differs can be seen.
inline void PrintTo(const MessageRecord& r, std::ostream* os) {
  std::string out;
  JsonWriter w(&out);
  WriteRecordState(&w, r);
  *os << out;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_EVERY_FIELD_H_
