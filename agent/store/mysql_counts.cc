// MysqlStore's counts: fleet-wide detection's window counts (Store::ExchangeCounts,
// schema/mysql/0005_detect_counts.sql), the parser's line statistics, and each
// hour's records (schema/mysql/0009_message_hour.sql), written by each batch
// and read as the hour stamps of the web console's report cache.
#include <functional>
#include <memory>
#include <string>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

namespace mailtrail {

StatusOr<std::vector<WindowCount>> MysqlStore::ExchangeCounts(const std::string& agent,
                                                              const std::vector<WindowCount>& mine,
                                                              TimeUs since) {
  // Once; a lost connection is made again by the next call, a few seconds on.
  if (Status st = EnsureConnected(); !st.ok()) return st;
  std::vector<WindowCount> out;
  try {
    mysql::Execute(conn_.get(), "START TRANSACTION");
    std::unique_ptr<sql::PreparedStatement> del(
        conn_->prepareStatement("DELETE FROM detect_count WHERE agent = ? OR bucket < ?"));
    del->setString(1, agent);
    del->setInt64(2, since);
    del->executeUpdate();
    std::unique_ptr<sql::PreparedStatement> ins(conn_->prepareStatement(
        "INSERT INTO detect_count (agent, `key`, bucket, count) VALUES (?,?,?,?)"));
    for (const WindowCount& c : mine) {
      ins->setString(1, agent);
      ins->setString(2, c.key);
      ins->setInt64(3, c.bucket);
      ins->setInt(4, c.count);
      ins->executeUpdate();
    }
    mysql::Execute(conn_.get(), "COMMIT");
    std::unique_ptr<sql::PreparedStatement> q(conn_->prepareStatement(
        "SELECT agent, `key`, bucket, count FROM detect_count WHERE agent <> ? AND bucket >= ?"));
    q->setString(1, agent);
    q->setInt64(2, since);
    std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
    while (rs->next())
      out.push_back({rs->getString(1), rs->getString(2), rs->getInt64(3), rs->getInt(4)});
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "exchange detection counts");
    try {  // a half-done exchange must not be committed by the next statement
      mysql::Execute(conn_.get(), "ROLLBACK");
    } catch (const sql::SQLException&) {
      conn_.reset();
    }
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
  return out;
}

Status MysqlStore::AddLineStats(const LineStats& stats) {
  return WithReconnect("line stats", [&] {
    std::unique_ptr<sql::PreparedStatement> up(
        conn_->prepareStatement("INSERT INTO line_kind (kind, count) VALUES (?, ?)"
                                " ON DUPLICATE KEY UPDATE count = count + VALUES(count)"));
    for (const auto& [kind, count] : stats.kinds) {
      up->setString(1, kind);
      up->setInt64(2, count);
      up->executeUpdate();
    }
    std::unique_ptr<sql::PreparedStatement> sample(
        conn_->prepareStatement("INSERT INTO unknown_line (program, line) VALUES (?, ?)"));
    for (const auto& [program, line] : stats.unknown_samples) {
      sample->setString(1, program);
      sample->setString(2, line);
      sample->executeUpdate();
    }
    // Keep the sample bounded across many replays and agents.
    mysql::Execute(conn_.get(),
                   "DELETE FROM unknown_line WHERE id < (SELECT m FROM (SELECT MIN(id) AS m FROM"
                   " (SELECT id FROM unknown_line ORDER BY id DESC LIMIT 200) a) b)");
  });
}

StatusOr<LineStats> MysqlStore::GetLineStats() {
  LineStats out;
  Status st = WithReconnect("read line stats", [&] {
    out = {};
    auto k = mysql::Query(conn_.get(), "SELECT kind, count FROM line_kind ORDER BY kind");
    while (k->next()) out.kinds[k->getString(1)] = k->getInt64(2);
    auto s =
        mysql::Query(conn_.get(), "SELECT program, line FROM unknown_line ORDER BY id LIMIT 200");
    while (s->next()) out.unknown_samples.emplace_back(s->getString(1), s->getString(2));
  });
  if (!st.ok()) return st;
  return out;
}

// Inside the batch's transaction, after its rows: one statement of numbers.
// Throws sql::SQLException.
void MysqlStore::WriteHourCounts(const HourCounts& hours) {
  if (hours.empty()) return;
  std::string sql = "INSERT INTO message_hour (hour, agent, records, changes) VALUES ";
  bool first = true;
  for (const auto& [key, c] : hours) {
    if (!first) sql += ',';
    first = false;
    sql += '(' + std::to_string(key.first) + ',' + std::to_string(key.second) + ',' +
           std::to_string(c.records) + ',' + std::to_string(c.changes) + ')';
  }
  sql +=
      " ON DUPLICATE KEY UPDATE records = records + VALUES(records),"
      " changes = changes + VALUES(changes)";
  mysql::Execute(conn_.get(), sql);
}

StatusOr<std::vector<SliceStamp>> MysqlStore::SliceStamps(TimeUs since, TimeUs until,
                                                          TimeUs width) {
  // Hours: from the writers' counts in message_hour (schema 9), a row per hour
  // and agent: an hour's records, and the sum of its `changes`, which grows
  // with every write, rewrite and purge of one of them. Reading them from the
  // first_seen index cost 0.3-0.5 s for a day of a million messages.
  //
  // Minutes (the edges of a window, and the current hour): from the first_seen
  // index alone (it holds the primary key), in one query: InnoDB groups the
  // few slices in a temporary table. Ids are unsigned and agent-prefixed
  // (mysql_write.cc): their exact sum is a DECIMAL, read as text and hashed
  // (a sum modulo a prime would let two agents' ids cancel).
  if (width != kSliceHour && width != kSliceMinute)
    return Status::InvalidArgument("slice stamps: a width of an hour or a minute");
  if (Status st = EnsureConnected(); !st.ok()) return st;
  const int64_t w = width / kUsPerSecond;  // first_seen is in seconds
  std::vector<SliceStamp> out;
  // The whole slices [since, until) touches, in seconds.
  const int64_t first = since / kUsPerSecond, end = (until + kUsPerSecond - 1) / kUsPerSecond;
  const int64_t from = first - ((first % w) + w) % w, to = end + (w - ((end % w) + w) % w) % w;
  try {
    if (width == kSliceHour) {
      std::unique_ptr<sql::PreparedStatement> s(conn_->prepareStatement(
          "SELECT hour, CAST(SUM(records) AS SIGNED), CAST(SUM(changes) AS SIGNED)"
          " FROM message_hour"
          " WHERE hour >= ? AND hour < ? GROUP BY hour HAVING SUM(records) > 0 ORDER BY hour"));
      s->setInt64(1, from / w);  // both whole hours
      s->setInt64(2, to / w);
      std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
      while (rs->next())
        out.push_back({rs->getInt64(1) * width, rs->getInt64(2), 0, rs->getInt64(3), 0});
      return out;
    }
    const std::string slice = "first_seen DIV " + std::to_string(w);  // 60 or 3600
    std::unique_ptr<sql::PreparedStatement> s(conn_->prepareStatement(
        "SELECT " + slice + ", COUNT(*), MAX(id), SUM(id) FROM message" +
        " WHERE first_seen >= ? AND first_seen < ? GROUP BY " + slice + " ORDER BY " + slice));
    s->setInt64(1, from);
    s->setInt64(2, to);
    std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
    while (rs->next())
      out.push_back({rs->getInt64(1) * width, rs->getInt64(2),
                     static_cast<int64_t>(rs->getUInt64(3)),
                     static_cast<int64_t>(std::hash<std::string>()(rs->getString(4))), 0});
  } catch (const sql::SQLException& e) {
    Status st = mysql::FromException(e, "slice stamps");
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
  return out;
}

}  // namespace mailtrail
