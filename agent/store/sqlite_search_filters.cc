// SqliteStore's conditions for the web console's search keys
// (agent/store/search_filters.h). Which use an index: recipient_domain
// (dict_address_domain, schema 0008, then rcpt_addr) and client_cidr
// (message_client_ip, a range). The others are checked per message row, on
// the rows the other keys and the time window leave (recipient keys through
// the rcpt primary key of that message).
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

// Some recipient of the message meets `cond` (on rcpt r).
std::string AnyRecipient(const std::string& cond) {
  return "EXISTS (SELECT 1 FROM rcpt r WHERE r.message = m.id AND " + cond + ")";
}

std::string DsnCondition(const std::string& column, const DsnKey& key, const SqlBinder& b) {
  if (!key.prefix) return column + " = " + b.text(key.text);
  return "substr(" + column + ", 1, " + std::to_string(key.text.size()) + ") = " + b.text(key.text);
}

}  // namespace

Status AddSqliteWebFilters(const SearchQuery& q, const SqlBinder& b,
                           std::vector<std::string>* where) {
  if (q.recipient_domain) {
    // The same expression as the index dict_address_domain (schema 0008), so
    // that the planner uses it: the text after the first "@".
    where->push_back(
        "m.id IN (SELECT message FROM rcpt WHERE addr IN (SELECT id FROM dict WHERE kind = 1"
        " AND substr(text, instr(text, '@') + 1) = " +
        b.text(AsciiLower(*q.recipient_domain)) + "))");
  }
  if (q.client_cidr) {
    const auto range = CidrByteRange(*q.client_cidr);
    if (!range) return Status::InvalidArgument("not a network: " + *q.client_cidr);
    // One statement each: MySQL's placeholders are positional, and the order
    // in which the operands of one expression are evaluated is unspecified.
    const std::string first = b.blob(range->first);
    const std::string last = b.blob(range->last);
    where->push_back("m.client_ip BETWEEN " + first + " AND " + last +
                     " AND length(m.client_ip) = " + std::to_string(range->first.size()));
  }
  if (q.dsn) {
    const DsnKey key = ParseDsnKey(*q.dsn);
    const std::string any_recipient = AnyRecipient(DsnCondition("r.dsn", key, b));
    where->push_back("(" + any_recipient + " OR " + DsnCondition("m.reject_dsn", key, b) + ")");
  }
  if (q.relay) {
    where->push_back(
        AnyRecipient("r.relay IN (SELECT id FROM dict WHERE kind = 2 AND instr(lower(text), " +
                     b.text(AsciiLower(*q.relay)) + ") > 0)"));
  }
  if (!q.outcomes.empty()) {
    const std::string set = OutcomeList(q.outcomes);
    // A mixed message matches by its recipients' outcomes.
    where->push_back("(m.outcome IN (" + set +
                     ") OR (m.outcome = " + std::to_string(static_cast<int>(Outcome::kMixed)) +
                     " AND " + AnyRecipient("r.outcome IN (" + set + ")") + "))");
  }
  if (q.min_delay || q.max_delay) {
    std::string cond = "r.delay IS NOT NULL";
    if (q.min_delay) cond += " AND r.delay >= " + Number(*q.min_delay);
    if (q.max_delay) cond += " AND r.delay <= " + Number(*q.max_delay);
    where->push_back(AnyRecipient(cond));
  }
  if (q.is_bounce) {
    const std::string is = "(COALESCE(m.sender = " + b.dict_ids(kAddressKind, "") +
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
    where->push_back("instr(lower(m.scans), " + b.text(AsciiLower(*q.scan_verdict)) + ") > 0");
  } else if (q.min_score) {
    where->push_back("COALESCE(m.scans, '') <> ''");
  }
  if (q.reject_text) {
    where->push_back("instr(mt_lower(m.reject_text), " + b.text(LowerUtf8(*q.reject_text)) +
                     ") > 0");
  }
  return Status::Ok();
}

}  // namespace mailtrail
