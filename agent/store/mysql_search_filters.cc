// MysqlStore's dialect of the web console's search keys
// (agent/store/search_filters.h). Which use an index: recipient_domain
// (dict_address_domain, then rcpt_addr) and client_cidr (message_client_ip,
// a range). The others are checked per message row, on the rows the other
// keys and the time window leave (recipient keys through the rcpt primary
// key of that message, in its partition).
#include "agent/store/search_filters.h"
#include "base/text.h"

namespace mailtrail {

const SqlDialect& MysqlDialect() {
  static const SqlDialect kDialect{
      // The recipient's partition too (rcpt is partitioned by first_seen).
      // A scalar subquery, checked for each message row as it is read: an
      // EXISTS became a semi-join that read every rcpt row of the store into
      // a temporary table before the first message, so a search bounded by
      // its work found nothing once the store outgrew the bound, and one for
      // a common relay read the whole store for a page (docs/web.md, "A
      // page's work bound"). rcpt's primary key begins (message, first_seen),
      // so MariaDB reads only the message's own day's partition for it
      // (schema 14: before, each message looked in every day's partition,
      // 32 lookups on a month's store, helper-83).
      .any_recipient =
          [](const std::string& cond) {
            return "(SELECT 1 FROM rcpt r WHERE r.message = m.id AND r.first_seen = m.first_seen"
                   " AND " +
                   cond + " LIMIT 1) IS NOT NULL";
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
