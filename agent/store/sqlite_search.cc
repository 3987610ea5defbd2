// SqliteStore's read side: search and record decoding.
#include <string>
#include <vector>

#include "agent/store/search_filters.h"
#include "agent/store/sqlite_codec.h"
#include "agent/store/sqlite_store.h"
#include "base/ip_address.h"
#include "base/text.h"

namespace mailtrail {

namespace {
constexpr const char* kSelect =
    "SELECT m.id, h.text, m.qid, m.first_seen, m.last_seen, m.client_ip, s.text, m.size,"
    " m.outcome, m.end_reason, ch.text, he.text, sa.text, m.message_id, m.subject, m.header_from,"
    " m.nrcpt, m.parent_qid, m.child_qids, m.ndr_qid, m.ndr_of, m.notice_qids, m.reject_action,"
    " m.reject_stage, m.reject_code, m.reject_dsn, m.reject_text, m.scans, m.events,"
    " m.sender IS NOT NULL"
    " FROM message m JOIN dict h ON h.id = m.host"
    " LEFT JOIN dict s ON s.id = m.sender LEFT JOIN dict ch ON ch.id = m.client_host"
    " LEFT JOIN dict he ON he.id = m.helo LEFT JOIN dict sa ON sa.id = m.sasl";

Outcome ToOutcome(int64_t v) {
  return v >= 0 && v < kOutcomeCount ? static_cast<Outcome>(v) : Outcome::kInFlight;
}
}  // namespace

// The WHERE clause of a search, its values bound as parameters (docs/security.md
// rule 2): "?N" placeholders numbered as they are added; IP addresses are blobs.
struct SqliteStore::Where {
  std::string sql;
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

StatusOr<SqliteStore::Where> SqliteStore::BuildWhere(const SearchQuery& q) {
  Where w;
  std::vector<std::string> where;
  // The id of an exact dictionary text, found through its hash index.
  auto dict_id = [&w](int kind, const std::string& text) {
    return "(SELECT id FROM dict WHERE hash = CAST(" +
           w.Param(std::to_string(DictHash(kind, text))) + " AS INTEGER)" +
           " AND kind = " + std::to_string(kind) + " AND text = " + w.Param(text) + ")";
  };
  if (q.sender) where.push_back("m.sender = " + dict_id(1, *q.sender));
  if (q.recipient) {
    const std::string id = dict_id(1, *q.recipient);
    where.push_back("m.id IN (SELECT message FROM rcpt WHERE addr = " + id + " OR orig = " + id +
                    ")");
  }
  if (q.qid) where.push_back("m.qid = " + w.Param(*q.qid));
  if (q.message_id) where.push_back("m.message_id = " + w.Param(*q.message_id));
  if (q.subject)
    where.push_back("instr(mt_lower(m.subject), " + w.Param(LowerUtf8(*q.subject)) + ") > 0");
  if (q.host) where.push_back("m.host = " + dict_id(2, *q.host));
  if (q.client_ip) {
    auto ip = IpAddress::Parse(*q.client_ip);
    if (!ip) return Status::InvalidArgument("not an IP address: " + *q.client_ip);
    where.push_back("m.client_ip = " + w.Param(ip->Bytes(), /*blob=*/true));
  }
  if (q.outcome) where.push_back("m.outcome = " + std::to_string(static_cast<int>(*q.outcome)));
  if (q.since) where.push_back("m.first_seen >= " + std::to_string(*q.since / kUsPerSecond));
  if (q.until) where.push_back("m.first_seen < " + std::to_string(*q.until / kUsPerSecond));
  if (q.helo) where.push_back("m.helo = " + dict_id(kHostName, *q.helo));
  if (q.sasl_username) where.push_back("m.sasl = " + dict_id(kSasl, *q.sasl_username));
  if (q.min_size) where.push_back("m.size >= " + std::to_string(*q.min_size));
  if (q.max_size) where.push_back("m.size <= " + std::to_string(*q.max_size));
  const SqlBinder binder{[&w](std::string v) { return w.Param(std::move(v)); },
                         [&w](std::string v) { return w.Param(std::move(v), /*blob=*/true); },
                         dict_id};
  if (Status st = AddSqliteWebFilters(q, binder, &where); !st.ok()) return st;
  if (q.after) {
    const std::string t = std::to_string(q.after->first_seen / kUsPerSecond);
    // ">= t" first: an index on first_seen starts its range there.
    where.push_back("m.first_seen >= " + t + " AND (m.first_seen > " + t + " OR m.id > " +
                    std::to_string(q.after->row) + ")");
  }
  for (size_t i = 0; i < where.size(); ++i) w.sql += (i == 0 ? " WHERE " : " AND ") + where[i];
  return w;
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

StatusOr<int64_t> SqliteStore::CountMatchesUpTo(const SearchQuery& q, int64_t cap) {
  if (HasRecordFilters(q)) return Store::CountMatchesUpTo(q, cap);
  SearchQuery all = q;
  all.after.reset();
  auto w = BuildWhere(all);
  if (!w.ok()) return w.status();
  auto st = db_.Prepare("SELECT count(*) FROM (SELECT 1 FROM message m" + w->sql + " LIMIT " +
                        std::to_string(cap) + ")");
  if (!st.ok()) return st.status();
  w->Bind(&*st);
  if (st->Step() != SQLITE_ROW) return db_.Error("count");
  return st->Int(0);
}

Status SqliteStore::SearchWithCursor(
    const SearchQuery& q, const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
  return SearchFilteringRecords(
      q, [this](const SearchQuery& page, const CursorFn& f) { return SearchPage(page, f); }, fn);
}

Status SqliteStore::SearchPage(
    const SearchQuery& q, const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
  auto w = BuildWhere(q);
  if (!w.ok()) return w.status();
  std::string sql = kSelect + w->sql;
  sql += " ORDER BY m.first_seen, m.id LIMIT " + std::to_string(q.limit);
  auto st = db_.Prepare(sql);
  if (!st.ok()) return st.status();
  SqliteStmt& s = *st;
  w->Bind(&s);
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    MessageRecord r;
    const int64_t id = s.Int(0);
    r.host = s.Text(1);
    r.qid = s.Text(2);
    r.first_seen = s.Int(3) * kUsPerSecond;
    r.last_seen = s.Int(4) * kUsPerSecond;
    if (!s.IsNull(5)) {
      if (auto ip = IpAddress::FromBytes(s.Text(5))) r.client_ip = ip->ToString();
    }
    if (s.Int(29)) r.sender = s.Text(6);
    r.size = s.IsNull(7) ? -1 : s.Int(7);
    r.outcome = ToOutcome(s.Int(8));
    r.end = static_cast<RecordEnd>(s.Int(9) & 3);
    r.client_host = s.Text(10);
    r.helo = s.Text(11);
    r.has_client = !r.client_ip.empty() || !r.client_host.empty();
    r.sasl_username = s.Text(12);
    if (!s.IsNull(13)) r.message_id = s.Text(13);
    if (!s.IsNull(14)) r.subject = s.Text(14);
    if (!s.IsNull(15)) r.header_from = s.Text(15);
    r.nrcpt = s.IsNull(16) ? -1 : static_cast<int>(s.Int(16));
    r.parent_qid = s.Text(17);
    r.child_qids = SplitList(s.Text(18));
    r.ndr_qid = s.Text(19);
    r.ndr_of = s.Text(20);
    r.notice_qids = SplitList(s.Text(21));
    if (!s.IsNull(22)) {
      r.reject =
          RejectInfo{s.Text(22), s.Text(23), static_cast<int>(s.Int(24)), s.Text(25), s.Text(26)};
    }
    r.scans = DecodeScans(s.Text(27));
    r.events = DecodeEvents(s.Text(28));
    if (Status ls = LoadRecipients(id, &r); !ls.ok()) return ls;
    const SearchCursor at{r.first_seen, id};
    fn(std::move(r), at);
  }
  if (rc != SQLITE_DONE) return db_.Error("search");
  return Status::Ok();
}

Status SqliteStore::LoadRecipients(int64_t message_id, MessageRecord* r) {
  SqliteStmt& s = select_rcpts_;
  s.Reset();
  s.BindInt(1, message_id);
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    RecipientRecord rc_;
    rc_.address = s.Text(0);
    rc_.outcome = ToOutcome(s.Int(1));
    rc_.orig_address = s.Text(2);
    rc_.dsn = s.Text(3);
    rc_.relay = s.Text(4);
    rc_.delay = s.IsNull(5) ? -1 : s.Double(5);
    rc_.attempts = static_cast<int>(s.Int(6));
    rc_.time = s.Int(7) * kUsPerSecond;
    rc_.status_text = s.Text(8);
    r->recipients.push_back(std::move(rc_));
  }
  if (rc != SQLITE_DONE) return db_.Error("read recipients");
  return Status::Ok();
}

}  // namespace mailtrail
