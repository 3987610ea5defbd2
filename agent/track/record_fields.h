// The one description of a record's fields: each member of MessageRecord and
// of the structs it holds, once, with its name and what keeps it. Code that
// must handle every field walks these lists instead of naming the members:
// the spool's binary codec (agent/store/record_codec.cc), the checkpoint's
// open messages (agent/track/record_state.cc), both stores' columns, writes and
// reads (agent/store/record_columns.h), the record's JSON
// (agent/track/record_json.cc), and the tests' record with every field set
// (tests/support/every_field.h), which each codec, store and output must give
// back whole. A new field is added here and to the struct (a field of a new
// type: each walker fails to compile until it learns the type); a stored one
// also needs its column in a schema migration of each store (schema/), the one
// step left by hand; one in the JSON, its text in tests/track/record_json_test.cc.
//
// ForEachField(x, visit) calls visit(Field, member) for each field of x in a
// fixed order (the binary codec's: never reorder); x may be const. The JSON
// contract of `search --format jsonl` is docs/record.md: its key order is
// json_at, not this order.
#ifndef MAILTRAIL_AGENT_TRACK_RECORD_FIELDS_H_
#define MAILTRAIL_AGENT_TRACK_RECORD_FIELDS_H_

#include <concepts>
#include <cstdint>
#include <type_traits>

#include "agent/track/record.h"

namespace mailtrail {

// What keeps a field: a store at this detail level or above (docs/reporting.md),
// or only the agent (the checkpoint and the spool), never a store's rows.
enum class Keep : uint8_t { kMinimal, kStandard, kFull, kAgent };

// How the stores keep a field in their rows (agent/store/record_columns.h).
enum class Stored : uint8_t {
  kValue,     // as it is: text, integer, real, an enum's number
  kNot,       // in no column: agent-only, or derived when read (has_client)
  kAddress,   // a repeated text, an id in a dictionary: an e-mail address,
  kHostName,  // a host name (also HELO, relay),
  kSasl,      // a SASL login name,
  kSubject,   // a subject (MySQL: a dictionary id; SQLite: the text itself)
  kIp,        // an IP address as its 4 or 16 bytes (a BLOB)
  kSeconds,   // a time in whole seconds
  kQids,      // a list of queue ids, joined by ' '
  kEncoded,   // a list in one column (agent/store/sqlite_codec.h)
  kRows,      // one row each in a table of its own (recipients: rcpt)
  kColumns,   // an optional struct: its fields as columns COLUMN_FIELD; absent
              // when its first column is NULL
};

// Which value of a field its column holds as NULL (read back as that value).
enum class Unknown : uint8_t {
  kEmpty,     // an empty text or list, 0 (the default)
  kNegative,  // a number below 0 (read back as -1)
  kNever,     // none: the column always holds the value
};

struct Field {
  const char* name;
  Keep keep;
  // The spool codec's version that added the field: a batch of an older
  // version has its default.
  int since = 1;
  // An int64_t that holds a time (TimeUs): readers of saved state check its
  // range (agent/track/json_number.h).
  bool time = false;
  // The stores' column, when its name is not the field's.
  const char* column = nullptr;
  Stored stored = Stored::kValue;
  Unknown unknown = Unknown::kEmpty;
  // status_text: kept at standard detail too when the recipient was not
  // delivered (KeepsStatusText, agent/store/record_columns.h).
  bool kept_when_undelivered = false;
  // In the record's JSON (docs/record.md, agent/track/record_json.cc): its
  // key's place among its object's keys (-1: not in the JSON), the key when
  // not the field's name, and the object it sits in (see json_gate). Its value
  // is null when `unknown` says so (a text of kNever: always a string).
  int json_at = -1;
  const char* json = nullptr;
  const char* json_in = nullptr;
  // A bool that says whether the fields json_in its key are there: null when
  // false, else an object of them, or, when it has one member of its own key
  // (score), that member's value.
  bool json_gate = false;
  bool json_omit_empty = false;  // a list left out when empty

  // Set the store attributes one by one: Field{"sasl_username", ...}.Column("sasl").
  constexpr Field Column(const char* c) const { return With(&Field::column, c); }
  constexpr Field As(Stored s) const { return With(&Field::stored, s); }
  constexpr Field Null(Unknown u) const { return With(&Field::unknown, u); }
  constexpr Field KeptWhenUndelivered() const { return With(&Field::kept_when_undelivered, true); }
  constexpr Field Json(int at, const char* key = nullptr) const {
    return With(&Field::json_at, at).With(&Field::json, key);
  }
  constexpr Field JsonIn(const char* object, int at, const char* key = nullptr) const {
    return Json(at, key).With(&Field::json_in, object);
  }
  constexpr Field JsonGate() const { return With(&Field::json_gate, true); }
  constexpr Field JsonOmitEmpty() const { return With(&Field::json_omit_empty, true); }

 private:
  template <typename M, typename T>
  constexpr Field With(M Field::*member, T value) const {
    Field f = *this;
    f.*member = value;
    return f;
  }
};

template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, RecipientRecord>
void ForEachField(R& x, V&& visit) {
  using S = Stored;
  visit(
      Field{"address", Keep::kMinimal}.Column("addr").As(S::kAddress).Null(Unknown::kNever).Json(0),
      x.address);
  visit(Field{"orig_address", Keep::kStandard}.Column("orig").As(S::kAddress).Json(1),
        x.orig_address);
  visit(Field{"outcome", Keep::kMinimal}.Null(Unknown::kNever).Json(2), x.outcome);
  visit(Field{"dsn", Keep::kStandard}.Json(3), x.dsn);
  visit(Field{"relay", Keep::kStandard}.As(S::kHostName).Json(4), x.relay);
  visit(Field{"status_text", Keep::kFull}.KeptWhenUndelivered().Json(5), x.status_text);
  visit(Field{"delay", Keep::kStandard}.Null(Unknown::kNegative).Json(6), x.delay);
  visit(Field{"attempts", Keep::kStandard}.Null(Unknown::kNever).Json(7), x.attempts);
  visit(Field{"time", Keep::kStandard, 1, true}.As(S::kSeconds).Json(8), x.time);
}

template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, RejectInfo>
void ForEachField(R& x, V&& visit) {
  // action first and never NULL: it says the reject is there.
  visit(Field{"action", Keep::kStandard}.Null(Unknown::kNever).Json(0), x.action);
  visit(Field{"stage", Keep::kStandard}.Json(1), x.stage);
  visit(Field{"code", Keep::kStandard}.Json(2), x.code);
  visit(Field{"dsn", Keep::kStandard}.Json(3), x.dsn);
  visit(Field{"text", Keep::kStandard}.Null(Unknown::kNever).Json(4), x.text);
}

// Kept in one column, the list's "scans" (EncodeScans): not a column each.
template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, ScanResult>
void ForEachField(R& x, V&& visit) {
  visit(Field{"scanner", Keep::kStandard}.Null(Unknown::kNever).Json(0), x.scanner);
  visit(Field{"verdict", Keep::kStandard}.Null(Unknown::kNever).Json(2), x.verdict);
  visit(Field{"action", Keep::kStandard}.Null(Unknown::kNever).Json(1), x.action);
  visit(Field{"score", Keep::kStandard}.Null(Unknown::kNever).JsonIn("score", 0), x.score);
  visit(Field{"has_score", Keep::kStandard}.Json(3, "score").JsonGate(), x.has_score);
}

// Kept in one column, the list's "events" (EncodeEvents).
template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, RecordEvent>
void ForEachField(R& x, V&& visit) {
  visit(Field{"time", Keep::kFull, 1, true}.Null(Unknown::kNever).Json(0), x.time);
  visit(Field{"program", Keep::kFull}.Null(Unknown::kNever).Json(1), x.program);
  visit(Field{"text", Keep::kFull}.Null(Unknown::kNever).Json(2), x.text);
}

template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, MessageRecord>
void ForEachField(R& r, V&& visit) {
  using S = Stored;
  constexpr Unknown kNever = Unknown::kNever;
  visit(Field{"host", Keep::kMinimal}.As(S::kHostName).Null(kNever).Json(0), r.host);
  visit(Field{"qid", Keep::kMinimal}.Json(1), r.qid);
  visit(Field{"message_id", Keep::kStandard}.Json(2), r.message_id);
  visit(Field{"first_seen", Keep::kMinimal, 1, true}.As(S::kSeconds).Null(kNever).Json(3),
        r.first_seen);
  visit(Field{"last_seen", Keep::kMinimal, 1, true}.As(S::kSeconds).Null(kNever).Json(4),
        r.last_seen);
  // Read back as true when the client's address or name is there.
  visit(Field{"has_client", Keep::kMinimal}.As(S::kNot).Json(5, "client").JsonGate(), r.has_client);
  visit(Field{"client_ip", Keep::kMinimal}.As(S::kIp).JsonIn("client", 0, "ip"), r.client_ip);
  visit(Field{"client_host", Keep::kStandard}.As(S::kHostName).JsonIn("client", 1, "hostname"),
        r.client_host);
  visit(Field{"helo", Keep::kStandard}.As(S::kHostName).JsonIn("client", 2), r.helo);
  visit(Field{"sasl_username", Keep::kStandard}.Column("sasl").As(S::kSasl).Json(6),
        r.sasl_username);
  visit(Field{"sender", Keep::kMinimal}.As(S::kAddress).Json(7), r.sender);
  visit(Field{"subject", Keep::kStandard}.As(S::kSubject).Json(8), r.subject);
  visit(Field{"header_from", Keep::kStandard}.Json(19), r.header_from);
  visit(Field{"size", Keep::kMinimal}.Null(Unknown::kNegative).Json(9), r.size);
  visit(Field{"nrcpt", Keep::kStandard}.Null(Unknown::kNegative), r.nrcpt);
  visit(Field{"outcome", Keep::kMinimal}.Null(kNever).Json(10), r.outcome);
  visit(Field{"end", Keep::kMinimal}.Column("end_reason").Null(kNever).Json(20), r.end);
  visit(Field{"recipients", Keep::kMinimal}.Column("rcpt").As(S::kRows).Json(11), r.recipients);
  visit(Field{"reject", Keep::kStandard}.As(S::kColumns).Json(12), r.reject);
  visit(Field{"scans", Keep::kStandard}.As(S::kEncoded).Json(13), r.scans);
  visit(Field{"parent_qid", Keep::kStandard}.Json(14), r.parent_qid);
  visit(Field{"child_qids", Keep::kStandard}.As(S::kQids).Json(15), r.child_qids);
  visit(Field{"ndr_qid", Keep::kStandard}.Json(16), r.ndr_qid);
  visit(Field{"ndr_of", Keep::kStandard}.Json(17), r.ndr_of);
  visit(Field{"notice_qids", Keep::kStandard}.As(S::kQids).Json(18), r.notice_qids);
  visit(Field{"events", Keep::kFull}.As(S::kEncoded).Json(21).JsonOmitEmpty(), r.events);
  visit(Field{"is_update", Keep::kAgent}.As(S::kNot), r.is_update);
  visit(Field{"dsn_report", Keep::kAgent, 2}.As(S::kNot), r.dsn_report);
  visit(Field{"returned_message_ids", Keep::kAgent, 2}.As(S::kNot), r.returned_message_ids);
  visit(Field{"sender_cut", Keep::kAgent, 3}.As(S::kNot), r.sender_cut);
}

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_RECORD_FIELDS_H_
