// SqliteStore's read side: search and record decoding.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/record_columns.h"
#include "agent/store/search_filters.h"
#include "agent/store/sqlite_codec.h"
#include "agent/store/sqlite_store.h"
#include "agent/store/sqlite_trigram.h"
#include "base/ip_address.h"
#include "base/text.h"

namespace mailtrail {

namespace {
// "SELECT m.id, <the record's columns> FROM message m <joins>"; with
// `time_index_only`, message is read through its index on first_seen,
// whatever else the search names (SqliteStore::SearchInSlices).
const std::string& SelectMessages(bool time_index_only = false) {
  static const std::array<std::string, 2> kSql = [] {
    const SelectSql m = SelectColumns(MessageColumns(), "m", SqliteStore::DictTableOf);
    const std::string columns = "SELECT m.id, " + m.columns + " FROM message m";
    return std::array<std::string, 2>{columns + m.joins,
                                      columns + " INDEXED BY message_first_seen" + m.joins};
  }();
  return kSql[time_index_only];
}

// Row values from column `first` on, for ReadMessageColumns.
struct Columns {
  const SqliteStmt& s;
  int first;
  bool IsNull(int i) const { return s.IsNull(first + i); }
  int64_t Int(int i) const { return s.Int(first + i); }
  double Double(int i) const { return s.Double(first + i); }
  std::string Text(int i) const { return s.Text(first + i); }
};
}  // namespace

const char* SqliteStore::DictTableOf(Stored kind) {
  return kind == Stored::kSubject ? nullptr : "dict";
}

// The WHERE clause of a search, its values bound as parameters (docs/security.md
// rule 2): "?N" placeholders numbered as they are added; IP addresses are blobs.
// `conds` are the conditions ANDed; `sql` is " WHERE " and them, or empty.
struct SqliteStore::Where {
  std::string sql, conds;
  std::vector<std::string> params;
  std::vector<bool> is_blob;

  std::string Param(std::string v, bool blob = false) {
    params.push_back(std::move(v));
    is_blob.push_back(blob);
    return "?" + std::to_string(params.size());
  }
  void Bind(SqliteStmt* s) const {
    for (size_t i = 0; i < params.size(); ++i) {
      if (is_blob[i])
        s->BindBlob(static_cast<int>(i + 1), params[i]);
      else
        s->BindText(static_cast<int>(i + 1), params[i]);
    }
  }
};

namespace {
// The id of an exact dictionary text, found through its hash index.
template <typename W>
std::string DictIdSql(W* w, int kind, const std::string& text) {
  return "(SELECT id FROM dict WHERE hash = CAST(" +
         w->Param(std::to_string(DictHash(kind, text))) + " AS INTEGER)" +
         " AND kind = " + std::to_string(kind) + " AND text = " + w->Param(text) + ")";
}
// The ids of the addresses at `domain` (ASCII lower case), through the index
// dict_address_domain (the same expression: kSqliteAddressDomain).
template <typename W>
std::string DomainAddressesSql(W* w, const std::string& domain) {
  return std::string("(SELECT id FROM dict WHERE kind = 1 AND ") + kSqliteAddressDomain + " = " +
         w->Param(domain) + kSqliteHasDomain + ")";
}
// The messages of a recipient (address or original address), from rcpt.
std::string RecipientMessagesSql(const std::string& id) {
  return "SELECT message FROM rcpt WHERE addr = " + id + " OR orig = " + id;
}
}  // namespace

StatusOr<SqliteStore::Where> SqliteStore::BuildWhere(const SearchQuery& q, const char* time_column,
                                                     const char* id_column) {
  const std::string time = time_column, id = id_column;
  Where w;
  std::vector<std::string> where;
  auto dict_id = [&w](int kind, const std::string& text) { return DictIdSql(&w, kind, text); };
  if (q.sender) where.push_back("m.sender = " + dict_id(1, *q.sender));
  if (q.recipient)
    where.push_back("m.id IN (" + RecipientMessagesSql(dict_id(1, *q.recipient)) + ")");
  if (q.qid) where.push_back("m.qid = " + w.Param(*q.qid));
  if (q.message_id) where.push_back("m.message_id = " + w.Param(*q.message_id));
  if (q.subject) {
    const std::string needle = LowerUtf8(*q.subject);
    auto rare = RareSubjectIds(needle);
    if (!rare.ok()) return rare.status();
    if (*rare) {  // ids read from the index (numbers: no quoting needed)
      std::string ids;
      for (int64_t id : **rare) ids += (ids.empty() ? "" : ",") + std::to_string(id);
      where.push_back("m.id IN (" + ids + ")");
    }
    where.push_back("instr(mt_lower(m.subject), " + w.Param(needle) + ") > 0");
  }
  if (q.host) where.push_back("m.host = " + dict_id(2, *q.host));
  if (q.client_ip) {
    auto ip = IpAddress::Parse(*q.client_ip);
    if (!ip) return Status::InvalidArgument("not an IP address: " + *q.client_ip);
    where.push_back("m.client_ip = " + w.Param(ip->Bytes(), /*blob=*/true));
  }
  if (q.outcome) where.push_back("m.outcome = " + std::to_string(static_cast<int>(*q.outcome)));
  if (q.since) where.push_back(time + " >= " + std::to_string(*q.since / kUsPerSecond));
  if (q.until) where.push_back(time + " < " + std::to_string(*q.until / kUsPerSecond));
  if (q.helo) where.push_back("m.helo = " + dict_id(kHostName, *q.helo));
  if (q.sasl_username) where.push_back("m.sasl = " + dict_id(kSasl, *q.sasl_username));
  if (q.min_size) where.push_back("m.size >= " + std::to_string(*q.min_size));
  if (q.max_size) where.push_back("m.size <= " + std::to_string(*q.max_size));
  const SqlBinder binder{[&w](std::string v) { return w.Param(std::move(v)); },
                         [&w](std::string v) { return w.Param(std::move(v), /*blob=*/true); },
                         dict_id};
  // A common recipient domain: each message of the window is checked through
  // rcpt's primary key. Through SqliteDialect's `m.id IN (...)`, every message
  // of the domain was gathered first: 16 s for example.org on the 7-day store
  // (most recipients), against 0.04 s for the page this way.
  SearchQuery web = q;
  if (q.recipient_domain) {
    const std::string domain = AsciiLower(*q.recipient_domain);
    auto common = CommonRecipientDomain(domain);
    if (!common.ok()) return common.status();
    if (*common) {
      where.push_back("EXISTS (SELECT 1 FROM rcpt r WHERE r.message = m.id AND r.addr IN " +
                      DomainAddressesSql(&w, domain) + ")");
      web.recipient_domain.reset();
    }
  }
  // A relay substring: through the names kept for it (sqlite_relay_names.cc).
  if (q.relay) {
    if (Status st = FindRelayNames(*q.relay); !st.ok()) return st;
    where.push_back(
        SqliteDialect().any_recipient("r.relay IN (SELECT id FROM temp.relay_names)", q));
    web.relay.reset();
  }
  if (Status st = AddWebFilters(web, SqliteDialect(), binder, &where); !st.ok()) return st;
  if (q.after) {
    const std::string t = std::to_string(q.after->first_seen / kUsPerSecond);
    // ">= t" first: an index on first_seen starts its range there.
    where.push_back(time + " >= " + t + " AND (" + time + " > " + t + " OR " + id + " > " +
                    std::to_string(q.after->row) + ")");
  }
  for (size_t i = 0; i < where.size(); ++i) w.conds += (i == 0 ? "" : " AND ") + where[i];
  if (!w.conds.empty()) w.sql = " WHERE " + w.conds;
  return w;
}

StatusOr<bool> SqliteStore::CommonRecipientDomain(const std::string& domain) {
  auto version = IntPragma("data_version");
  if (!version.ok()) return version.status();
  if (domain_seen_.data_version == *version && domain_seen_.domain == domain)
    return domain_seen_.common;
  struct Params {
    int n = 0;
    std::string text;
    std::string Param(std::string v) {
      text = std::move(v);
      return "?" + std::to_string(++n);
    }
  } p;
  auto st = db_.Prepare("SELECT count(*) FROM (SELECT 1 FROM rcpt WHERE addr IN " +
                        DomainAddressesSql(&p, domain) + " LIMIT " +
                        std::to_string(kCommonDomainRows) + ")");
  if (!st.ok()) return st.status();
  st->BindText(1, p.text);
  if (st->Step() != SQLITE_ROW) return db_.Error("recipient domain rows");
  const bool common = st->Int(0) >= kCommonDomainRows;
  domain_seen_ = {*version, domain, common};
  return common;
}

StatusOr<int64_t> SqliteStore::CountMatches(const SearchQuery& q) {
  if (HasRecordFilters(q)) return Store::CountMatches(q);
  auto w = BuildWhere(q);
  if (!w.ok()) return w.status();
  auto st = db_.Prepare("SELECT count(*) FROM message m" + w->sql);
  if (!st.ok()) return st.status();
  w->Bind(&*st);
  if (st->Step() != SQLITE_ROW) return db_.Error("count");
  return st->Int(0);
}

Status SqliteStore::Search(const SearchQuery& q, const std::function<void(MessageRecord&&)>& fn) {
  return SearchWithCursor(q, [&fn](MessageRecord&& r, const SearchCursor&) { fn(std::move(r)); });
}

// The rows of `q`'s count, up to `cap`, one step each (so that a count stopped
// by its work bound still says how many it found).
Status SqliteStore::CountBySql(const SearchQuery& q, int64_t cap, int64_t* n) {
  SearchQuery all = q;
  all.after.reset();
  std::string sql;
  StatusOr<Where> w = Where{};
  if (RecipientAndWindowOnly(all)) {
    // Counted on rcpt's indexes alone (each rcpt row's message exists; a
    // purge removes both in one transaction). Through `m.id IN (...)` each
    // counted message's row was read too: 0.5 s for a recipient of 10,000
    // messages on a 7M-row store. A UNION of the two indexes, each read
    // alone: `addr = X OR orig = X` read each recipient row too (38-50 ms
    // for 10,001 of 23,000, against 4-8 ms).
    SearchQuery window = all;
    window.recipient.reset();
    w = BuildWhere(window, "first_seen", "message");
    if (!w.ok()) return w.status();
    const std::string id = DictIdSql(&*w, 1, *all.recipient);
    const std::string also = w->conds.empty() ? "" : " AND " + w->conds;
    sql = "SELECT message FROM rcpt WHERE addr = " + id + also +
          " UNION SELECT message FROM rcpt WHERE orig = " + id + also + " LIMIT " +
          std::to_string(cap);
  } else {
    w = BuildWhere(all);
    if (!w.ok()) return w.status();
    auto by_index = CountsBySubjectIndex(all);
    if (!by_index.ok()) return by_index.status();
    // A common substring is counted from the subject index: in time order the
    // count read every message until `cap` matched, 0.4-0.6 s for one in a
    // hundred on the 7-day store; from the index 0.05-0.08 s. Each candidate
    // is still checked by the conditions, the subject's instr() among them.
    const std::string from =
        *by_index ? " FROM subject_fts f CROSS JOIN message m ON m.id = f.rowid WHERE "
                    "subject_fts MATCH " +
                        w->Param(TrigramPhrase(LowerUtf8(*all.subject))) + " AND " + w->conds
                  : " FROM message m" + w->sql;
    sql = "SELECT 1" + from + " LIMIT " + std::to_string(cap);
  }
  auto st = db_.Prepare(sql);
  if (!st.ok()) return st.status();
  w->Bind(&*st);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) ++*n;
  return rc == SQLITE_DONE ? Status::Ok() : db_.Error("count");
}

Status SqliteStore::SearchWithCursor(
    const SearchQuery& q, const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
  return SearchFilteringRecords(
      q, [this](const SearchQuery& page, const CursorFn& f) { return SearchPage(page, f); }, fn);
}

Status SqliteStore::SearchPage(
    const SearchQuery& q, const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
  if (q.recipient) return RecipientPage(q, fn);
  auto w = BuildWhere(q);
  if (!w.ok()) return w.status();
  std::string sql = SelectMessages(time_index_only_) + w->sql;
  sql += " ORDER BY m.first_seen, m.id LIMIT " + std::to_string(q.limit);
  auto st = db_.Prepare(sql);
  if (!st.ok()) return st.status();
  return ReadPage(&*st, *w, fn);
}

// A recipient's page is driven from rcpt: its indexes give the recipient's
// rows in (first_seen, message) order, as address and as original address.
// Each of the two takes the page's first `limit` messages that pass the other
// keys (reading only the rows it passes over), and the page is the first
// `limit` of both. Sorting the recipient's messages instead read every one of
// their rows: 0.3 s for a recipient of 16,000 messages (docs/benchmarks.md).
Status SqliteStore::RecipientPage(
    const SearchQuery& q, const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
  SearchQuery rest = q;
  rest.recipient.reset();
  auto w = BuildWhere(rest, "r.first_seen", "r.message");
  if (!w.ok()) return w.status();
  const std::string id = DictIdSql(&*w, 1, *q.recipient);
  const std::string limit = " LIMIT " + std::to_string(q.limit);
  auto branch = [&](const char* column) {
    return "SELECT * FROM (SELECT DISTINCT r.first_seen AS fs, r.message AS mid FROM rcpt r"
           " CROSS JOIN message m ON m.id = r.message WHERE r." +
           std::string(column) + " = " + id + (w->conds.empty() ? "" : " AND " + w->conds) +
           " ORDER BY 1, 2" + limit + ")";
  };
  static const SelectSql kM = SelectColumns(MessageColumns(), "m", SqliteStore::DictTableOf);
  const std::string sql = "SELECT m.id, " + kM.columns + " FROM (" + branch("addr") + " UNION " +
                          branch("orig") + ") k CROSS JOIN message m ON m.id = k.mid" + kM.joins +
                          " ORDER BY k.fs, k.mid" + limit;
  auto st = db_.Prepare(sql);
  if (!st.ok()) return st.status();
  return ReadPage(&*st, *w, fn);
}

Status SqliteStore::ReadPage(SqliteStmt* st, const Where& w,
                             const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
  SqliteStmt& s = *st;
  w.Bind(&s);
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    MessageRecord r;
    const int64_t id = s.Int(0);
    ReadMessageColumns(Columns{s, 1}, &r);
    if (Status ls = LoadRecipients(id, &r); !ls.ok()) return ls;
    const SearchCursor at{r.first_seen, id};
    fn(std::move(r), at);
  }
  if (rc != SQLITE_DONE) return db_.Error("search");
  return Status::Ok();
}

Status SqliteStore::SearchForSummary(const SearchQuery& q,
                                     const std::function<void(MessageRecord&&)>& fn) {
  // Record filters are checked on whole records; a cursor is the web's paging.
  if (HasRecordFilters(q) || q.after) return Search(q, fn);
  if (q.limit <= 0) return Status::Ok();
  auto w = BuildWhere(q);
  if (!w.ok()) return w.status();
  // One row per recipient (one with NULLs for a message without any): the
  // message's columns, then the recipient's; a message's rows are adjacent.
  static const std::string kSelect = [] {
    const SelectSql m = SelectColumnsIf(MessageColumns(), "m", DictTableOf, SummaryReads, false);
    const SelectSql r = SelectColumnsIf(RecipientColumns(), "r", DictTableOf, SummaryReads, true);
    return "SELECT m.id, r.message, " + m.columns + ", " + r.columns + " FROM message m" + m.joins +
           " LEFT JOIN rcpt r ON r.message = m.id" + r.joins;
  }();
  auto st = db_.Prepare(kSelect + w->sql + " ORDER BY m.first_seen, m.id, r.seq");
  if (!st.ok()) return st.status();
  SqliteStmt& s = *st;
  w->Bind(&s);
  const int rcpt_first = 2 + static_cast<int>(MessageColumns().size());
  std::optional<MessageRecord> r;
  int64_t id = 0, sent = 0;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    if (!r || s.Int(0) != id) {
      if (r) {
        fn(std::move(*r));
        if (++sent >= q.limit) return Status::Ok();
      }
      r.emplace();
      id = s.Int(0);
      ReadMessageColumns(Columns{s, 2}, &*r);
    }
    if (s.IsNull(1)) continue;
    RecipientRecord recipient;
    ReadRecipientColumns(Columns{s, rcpt_first}, &recipient);
    r->recipients.push_back(std::move(recipient));
  }
  if (rc != SQLITE_DONE) return db_.Error("search for summary");
  if (r && sent < q.limit) fn(std::move(*r));
  return Status::Ok();
}

Status SqliteStore::LoadRecipients(int64_t message_id, MessageRecord* r) {
  SqliteStmt& s = select_rcpts_;
  s.Reset();
  s.BindInt(1, message_id);
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    RecipientRecord rc_;
    ReadRecipientColumns(Columns{s, 0}, &rc_);
    r->recipients.push_back(std::move(rc_));
  }
  if (rc != SQLITE_DONE) return db_.Error("read recipients");
  return Status::Ok();
}

}  // namespace mailtrail
