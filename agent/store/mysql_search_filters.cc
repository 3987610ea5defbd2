// MysqlStore's conditions for the web console's search keys
// (agent/store/search_filters.h). Which use an index: recipient_domain
// (dict_address_domain, then rcpt_addr) and client_cidr (message_client_ip,
// a range). The others are checked per message row, on the rows the other
// keys and the time window leave (recipient keys through the rcpt primary
// key of that message, in its partition).
#include <cstdio>

#include "agent/store/search_filters.h"
#include "base/text.h"

namespace mailtrail {

namespace {

std::string Number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string OutcomeList(const std::vector<Outcome>& outcomes) {
  std::string out;
  for (Outcome o : outcomes) out += (out.empty() ? "" : ",") + std::to_string(static_cast<int>(o));
  return out;
}

std::string AnyRecipient(const std::string& cond) {
  return "EXISTS (SELECT 1 FROM rcpt r WHERE r.message = m.id AND r.first_seen = m.first_seen"
         " AND " +
         cond + ")";
}

std::string DsnCondition(const std::string& column, const DsnKey& key, const SqlBinder& b) {
  if (!key.prefix) return column + " = " + b.text(key.text);
  return "LEFT(" + column + ", " + std::to_string(key.text.size()) + ") = " + b.text(key.text);
}

// Substring in any case: texts are bytes (VARBINARY/BLOB), compared as utf8mb4
// lower-cased by the server, then byte by byte (as the subject search does).
std::string Contains(const std::string& column, const std::string& placeholder) {
  return "LOCATE(CAST(LOWER(CONVERT(" + placeholder + " USING utf8mb4)) AS BINARY), CAST(LOWER(" +
         "CONVERT(" + column + " USING utf8mb4)) AS BINARY)) > 0";
}

}  // namespace

Status AddMysqlWebFilters(const SearchQuery& q, const SqlBinder& b,
                          std::vector<std::string>* where) {
  if (q.recipient_domain) {
    where->push_back(
        "m.id IN (SELECT message FROM rcpt WHERE addr IN (SELECT id FROM dict_address WHERE"
        " domain IN " +
        b.dict_ids(kDomainKind, AsciiLower(*q.recipient_domain)) + "))");
  }
  if (q.client_cidr) {
    const auto range = CidrByteRange(*q.client_cidr);
    if (!range) return Status::InvalidArgument("not a network: " + *q.client_cidr);
    // One statement each: MySQL's placeholders are positional, and the order
    // in which the operands of one expression are evaluated is unspecified.
    const std::string first = b.blob(range->first);
    const std::string last = b.blob(range->last);
    where->push_back("m.client_ip BETWEEN " + first + " AND " + last +
                     " AND LENGTH(m.client_ip) = " + std::to_string(range->first.size()));
  }
  if (q.dsn) {
    const DsnKey key = ParseDsnKey(*q.dsn);
    const std::string any_recipient = AnyRecipient(DsnCondition("r.dsn", key, b));
    where->push_back("(" + any_recipient + " OR " + DsnCondition("m.reject_dsn", key, b) + ")");
  }
  if (q.relay) {
    where->push_back(AnyRecipient("r.relay IN (SELECT id FROM dict_name WHERE " +
                                  Contains("text", b.text(*q.relay)) + ")"));
  }
  if (!q.outcomes.empty()) {
    const std::string set = OutcomeList(q.outcomes);
    where->push_back("(m.outcome IN (" + set +
                     ") OR (m.outcome = " + std::to_string(static_cast<int>(Outcome::kMixed)) +
                     " AND " + AnyRecipient("r.outcome IN (" + set + ")") + "))");
  }
  if (q.min_delay || q.max_delay) {
    // delay is a FLOAT (4 bytes): 0.12 is kept as 0.1199999; the bounds are
    // widened by 10 microseconds so that a logged value matches itself.
    constexpr double kSlack = 1e-5;
    std::string cond = "r.delay IS NOT NULL";
    if (q.min_delay) cond += " AND r.delay >= " + Number(*q.min_delay - kSlack);
    if (q.max_delay) cond += " AND r.delay <= " + Number(*q.max_delay + kSlack);
    where->push_back(AnyRecipient(cond));
  }
  if (q.is_bounce) {
    const std::string is = "(COALESCE(m.sender IN " + b.dict_ids(kAddressKind, "") +
                           ", 0) OR COALESCE(m.ndr_of, '') <> '')";
    where->push_back(*q.is_bounce ? is : "NOT " + is);
  }
  if (q.has_bounce) {
    const std::string bounced = std::to_string(static_cast<int>(Outcome::kBounced));
    const std::string has =
        "(COALESCE(m.ndr_qid, '') <> '' OR m.outcome = " + bounced +
        " OR (m.outcome = " + std::to_string(static_cast<int>(Outcome::kMixed)) + " AND " +
        AnyRecipient("r.outcome = " + bounced) + "))";
    where->push_back(*q.has_bounce ? has : "NOT " + has);
  }
  // The scan keys are matched on the decoded record (SearchFilteringRecords);
  // here only what any match must have, so that the others are not decoded.
  if (q.scan_verdict) {
    where->push_back(Contains("m.scans", b.text(*q.scan_verdict)));
  } else if (q.min_score) {
    where->push_back("COALESCE(m.scans, '') <> ''");
  }
  if (q.reject_text) where->push_back(Contains("m.reject_text", b.text(*q.reject_text)));
  return Status::Ok();
}

}  // namespace mailtrail
