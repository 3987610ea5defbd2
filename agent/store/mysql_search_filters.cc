// MysqlStore's dialect of the web console's search keys
// (agent/store/search_filters.h). Which use an index: recipient_domain
// (dict_address_domain, then rcpt_addr) and client_cidr (message_client_ip,
// a range). The others are checked per message row, on the rows the other
// keys and the time window leave (recipient keys through the rcpt primary
// key of that message, in its partition).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/store/search_filters.h"
#include "base/text.h"

namespace mailtrail {

namespace {

// The search's window as bounds on r.first_seen, as BuildConditions bounds
// m.first_seen (seconds), the cursor's start included.
std::string RecipientWindow(const SearchQuery& q) {
  std::optional<int64_t> from;
  if (q.since) from = *q.since / kUsPerSecond;
  if (q.after) from = std::max(from.value_or(INT64_MIN), q.after->first_seen / kUsPerSecond);
  std::string w;
  if (from) w += " AND r.first_seen >= " + std::to_string(*from);
  if (q.until) w += " AND r.first_seen < " + std::to_string(*q.until / kUsPerSecond);
  return w;
}

}  // namespace

const SqlDialect& MysqlDialect() {
  static const SqlDialect kDialect{
      // The recipient's partition too (rcpt is partitioned by first_seen).
      // A scalar subquery, checked for each message row as it is read: an
      // EXISTS became a semi-join that read every rcpt row of the store into
      // a temporary table before the first message, so a search bounded by
      // its work found nothing once the store outgrew the bound, and one for
      // a common relay read the whole store for a page (docs/web.md, "A
      // page's work bound"). rcpt's primary key begins (message, first_seen),
      // so a lookup reads the message's own day's partition only (schema 14:
      // before, each message looked in every day's partition, helper-83).
      // But each run of the subquery still costs something for every
      // partition its constant bounds leave (helper-85: a year's store, 364
      // partitions, counted a month's DSN in 1.3-1.8 s, 0.12-0.20 s with
      // the window): so the window is repeated here, and a search without
      // a short one reads in slices of a day (MysqlStore::SliceSecondsFor).
      .any_recipient =
          [](const std::string& cond, const SearchQuery& q) {
            return "(SELECT 1 FROM rcpt r WHERE r.message = m.id AND r.first_seen = m.first_seen" +
                   RecipientWindow(q) + " AND " + cond + " LIMIT 1) IS NOT NULL";
          },
      .recipient_domain =
          [](const std::string& domain, const SqlBinder& b) {
            return "m.id IN (SELECT message FROM rcpt WHERE addr IN (SELECT id FROM dict_address"
                   " WHERE domain IN " +
                   b.dict_ids(kDomainKind, domain) + "))";
          },
      // Texts are bytes (VARBINARY/BLOB), compared as utf8mb4 lower-cased by
      // the server, then byte by byte (as the subject search does), in any case.
      .contains =
          [](const std::string& column, const std::string& text, bool, const SqlBinder& b) {
            return "LOCATE(CAST(LOWER(CONVERT(" + b.text(text) +
                   " USING utf8mb4)) AS BINARY), CAST(LOWER(CONVERT(" + column +
                   " USING utf8mb4)) AS BINARY)) > 0";
          },
      .names_where = "dict_name WHERE",
      // delay is a FLOAT (4 bytes): 0.12 is kept as 0.1199999; the bounds are
      // widened by 10 microseconds so that a logged value matches itself.
      .delay_slack = 1e-5,
  };
  return kDialect;
}

}  // namespace mailtrail
