// What the SQL stores share of the search keys added for the web console
// (SearchQuery, docs/web.md "Search keys"): the byte range of a network, the
// meaning of a DSN key, and the keys matched on the decoded record rather
// than in SQL (a message's scan results are one text column: verdict and
// score are fields inside it, so no SQL condition can be both exact and cheap).
#ifndef MAILTRAIL_AGENT_STORE_SEARCH_FILTERS_H_
#define MAILTRAIL_AGENT_STORE_SEARCH_FILTERS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/store.h"

namespace mailtrail {

// The first and last address of a network as the stores keep addresses (4 or
// 16 bytes, network order: byte-wise order is address order). nullopt: `cidr`
// is not a network (base/cidr.h).
struct ByteRange {
  std::string first, last;
};
std::optional<ByteRange> CidrByteRange(std::string_view cidr);

// A DSN key: "5.1.1" is that DSN; "5.*" or "4.7.*" every DSN starting "5." or
// "4.7." (`text` is then the part before the "*").
struct DsnKey {
  std::string text;
  bool prefix = false;
};
DsnKey ParseDsnKey(std::string_view key);

// Whether a search names a recipient and nothing else but a time window (and
// a cursor): the stores count its messages on their recipient table alone.
bool RecipientAndWindowOnly(const SearchQuery& q);

// The keys matched on the decoded record: scan_verdict and min_score (one scan
// of the message must meet both).
bool HasRecordFilters(const SearchQuery& q);
bool MatchesRecordFilters(const SearchQuery& q, const MessageRecord& r);

// SearchWithCursor for a store whose SQL matches every key but the record
// filters: `sql_page(q', fn')` runs the query with its own limit and cursor;
// pages are read until `q.limit` records passed the record filters or the
// store has no more. Without record filters it is one call of sql_page(q).
using CursorFn = std::function<void(MessageRecord&&, const SearchCursor&)>;
using SqlPageFn = std::function<Status(const SearchQuery&, const CursorFn&)>;
Status SearchFilteringRecords(const SearchQuery& q, const SqlPageFn& sql_page, const CursorFn& fn);

// The SQL conditions of the web console's keys, for BuildWhere of each SQL
// store (sqlite_search_filters.cc, mysql_search_filters.cc). `text(v)` and
// `blob(v)` bind a value and give its placeholder; `dict_ids(kind, v)` gives
// a parenthesised subquery of the dictionary ids of the exact text v (kind:
// the store's address or name kind, as `kAddressKind` / `kNameKind` say).
// Conditions are appended to `where` (ANDed by the caller). The record
// filters are left to SearchFilteringRecords.
struct SqlBinder {
  std::function<std::string(std::string)> text, blob;
  std::function<std::string(int kind, const std::string&)> dict_ids;
};
inline constexpr int kAddressKind = 1, kNameKind = 2, kDomainKind = 5;  // domain: MySQL only
// SQLite: an address's domain, the text after its last "@" in ASCII lower
// case, as the index dict_address_domain has it (schema/sqlite/0013, which
// says how it works). MySQL keeps it in dict_domain.
inline constexpr const char* kSqliteAddressDomain =
    "lower(replace(text, rtrim(text, replace(text, '@', '')), ''))";
// With it: an address without "@" (to=<postmaster>) has no domain, where the
// expression gives the whole address (MySQL's DomainOf gives none).
inline constexpr const char* kSqliteHasDomain = " AND instr(text, '@') > 0";

// What differs between the SQL stores in those conditions; the conditions
// themselves are written once (AddWebFilters).
struct SqlDialect {
  // Some recipient of message m meets `cond` (on rcpt r); `q` is the
  // search, whose time window MariaDB repeats for rcpt (it skips a
  // partition only by constant bounds, MysqlDialect).
  std::function<std::string(const std::string& cond, const SearchQuery& q)> any_recipient;
  // m has a recipient at `domain` (lower case), through the store's index.
  std::function<std::string(const std::string& domain, const SqlBinder& b)> recipient_domain;
  // `column` contains `text`, in any case: ASCII case for names and scan
  // verdicts, any case for the reject text (`utf8`).
  std::function<std::string(const std::string& column, const std::string& text, bool utf8,
                            const SqlBinder& b)>
      contains;
  // The dictionary of host names, for a subquery "SELECT id FROM <names> AND text ...".
  const char* names_where;
  // Added to a delay range on each side: a store that keeps delay as a 4-byte
  // float widens it so that a logged value matches itself.
  double delay_slack = 0;
};
const SqlDialect& SqliteDialect();
const SqlDialect& MysqlDialect();

Status AddWebFilters(const SearchQuery& q, const SqlDialect& d, const SqlBinder& b,
                     std::vector<std::string>* where);
// Whether AddWebFilters checks `q`'s recipients for every message of its
// window (a DSN, relay or delay key: any_recipient for each message row; an
// outcome or has-bounce key runs it for mixed messages only), which
// MariaDB reads in day slices (MysqlStore::SliceSecondsFor).
inline bool ChecksRecipientsOfEveryMessage(const SearchQuery& q) {
  return q.dsn || q.relay || q.min_delay || q.max_delay;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_SEARCH_FILTERS_H_
