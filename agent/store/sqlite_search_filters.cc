// SqliteStore's dialect of the web console's search keys
// (agent/store/search_filters.h). Which use an index: recipient_domain
// (dict_address_domain, schema 13, then rcpt_addr; a common domain is checked
// per message instead, SqliteStore::BuildWhere) and client_cidr
// (message_client_ip, a range). The others are checked per message row, on
// the rows the other keys and the time window leave (recipient keys through
// the rcpt primary key of that message).
#include "agent/store/search_filters.h"
#include "base/text.h"

namespace mailtrail {

const SqlDialect& SqliteDialect() {
  static const SqlDialect kDialect{
      .any_recipient =
          [](const std::string& cond, const SearchQuery&) {
            return "EXISTS (SELECT 1 FROM rcpt r WHERE r.message = m.id AND " + cond + ")";
          },
      // The same expression as the index dict_address_domain, so that the
      // planner uses it.
      .recipient_domain =
          [](const std::string& domain, const SqlBinder& b) {
            return std::string(
                       "m.id IN (SELECT message FROM rcpt WHERE addr IN (SELECT id FROM "
                       "dict WHERE kind = 1 AND ") +
                   kSqliteAddressDomain + " = " + b.text(domain) + kSqliteHasDomain + "))";
          },
      // mt_lower is the store's own UTF-8 lower case (sqlite_db.cc).
      .contains =
          [](const std::string& column, const std::string& text, bool utf8, const SqlBinder& b) {
            if (utf8) return "instr(mt_lower(" + column + "), " + b.text(LowerUtf8(text)) + ") > 0";
            return "instr(lower(" + column + "), " + b.text(AsciiLower(text)) + ") > 0";
          },
      .names_where = "dict WHERE kind = 2 AND",
  };
  return kDialect;
}

}  // namespace mailtrail
