// The SQL conditions of the web console's search keys, written once for both
// SQL stores (search_filters.h); each store's dialect is in
// sqlite_search_filters.cc and mysql_search_filters.cc, with which keys use an
// index. Values are bound in the order their placeholders appear (MySQL's are
// positional).
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

std::string DsnCondition(const std::string& column, const DsnKey& key, const SqlBinder& b) {
  if (!key.prefix) return column + " = " + b.text(key.text);
  return "substr(" + column + ", 1, " + std::to_string(key.text.size()) + ") = " + b.text(key.text);
}

}  // namespace

Status AddWebFilters(const SearchQuery& q, const SqlDialect& d, const SqlBinder& b,
                     std::vector<std::string>* where) {
  if (q.recipient_domain) where->push_back(d.recipient_domain(AsciiLower(*q.recipient_domain), b));
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
  // The keys checked for every message (ChecksRecipientsOfEveryMessage).
  if (q.dsn) {
    const DsnKey key = ParseDsnKey(*q.dsn);
    const std::string any_recipient = d.any_recipient(DsnCondition("r.dsn", key, b), q);
    where->push_back("(" + any_recipient + " OR " + DsnCondition("m.reject_dsn", key, b) + ")");
  }
  if (q.relay) {
    where->push_back(d.any_recipient(std::string("r.relay IN (SELECT id FROM ") + d.names_where +
                                         " " + d.contains("text", *q.relay, false, b) + ")",
                                     q));
  }
  const std::string mixed = std::to_string(static_cast<int>(Outcome::kMixed));
  if (!q.outcomes.empty()) {
    const std::string set = OutcomeList(q.outcomes);
    // A mixed message matches by its recipients' outcomes.
    where->push_back("(m.outcome IN (" + set + ") OR (m.outcome = " + mixed + " AND " +
                     d.any_recipient("r.outcome IN (" + set + ")", q) + "))");
  }
  if (q.min_delay || q.max_delay) {
    std::string cond = "r.delay IS NOT NULL";
    if (q.min_delay) cond += " AND r.delay >= " + Number(*q.min_delay - d.delay_slack);
    if (q.max_delay) cond += " AND r.delay <= " + Number(*q.max_delay + d.delay_slack);
    where->push_back(d.any_recipient(cond, q));
  }
  if (q.is_bounce) {
    // The null sender, but for address verification probes (their sender
    // with address_verify_sender = <>): no mail, and no answer to any.
    const std::string probes = std::to_string(static_cast<int>(Outcome::kDeliverable)) + ", " +
                               std::to_string(static_cast<int>(Outcome::kUndeliverable));
    const std::string is = "((COALESCE(m.sender IN " + b.dict_ids(kAddressKind, "") +
                           ", 0) AND m.outcome NOT IN (" + probes +
                           ")) OR COALESCE(m.ndr_of, '') <> '')";
    where->push_back(*q.is_bounce ? is : "NOT " + is);
  }
  if (q.has_bounce) {
    const std::string bounced = std::to_string(static_cast<int>(Outcome::kBounced));
    const std::string has = "(COALESCE(m.ndr_qid, '') <> '' OR m.outcome = " + bounced +
                            " OR (m.outcome = " + mixed + " AND " +
                            d.any_recipient("r.outcome = " + bounced, q) + "))";
    where->push_back(*q.has_bounce ? has : "NOT " + has);
  }
  // The scan keys are matched on the decoded record (SearchFilteringRecords);
  // here only what any match must have, so that the others are not decoded.
  if (q.scan_verdict) {
    where->push_back(d.contains("m.scans", *q.scan_verdict, false, b));
  } else if (q.min_score) {
    where->push_back("COALESCE(m.scans, '') <> ''");
  }
  if (q.reject_text) where->push_back(d.contains("m.reject_text", *q.reject_text, true, b));
  return Status::Ok();
}

}  // namespace mailtrail
