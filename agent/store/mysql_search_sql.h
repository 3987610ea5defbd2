// MysqlStore's search SQL, shared by its read sources (mysql_search.cc,
// mysql_bounded.cc): a search's conditions with every value a parameter, and
// the statements that run them. Throws sql::SQLException where it says so.
#ifndef MAILTRAIL_AGENT_STORE_MYSQL_SEARCH_SQL_H_
#define MAILTRAIL_AGENT_STORE_MYSQL_SEARCH_SQL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/mysql_dictionary.h"
#include "agent/store/mysql_internal.h"
#include "agent/store/store.h"

namespace mailtrail::mysql {

// A bound parameter: text (bytes) or integer.
struct Param {
  Param(std::string t) : is_text(true), text(std::move(t)) {}  // NOLINT: implicit by design
  Param(int64_t n) : number(n) {}                              // NOLINT: implicit by design
  bool is_text = false;
  std::string text;
  int64_t number = 0;
};

// "(SELECT id FROM dict_x WHERE id IN (?,...) AND text = ?)" with its parameters.
std::string DictIds(MysqlDictionary::Kind kind, const std::string& text,
                    std::vector<Param>* params);
// The conditions of a search, ANDed (empty: none), every value a parameter.
// `time` and `id` name a row's position in the search's order: the message's
// (m.first_seen, m.id), or the same values from a recipient row (r.first_seen,
// r.message) when rcpt drives the search (RecipientPageSql).
// With `lookup`, a recipient domain's id is read on that connection first
// and written into the SQL (a number); then it throws.
StatusOr<std::string> BuildConditions(const SearchQuery& q, std::vector<Param>* params,
                                      const std::string& time = "m.first_seen",
                                      const std::string& id = "m.id",
                                      sql::Connection* lookup = nullptr);
// Whether a search names a key that has an index of its own on message (or
// reaches message through rcpt's; the indexes are mysql_bulk.cc's
// kSchemaIndexes): its statement may be driven from there. Else message is
// read through its index on first_seen whatever the LIMIT: with a large one
// (a report's first query, 200,001) MariaDB chose to scan the table and sort
// it, and a bound that ran out in the sort gave nothing (helper-83).
bool NamesAnIndexedKey(const SearchQuery& q);
// The WHERE clause of a search (" WHERE ..." or empty).
StatusOr<std::string> BuildWhere(const SearchQuery& q, std::vector<Param>* params,
                                 sql::Connection* lookup = nullptr);
void BindParams(sql::PreparedStatement* s, const std::vector<Param>& params);
// The one number a COUNT query gives. Throws.
int64_t CountOf(sql::Connection* c, const std::string& sql, const std::vector<Param>& params);
// The rows of a counting statement that ends in LIMIT ... ROWS EXAMINED, and
// whether MariaDB stopped it there. Throws.
MatchCount CountRows(sql::Connection* c, const std::string& sql, const std::vector<Param>& params);
// The id of a dictionary text; none when it is not stored. Throws.
std::optional<int64_t> FindDictId(sql::Connection* c, MysqlDictionary::Kind kind,
                                  const std::string& text);
inline std::optional<int64_t> FindAddressId(sql::Connection* c, const std::string& address) {
  return FindDictId(c, MysqlDictionary::kAddress, address);
}

}  // namespace mailtrail::mysql

#endif  // MAILTRAIL_AGENT_STORE_MYSQL_SEARCH_SQL_H_
