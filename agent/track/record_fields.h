// The one description of a record's fields: each member of MessageRecord and
// of the structs it holds, once, with its name and what keeps it. Code that
// must handle every field walks these lists instead of naming the members:
// the spool's binary codec (agent/store/record_codec.cc), the checkpoint's
// open messages (agent/track/record_state.cc), and the tests' record with
// every field set (tests/support/every_field.h), which each codec, store and
// output must give back whole. A new field is added here, to the struct, and
// to the stores' columns, which that test then checks.
//
// ForEachField(x, visit) calls visit(Field, member) for each field of x in a
// fixed order (the binary codec's); x may be const. The JSON contract of
// `search --format jsonl` is docs/record.md.
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

struct Field {
  const char* name;
  Keep keep;
  // The spool codec's version that added the field: a batch of an older
  // version has its default.
  int since = 1;
  // An int64_t that holds a time (TimeUs): readers of saved state check its
  // range (agent/track/json_number.h).
  bool time = false;
};

template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, RecipientRecord>
void ForEachField(R& x, V&& visit) {
  visit(Field{"address", Keep::kMinimal}, x.address);
  visit(Field{"orig_address", Keep::kStandard}, x.orig_address);
  visit(Field{"outcome", Keep::kMinimal}, x.outcome);
  visit(Field{"dsn", Keep::kStandard}, x.dsn);
  visit(Field{"relay", Keep::kStandard}, x.relay);
  // At standard detail when it says why the recipient was not delivered
  // (KeepsStatusText).
  visit(Field{"status_text", Keep::kFull}, x.status_text);
  visit(Field{"delay", Keep::kStandard}, x.delay);
  visit(Field{"attempts", Keep::kStandard}, x.attempts);
  visit(Field{"time", Keep::kStandard, 1, true}, x.time);
}

template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, RejectInfo>
void ForEachField(R& x, V&& visit) {
  visit(Field{"action", Keep::kStandard}, x.action);
  visit(Field{"stage", Keep::kStandard}, x.stage);
  visit(Field{"code", Keep::kStandard}, x.code);
  visit(Field{"dsn", Keep::kStandard}, x.dsn);
  visit(Field{"text", Keep::kStandard}, x.text);
}

template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, ScanResult>
void ForEachField(R& x, V&& visit) {
  visit(Field{"scanner", Keep::kStandard}, x.scanner);
  visit(Field{"verdict", Keep::kStandard}, x.verdict);
  visit(Field{"action", Keep::kStandard}, x.action);
  visit(Field{"score", Keep::kStandard}, x.score);
  visit(Field{"has_score", Keep::kStandard}, x.has_score);
}

template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, RecordEvent>
void ForEachField(R& x, V&& visit) {
  visit(Field{"time", Keep::kFull, 1, true}, x.time);
  visit(Field{"program", Keep::kFull}, x.program);
  visit(Field{"text", Keep::kFull}, x.text);
}

template <typename R, typename V>
requires std::same_as<std::remove_const_t<R>, MessageRecord>
void ForEachField(R& r, V&& visit) {
  visit(Field{"host", Keep::kMinimal}, r.host);
  visit(Field{"qid", Keep::kMinimal}, r.qid);
  visit(Field{"message_id", Keep::kStandard}, r.message_id);
  visit(Field{"first_seen", Keep::kMinimal, 1, true}, r.first_seen);
  visit(Field{"last_seen", Keep::kMinimal, 1, true}, r.last_seen);
  visit(Field{"has_client", Keep::kMinimal}, r.has_client);
  visit(Field{"client_ip", Keep::kMinimal}, r.client_ip);
  visit(Field{"client_host", Keep::kStandard}, r.client_host);
  visit(Field{"helo", Keep::kStandard}, r.helo);
  visit(Field{"sasl_username", Keep::kStandard}, r.sasl_username);
  visit(Field{"sender", Keep::kMinimal}, r.sender);
  visit(Field{"subject", Keep::kStandard}, r.subject);
  visit(Field{"header_from", Keep::kStandard}, r.header_from);
  visit(Field{"size", Keep::kMinimal}, r.size);
  visit(Field{"nrcpt", Keep::kStandard}, r.nrcpt);
  visit(Field{"outcome", Keep::kMinimal}, r.outcome);
  visit(Field{"end", Keep::kMinimal}, r.end);
  visit(Field{"recipients", Keep::kMinimal}, r.recipients);
  visit(Field{"reject", Keep::kStandard}, r.reject);
  visit(Field{"scans", Keep::kStandard}, r.scans);
  visit(Field{"parent_qid", Keep::kStandard}, r.parent_qid);
  visit(Field{"child_qids", Keep::kStandard}, r.child_qids);
  visit(Field{"ndr_qid", Keep::kStandard}, r.ndr_qid);
  visit(Field{"ndr_of", Keep::kStandard}, r.ndr_of);
  visit(Field{"notice_qids", Keep::kStandard}, r.notice_qids);
  visit(Field{"events", Keep::kFull}, r.events);
  visit(Field{"is_update", Keep::kAgent}, r.is_update);
  visit(Field{"dsn_report", Keep::kAgent, 2}, r.dsn_report);
  visit(Field{"returned_message_ids", Keep::kAgent, 2}, r.returned_message_ids);
}

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TRACK_RECORD_FIELDS_H_
