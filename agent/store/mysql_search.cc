// MysqlStore's read side: search and record decoding.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "agent/store/mysql_dictionary.h"
#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_search_sql.h"
#include "agent/store/mysql_store.h"
#include "agent/store/record_columns.h"
#include "agent/store/search_filters.h"
#include "agent/store/sqlite_codec.h"
#include "agent/store/time_slices.h"
#include "base/ip_address.h"

namespace mailtrail {

namespace {

using mysql::BindParams;
using mysql::BuildConditions;
using mysql::BuildWhere;
using mysql::CountOf;
using mysql::CountRows;
using mysql::FindAddressId;
using mysql::Param;

constexpr size_t kChunk = 500;  // messages whose recipients are read in one query

const char* TableOf(Stored kind) {
  switch (kind) {
    case Stored::kAddress:
      return "dict_address";
    case Stored::kSubject:
      return "dict_subject";
    default:
      return "dict_name";  // host names, HELO, relays, SASL names
  }
}

// The message's columns, its dictionary texts joined after it. Every join is
// an outer one, the host's too (a message always has one), so that MariaDB
// reads message first: with a small dictionary it read the host names
// first through a join buffer, and then sorted every row of the window by
// time (a bound cut in that sort gave nothing).
const SelectSql& MessageSelect() {
  static const SelectSql kM = SelectColumnsIf(MessageColumns(), "m", TableOf, nullptr, true);
  return kM;
}

// "SELECT m.id, m.first_seen, <the record's columns> FROM message m <joins>".
// With `time_order`, message is read through its index on first_seen,
// whatever else the search names (Store::SearchWithin's slices).
const std::string& SelectMessages(bool time_order = false) {
  static const std::array<std::string, 2> kSql = [] {
    const SelectSql& m = MessageSelect();
    const std::string columns = "SELECT m.id, m.first_seen, " + m.columns + " FROM message m";
    return std::array<std::string, 2>{columns + m.joins,
                                      columns + " FORCE INDEX (message_first_seen)" + m.joins};
  }();
  return kSql[time_order];
}

// delay is a FLOAT column (4 bytes; Postfix logs at most a few digits): back
// to the shortest decimal it stands for, so 0.12 reads as 0.12, not 0.1199999.
double FromFloat(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return std::strtod(buf, nullptr);
}

std::string Str(sql::ResultSet* rs, int i) { return rs->isNull(i) ? "" : rs->getString(i); }

// Row values from column `first` on (1-based), for ReadMessageColumns.
struct Columns {
  sql::ResultSet* rs;
  int first;
  bool IsNull(int i) const { return rs->isNull(first + i); }
  int64_t Int(int i) const { return rs->isNull(first + i) ? 0 : rs->getInt64(first + i); }
  double Double(int i) const { return FromFloat(rs->getDouble(first + i)); }
  std::string Text(int i) const { return Str(rs, first + i); }
};

// A recipient's page (the recipient's address id `id`), driven from rcpt as
// SqliteStore::RecipientPage is: rcpt_addr and rcpt_orig (schema 7: on
// (address, first_seen, message)) give the recipient's rows in the page's
// order, each half stops at the page's size, and the page is the first of
// both. Ordering the recipient's messages instead read every one of them.
// GROUP BY, not DISTINCT: MariaDB reads every row into a temporary table for
// a DISTINCT, and stops at the limit for a GROUP BY in index order.
StatusOr<std::string> RecipientPageSql(const SearchQuery& q, int64_t id, std::vector<Param>* params,
                                       sql::Connection* lookup) {
  SearchQuery rest = q;
  rest.recipient.reset();
  const std::string limit = " LIMIT " + std::to_string(q.limit);
  std::string halves;
  for (const char* column : {"addr", "orig"}) {
    auto conds = BuildConditions(rest, params, "r.first_seen", "r.message", lookup);
    if (!conds.ok()) return conds.status();
    halves += std::string(halves.empty() ? "(" : " UNION (") +
              "SELECT r.first_seen AS fs, r.message AS mid FROM rcpt r"
              " STRAIGHT_JOIN message m ON m.id = r.message AND m.first_seen = r.first_seen"
              " WHERE r." +
              column + " = " + std::to_string(id) + (conds->empty() ? "" : " AND " + *conds) +
              " GROUP BY fs, mid ORDER BY fs, mid" + limit + ")";
  }
  const SelectSql& m = MessageSelect();
  return "SELECT m.id, m.first_seen, " + m.columns + " FROM (" + halves +
         ") k STRAIGHT_JOIN message m ON m.id = k.mid AND m.first_seen = k.fs" + m.joins +
         " ORDER BY k.fs, k.mid" + limit;
}
}  // namespace

StatusOr<int64_t> MysqlStore::CountMatches(const SearchQuery& q) {
  if (HasRecordFilters(q)) return Store::CountMatches(q);
  return CountSql(q);
}

StatusOr<MatchCount> MysqlStore::CountMatchesUpTo(const SearchQuery& q, int64_t cap,
                                                  int64_t work_rows) {
  // Record filters are checked in C++ on each record: no work bound there.
  if (HasRecordFilters(q)) return Store::CountMatchesUpTo(q, cap, work_rows);
  SearchQuery all = q;
  all.after.reset();
  // MariaDB's LIMIT ROWS EXAMINED ends the statement after that many rows
  // read (of every table, temporary ones too) with warning 1931 and the rows
  // found so far. It must close the outermost SELECT, and a COUNT(*) around
  // a stopped sub-select gives no row at all: so the rows are counted here.
  const std::string limit =
      " LIMIT " + std::to_string(cap) + " ROWS EXAMINED " + std::to_string(work_rows);
  std::vector<Param> params;
  if (Status st = EnsureConnected(); !st.ok()) return st;
  try {
    if (const std::optional<int64_t> slice = SliceSecondsFor(all))
      return CountInSlices(all, *slice, cap, work_rows);
    if (!RecipientAndWindowOnly(all)) {
      auto where = BuildWhere(all, &params, conn_.get());
      if (!where.ok()) return where.status();
      return CountRows(conn_.get(), "SELECT 1 FROM message m" + *where + limit, params);
    }
    // Counted on rcpt's indexes alone, as SqliteStore::CountMatchesUpTo does.
    const std::optional<int64_t> id = FindAddressId(conn_.get(), *all.recipient);
    if (!id) return MatchCount{};
    SearchQuery window = all;
    window.recipient.reset();
    auto conds = BuildConditions(window, &params, "first_seen", "message", conn_.get());
    if (!conds.ok()) return conds.status();
    // A UNION of the two indexes, each read alone (as SQLite's).
    const std::string is = " = " + std::to_string(*id);
    const std::string also = conds->empty() ? "" : " AND " + *conds;
    std::vector<Param> twice = params;
    twice.insert(twice.end(), params.begin(), params.end());
    return CountRows(conn_.get(),
                     "SELECT message FROM rcpt WHERE addr" + is + also +
                         " UNION SELECT message FROM rcpt WHERE orig" + is + also + limit,
                     twice);
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "count");
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
}

// COUNT(*) of the rows `q` selects.
StatusOr<int64_t> MysqlStore::CountSql(const SearchQuery& q) {
  std::vector<Param> params;
  auto where = BuildWhere(q, &params);
  if (!where.ok()) return where.status();
  if (Status st = EnsureConnected(); !st.ok()) return st;
  try {
    return CountOf(conn_.get(), "SELECT COUNT(*) FROM message m" + *where, params);
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "count");
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
}

Status MysqlStore::Search(const SearchQuery& q, const std::function<void(MessageRecord&&)>& fn) {
  return SearchWithCursor(q, [&fn](MessageRecord&& r, const SearchCursor&) { fn(std::move(r)); });
}

// A whole read (an export, a report's records) of a key the store reads in
// slices (SliceSecondsFor) goes a slice at a time too: as one statement each
// message's subquery cost something for every daily partition of the window
// (a year's DSN export took 9.2 s; helper-87). A bounded page's slices are
// its own (Store::SearchInSlices), read as they come.
Status MysqlStore::SearchWithCursor(
    const SearchQuery& q, const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
  const SqlPageFn whole = [this](const SearchQuery& one, const CursorFn& f) {
    return SearchFilteringRecords(
        one, [this](const SearchQuery& page, const CursorFn& g) { return SearchPage(page, g); }, f);
  };
  const std::optional<int64_t> seconds = rows_left_ ? std::nullopt : SliceSecondsFor(q);
  if (!seconds) return whole(q, fn);
  auto span = TimeSpan();
  if (!span.ok()) return span.status();
  if (!*span) return Status::Ok();
  return ReadInSlices(**span, q, *seconds, whole, fn);
}

Status MysqlStore::SearchPage(const SearchQuery& q,
                              const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
  // A statement stopped at the bound ends what the bound's search reads.
  if (rows_left_ && rows_stopped_) return Status::Ok();
  std::vector<Param> params;
  std::string sql;

  std::vector<MessageRecord> chunk;
  std::vector<std::pair<uint64_t, uint32_t>> ids;  // (id, first_seen) of the chunk
  auto emit = [&]() -> Status {
    std::map<uint64_t, std::vector<RecipientRecord>> rcpts;
    if (Status st = LoadRecipients(ids, &rcpts); !st.ok()) return st;
    for (size_t i = 0; i < chunk.size(); ++i) {
      chunk[i].recipients = std::move(rcpts[ids[i].first]);
      const SearchCursor at{chunk[i].first_seen, static_cast<int64_t>(ids[i].first)};
      fn(std::move(chunk[i]), at);
    }
    chunk.clear();
    ids.clear();
    return Status::Ok();
  };
  if (Status st = EnsureConnected(); !st.ok()) return st;
  try {
    if (q.recipient) {
      const std::optional<int64_t> id = FindAddressId(conn_.get(), *q.recipient);
      if (!id) return Status::Ok();  // an address never stored: no messages
      auto page = RecipientPageSql(q, *id, &params, conn_.get());
      if (!page.ok()) return page.status();
      sql = std::move(*page);
    } else {
      auto where = BuildWhere(q, &params, conn_.get());
      if (!where.ok()) return where.status();
      sql = SelectMessages(time_order_ || !mysql::NamesAnIndexedKey(q)) + *where +
            " ORDER BY m.first_seen, m.id LIMIT " + std::to_string(q.limit);
    }
    // Within a bound: MariaDB ends the statement after so many rows read
    // (every table's), with the rows found so far and warning 1931, which is
    // read at once (the recipients' statements come after).
    if (rows_left_) {
      if (!rows_examined_mark_) rows_examined_mark_ = mysql::RowsExamined(conn_.get());
      sql = mysql::KeepingWarnings(sql + " ROWS EXAMINED " + std::to_string(*rows_left_));
    }
    std::unique_ptr<sql::PreparedStatement> s(conn_->prepareStatement(sql));
    BindParams(s.get(), params);
    std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
    if (rows_left_) {
      rows_stopped_ = mysql::StoppedAtRowsExamined(conn_.get());
      SpendRowsExamined();
    }
    while (rs->next()) {
      MessageRecord r;
      ids.emplace_back(rs->getUInt64(1), rs->getUInt(2));
      ReadMessageColumns(Columns{rs.get(), 3}, &r);
      chunk.push_back(std::move(r));
      if (chunk.size() >= kChunk) {
        if (Status st = emit(); !st.ok()) return st;
      }
    }
  } catch (const sql::SQLException& e) {
    // A bound that runs out while MariaDB sorts (1028), or in an index merge
    // (1030, "Operation not permitted"), is an error, not a warning: the
    // statement found nothing it could give. Its last warning says so.
    if (rows_left_ && StoppedByBoundAfterError()) {
      rows_stopped_ = true;
      return Status::Ok();
    }
    Status st = mysql::FromException(e, "search");
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
  return chunk.empty() ? Status::Ok() : emit();
}

Status MysqlStore::SearchForSummary(const SearchQuery& q,
                                    const std::function<void(MessageRecord&&)>& fn) {
  // Record filters are checked on whole records; a cursor is the web's paging.
  if (HasRecordFilters(q) || q.after || SliceSecondsFor(q)) return Search(q, fn);
  if (q.limit <= 0) return Status::Ok();
  std::vector<Param> params;
  auto where = BuildWhere(q, &params);
  if (!where.ok()) return where.status();
  // One row per recipient (one with NULLs for a message without any): the
  // message's columns, then the recipient's; a message's rows are adjacent.
  // rcpt is partitioned by first_seen: the join names it.
  static const std::string kSelect = [] {
    const SelectSql m = SelectColumnsIf(MessageColumns(), "m", TableOf, SummaryReads, false);
    const SelectSql r = SelectColumnsIf(RecipientColumns(), "r", TableOf, SummaryReads, true);
    return "SELECT m.id, r.message, " + m.columns + ", " + r.columns + " FROM message m" + m.joins +
           " LEFT JOIN rcpt r ON r.message = m.id AND r.first_seen = m.first_seen" + r.joins;
  }();
  const int rcpt_first = 3 + static_cast<int>(MessageColumns().size());
  if (Status st = EnsureConnected(); !st.ok()) return st;
  try {
    std::unique_ptr<sql::PreparedStatement> s(
        conn_->prepareStatement(kSelect + *where + " ORDER BY m.first_seen, m.id, r.seq"));
    BindParams(s.get(), params);
    std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
    std::optional<MessageRecord> r;
    uint64_t id = 0;
    int64_t sent = 0;
    while (rs->next()) {
      if (!r || rs->getUInt64(1) != id) {
        if (r) {
          fn(std::move(*r));
          if (++sent >= q.limit) return Status::Ok();
        }
        r.emplace();
        id = rs->getUInt64(1);
        ReadMessageColumns(Columns{rs.get(), 3}, &*r);
      }
      if (rs->isNull(2)) continue;
      RecipientRecord recipient;
      ReadRecipientColumns(Columns{rs.get(), rcpt_first}, &recipient);
      r->recipients.push_back(std::move(recipient));
    }
    if (r) fn(std::move(*r));
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "search for summary");
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
  return Status::Ok();
}

Status MysqlStore::LoadRecipients(const std::vector<std::pair<uint64_t, uint32_t>>& ids,
                                  std::map<uint64_t, std::vector<RecipientRecord>>* out) {
  if (ids.empty()) return Status::Ok();
  std::string in;
  uint32_t lo = ids[0].second, hi = ids[0].second;
  for (const auto& [id, first_seen] : ids) {
    if (!in.empty()) in += ',';
    in += std::to_string(id);
    lo = std::min(lo, first_seen);
    hi = std::max(hi, first_seen);
  }
  try {
    static const SelectSql kRcpt = SelectColumns(RecipientColumns(), "r", TableOf);
    auto rs =
        mysql::Query(conn_.get(), "SELECT r.message, " + kRcpt.columns + " FROM rcpt r" +
                                      kRcpt.joins + " WHERE r.message IN (" + in +
                                      ") AND r.first_seen BETWEEN " + std::to_string(lo) + " AND " +
                                      std::to_string(hi) + " ORDER BY r.message, r.seq");
    while (rs->next()) {
      RecipientRecord rc;
      ReadRecipientColumns(Columns{rs.get(), 2}, &rc);
      (*out)[rs->getUInt64(1)].push_back(std::move(rc));
    }
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "read recipients");
  }
  return Status::Ok();
}

}  // namespace mailtrail
