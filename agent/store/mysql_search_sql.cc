// MysqlStore's search SQL (mysql_search_sql.h).
#include "agent/store/mysql_search_sql.h"

#include "agent/store/search_filters.h"
#include "base/ip_address.h"

namespace mailtrail::mysql {

// "(SELECT id FROM dict_x WHERE id IN (?,...) AND text = ?)" with its parameters.
std::string DictIds(MysqlDictionary::Kind kind, const std::string& text,
                    std::vector<Param>* params) {
  std::string sql =
      std::string("(SELECT id FROM ") + MysqlDictionary::Table(kind) + " WHERE id IN (";
  for (int p = 0; p < MysqlDictionary::kProbes; ++p) {
    sql += p ? ",?" : "?";
    params->push_back(MysqlDictionary::ProbeId(kind, text, p));
  }
  params->push_back(text);
  return sql + ") AND text = ?)";
}

// The conditions of a search, ANDed (empty: none), every value a parameter.
// `time` and `id` name a row's position in the search's order: the message's
// (m.first_seen, m.id), or the same values from a recipient row (r.first_seen,
// r.message) when rcpt drives the search (RecipientPageSql).
StatusOr<std::string> BuildConditions(const SearchQuery& q, std::vector<Param>* params,
                                      const std::string& time, const std::string& id,
                                      sql::Connection* lookup) {
  std::vector<std::string> where;
  using Dict = MysqlDictionary;
  if (q.sender) where.push_back("m.sender IN " + DictIds(Dict::kAddress, *q.sender, params));
  if (q.recipient) {
    std::string sql = "m.id IN (SELECT message FROM rcpt WHERE addr IN ";
    sql += DictIds(Dict::kAddress, *q.recipient, params);
    sql += " OR orig IN " + DictIds(Dict::kAddress, *q.recipient, params) + ")";
    where.push_back(sql);
  }
  if (q.qid) {
    where.push_back("m.qid = ?");
    params->push_back(*q.qid);
  }
  if (q.message_id) {
    where.push_back("m.message_id = ?");
    params->push_back(*q.message_id);
  }
  if (q.subject) {
    // Texts are bytes (VARBINARY): compared as utf8mb4 lower-cased by the
    // server, then byte by byte (no accent folding, unlike a _ci collation).
    where.push_back(
        "m.subject IN (SELECT id FROM dict_subject WHERE LOCATE("
        "CAST(LOWER(CONVERT(? USING utf8mb4)) AS BINARY),"
        " CAST(LOWER(CONVERT(text USING utf8mb4)) AS BINARY)) > 0)");
    params->push_back(*q.subject);
  }
  if (q.host) where.push_back("m.host IN " + DictIds(Dict::kName, *q.host, params));
  if (q.client_ip) {
    auto ip = IpAddress::Parse(*q.client_ip);
    if (!ip) return Status::InvalidArgument("not an IP address: " + *q.client_ip);
    where.push_back("m.client_ip = ?");
    params->push_back(ip->Bytes());
  }
  if (q.outcome) where.push_back("m.outcome = " + std::to_string(static_cast<int>(*q.outcome)));
  if (q.since) where.push_back(time + " >= " + std::to_string(*q.since / kUsPerSecond));
  if (q.until) where.push_back(time + " < " + std::to_string(*q.until / kUsPerSecond));
  if (q.helo) where.push_back("m.helo IN " + DictIds(Dict::kName, *q.helo, params));
  if (q.sasl_username)
    where.push_back("m.sasl IN " + DictIds(Dict::kName, *q.sasl_username, params));
  if (q.min_size) where.push_back("m.size >= " + std::to_string(*q.min_size));
  if (q.max_size) where.push_back("m.size <= " + std::to_string(*q.max_size));
  auto param = [params](std::string v) {
    params->push_back(std::move(v));
    return std::string("?");
  };
  // Bytes (IP addresses) compared as bytes, whatever the connection's charset.
  auto blob = [params](std::string v) {
    params->push_back(std::move(v));
    return std::string("CAST(? AS BINARY)");
  };
  // A recipient domain's id is looked up first when it can be: through the
  // sub-select, MariaDB read every recipient row of a common domain before
  // the first message row (9.2 s for a minute of the 7-day store, against
  // 0.03 s with the id; docs/benchmarks.md, "The web console on MariaDB").
  const SqlBinder binder{param, blob, [params, lookup](int kind, const std::string& text) {
                           const auto k = static_cast<Dict::Kind>(kind);
                           if (lookup && k == Dict::kDomain) {
                             const std::optional<int64_t> id = FindDictId(lookup, k, text);
                             return "(" + (id ? std::to_string(*id) : std::string("NULL")) + ")";
                           }
                           return DictIds(k, text, params);
                         }};
  if (Status st = AddWebFilters(q, MysqlDialect(), binder, &where); !st.ok()) return st;
  if (q.after) {
    const std::string t = std::to_string(q.after->first_seen / kUsPerSecond);
    // ">= t" first: an index on first_seen starts its range there.
    where.push_back(time + " >= " + t + " AND (" + time + " > " + t + " OR " + id + " > " +
                    std::to_string(q.after->row) + ")");
  }
  std::string sql;
  for (size_t i = 0; i < where.size(); ++i) sql += (i == 0 ? "" : " AND ") + where[i];
  return sql;
}

bool NamesAnIndexedKey(const SearchQuery& q) {
  return q.sender || q.qid || q.message_id || q.client_ip || q.client_cidr || q.subject ||
         q.recipient_domain;
}

// The WHERE clause of a search (" WHERE ..." or empty).
StatusOr<std::string> BuildWhere(const SearchQuery& q, std::vector<Param>* params,
                                 sql::Connection* lookup) {
  auto conds = BuildConditions(q, params, "m.first_seen", "m.id", lookup);
  if (!conds.ok() || conds->empty()) return conds;
  return " WHERE " + *conds;
}

void BindParams(sql::PreparedStatement* s, const std::vector<Param>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const int at = static_cast<int>(i + 1);
    if (params[i].is_text) {
      s->setString(at, params[i].text);
    } else {
      s->setInt64(at, params[i].number);
    }
  }
}

// The one number a COUNT query gives. Throws sql::SQLException.
int64_t CountOf(sql::Connection* c, const std::string& sql, const std::vector<Param>& params) {
  std::unique_ptr<sql::PreparedStatement> s(c->prepareStatement(sql));
  BindParams(s.get(), params);
  std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
  rs->next();
  return static_cast<int64_t>(rs->getInt64(1));
}

// The rows of a counting statement that ends in LIMIT ... ROWS EXAMINED, and
// whether MariaDB stopped it there. Throws sql::SQLException.
MatchCount CountRows(sql::Connection* c, const std::string& sql, const std::vector<Param>& params) {
  std::unique_ptr<sql::PreparedStatement> s(c->prepareStatement(mysql::KeepingWarnings(sql)));
  BindParams(s.get(), params);
  std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
  MatchCount count;
  while (rs->next()) ++count.n;
  count.stopped = mysql::StoppedAtRowsExamined(c);
  return count;
}

std::optional<int64_t> FindDictId(sql::Connection* c, MysqlDictionary::Kind kind,
                                  const std::string& text) {
  std::vector<Param> params;
  const std::string sql = DictIds(kind, text, &params);
  std::unique_ptr<sql::PreparedStatement> s(c->prepareStatement(sql.substr(1, sql.size() - 2)));
  BindParams(s.get(), params);
  std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
  if (!rs->next()) return std::nullopt;
  return rs->getInt64(1);
}

}  // namespace mailtrail::mysql
