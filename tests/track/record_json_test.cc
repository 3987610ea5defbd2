// The record's JSON (docs/record.md, a contract scripts depend on) against
// texts written by the hand-made encoder it replaced (2026-12-03): the JSON is
// now driven by agent/track/record_fields.h, and a changed key, order or null
// rule fails here. The records: every field set, every field at its default,
// and every part there with unknown values.
#include <gtest/gtest.h>

#include <string>

#include "agent/track/record_json.h"
#include "tests/support/every_field.h"

namespace mailtrail {
namespace {

std::string Json(const MessageRecord& r) {
  std::string out;
  AppendRecordJson(r, &out);
  return out;
}

TEST(RecordJson, EveryFieldIsWrittenInTheContractsOrder) {
  EXPECT_EQ(
      Json(EveryFieldRecord()),
      R"json({"host":"host-1","qid":"qid-2","message_id":"message_id-3","first_seen":"2026-11-27T10:00:04Z","last_seen":"2026-11-27T10:00:05Z","client":{"ip":"192.0.2.6","hostname":"client_host-7","helo":"helo-8"},"sasl_username":"sasl_username-9","sender":"sender-10","subject":"subject-11","size":1013,"outcome":"deferred","recipients":[{"address":"address-15","orig_address":"orig_address-16","outcome":"deferred","dsn":"dsn-17","relay":"relay-18","status_text":"status_text-19","delay":20.25,"attempts":121,"time":"2026-11-27T10:00:22Z"},{"address":"address-23","orig_address":"orig_address-24","outcome":"deferred","dsn":"dsn-25","relay":"relay-26","status_text":"status_text-27","delay":28.25,"attempts":129,"time":"2026-11-27T10:00:30Z"}],"reject":{"action":"action-31","stage":"stage-32","code":133,"dsn":"dsn-34","text":"text-35"},"scans":[{"scanner":"scanner-36","action":"action-38","verdict":"verdict-37","score":39.25},{"scanner":"scanner-40","action":"action-42","verdict":"verdict-41","score":43.25}],"parent_qid":"parent_qid-44","child_qids":["child_qids-45","child_qids-46"],"ndr_qid":"ndr_qid-47","ndr_of":"ndr_of-48","notice_qids":["notice_qids-49","notice_qids-50"],"header_from":"header_from-12","end":"stale","events":[{"time":"2026-11-27T10:00:51Z","program":"program-52","text":"text-53"},{"time":"2026-11-27T10:00:54Z","program":"program-55","text":"text-56"}]})json");
}

TEST(RecordJson, AnEmptyRecordHasItsNullsAndLeavesOutEvents) {
  EXPECT_EQ(
      Json(MessageRecord{}),
      R"json({"host":"","qid":null,"message_id":null,"first_seen":"1970-01-01T00:00:00Z","last_seen":"1970-01-01T00:00:00Z","client":null,"sasl_username":null,"sender":null,"subject":null,"size":null,"outcome":"in_flight","recipients":[],"reject":null,"scans":[],"parent_qid":null,"child_qids":[],"ndr_qid":null,"ndr_of":null,"notice_qids":[],"header_from":null,"end":"open"})json");
}

TEST(RecordJson, UnknownValuesOfPresentPartsAreNull) {
  MessageRecord r;
  r.has_client = true;
  r.sender = "";
  r.recipients.emplace_back();
  r.reject.emplace();
  r.scans.emplace_back();
  r.events.emplace_back();
  EXPECT_EQ(
      Json(r),
      R"json({"host":"","qid":null,"message_id":null,"first_seen":"1970-01-01T00:00:00Z","last_seen":"1970-01-01T00:00:00Z","client":{"ip":null,"hostname":null,"helo":null},"sasl_username":null,"sender":"","subject":null,"size":null,"outcome":"in_flight","recipients":[{"address":"","orig_address":null,"outcome":"in_flight","dsn":null,"relay":null,"status_text":null,"delay":null,"attempts":0,"time":null}],"reject":{"action":"","stage":null,"code":null,"dsn":null,"text":""},"scans":[{"scanner":"","action":"","verdict":"","score":null}],"parent_qid":null,"child_qids":[],"ndr_qid":null,"ndr_of":null,"notice_qids":[],"header_from":null,"end":"open","events":[{"time":"1970-01-01T00:00:00Z","program":"","text":""}]})json");
}

}  // namespace
}  // namespace mailtrail
