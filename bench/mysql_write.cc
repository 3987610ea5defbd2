// mysql_write: records/s into the MySQL store, against a plain multi-row INSERT
// of the same rows in the same run, and bytes per message.
// 1. Replays FILE into memory (not timed).
// 2. Times MysqlStore::WriteBatch in batches of 2000 records into a fresh
//    database `mtbench_store` (dictionaries, partitions, ids: all of it).
// 3. Reads every row the store wrote (dictionaries, message, rcpt) back and
//    times inserting exactly those rows into `mtbench_plain` (same tables and
//    partitions) with plain text multi-row INSERTs, 128 rows per statement and
//    one transaction per 2000 messages' worth of rows: the baseline.
// 4. Reports data + index bytes per message of the store's database.
// usage: mysql_write FILE SOCKET [minimal|standard|full] [--year Y]
// The server must run (tests/mysql/server.sh start DIR); root without password.
#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "agent/replay/replay.h"
#include "agent/store/store.h"

namespace {
class Collect : public mailtrail::RecordSink {
 public:
  void OnRecord(mailtrail::MessageRecord&& r) override { records.push_back(std::move(r)); }
  std::vector<mailtrail::MessageRecord> records;
};

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string Hex(const std::string& s) {
  static const char k[] = "0123456789ABCDEF";
  std::string out = "X'";
  for (unsigned char c : s) {
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out + "'";
}

bool IsNumeric(int type) {
  switch (type) {
    case sql::DataType::BIT:
    case sql::DataType::TINYINT:
    case sql::DataType::SMALLINT:
    case sql::DataType::MEDIUMINT:
    case sql::DataType::INTEGER:
    case sql::DataType::BIGINT:
    case sql::DataType::REAL:
    case sql::DataType::DOUBLE:
    case sql::DataType::DECIMAL:
    case sql::DataType::NUMERIC:
      return true;
    default:
      return false;
  }
}

// Every row of `table` as a "(v1,v2,...)" literal, in primary key order.
std::vector<std::string> Rows(sql::Connection* c, const std::string& table) {
  std::unique_ptr<sql::Statement> s(c->createStatement());
  std::unique_ptr<sql::ResultSet> rs(s->executeQuery("SELECT * FROM " + table));
  sql::ResultSetMetaData* md = rs->getMetaData();
  const int n = static_cast<int>(md->getColumnCount());
  std::vector<bool> numeric(n + 1);
  for (int i = 1; i <= n; ++i) numeric[i] = IsNumeric(md->getColumnType(i));
  std::vector<std::string> rows;
  while (rs->next()) {
    std::string row = "(";
    for (int i = 1; i <= n; ++i) {
      if (i > 1) row += ',';
      if (rs->isNull(i))
        row += "NULL";
      else if (numeric[i])
        row += std::string(rs->getString(i));
      else
        row += Hex(rs->getString(i));
    }
    rows.push_back(row + ")");
  }
  return rows;
}

int Sh(const std::string& cmd) { return std::system(cmd.c_str()); }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: mysql_write FILE SOCKET [minimal|standard|full] [--year Y]\n");
    return 2;
  }
  const std::string socket = argv[2];
  auto detail = mailtrail::Detail::kStandard;
  mailtrail::ReplayOptions options;
  options.year = 2026;
  for (int i = 3; i < argc; ++i) {
    if (auto d = mailtrail::DetailFromName(argv[i])) detail = *d;
    if (std::strcmp(argv[i], "--year") == 0 && i + 1 < argc) options.year = std::atoi(argv[++i]);
  }
  options.tracker.keep_events = detail == mailtrail::Detail::kFull;
  Collect sink;
  mailtrail::LineCounter counter;
  if (auto st = mailtrail::Replay({argv[1]}, options, &sink, &counter, nullptr); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  const std::string client = "mariadb --no-defaults -uroot -S '" + socket + "' ";
  if (Sh(client + "-e 'DROP DATABASE IF EXISTS mtbench_store; CREATE DATABASE mtbench_store;"
                  " DROP DATABASE IF EXISTS mtbench_plain; CREATE DATABASE mtbench_plain'") != 0)
    return 1;
  const std::string url = "mysql://root@localhost/mtbench_store?socket=" + socket;
  {
    mailtrail::StoreOptions o;
    o.migrate = true;
    o.create = false;
    if (auto s = mailtrail::OpenStore(url, o); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().message().c_str());
      return 1;
    }
  }
  mailtrail::StoreOptions o;
  o.detail = detail;
  o.agent_name = "bench";
  auto store = mailtrail::OpenStore(url, o);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  const size_t n = sink.records.size();
  size_t recipients = 0;
  for (const auto& r : sink.records) recipients += r.recipients.size();
  sink.records.shrink_to_fit();
  constexpr size_t kBatch = 2000;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; i += kBatch) {
    // Moved, as AsyncWriter hands its batches over.
    std::vector<mailtrail::MessageRecord> batch(
        std::make_move_iterator(sink.records.begin() + static_cast<long>(i)),
        std::make_move_iterator(sink.records.begin() + static_cast<long>(std::min(i + kBatch, n))));
    if (auto st = (*store)->Write(batch); !st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
  }
  const double store_secs = Since(start);
  store->reset();

  try {
    sql::ConnectOptionsMap co;
    co["hostName"] = sql::SQLString("unix://" + socket);
    co["userName"] = sql::SQLString("root");
    co["password"] = sql::SQLString("");
    std::unique_ptr<sql::Connection> c(get_driver_instance()->connect(co));
    c->setSchema("mtbench_store");
    std::unique_ptr<sql::Statement> s(c->createStatement());
    // Bytes: InnoDB's own account of data and index pages, after ANALYZE.
    {
      std::unique_ptr<sql::ResultSet> a(s->executeQuery(
          "ANALYZE TABLE dict_domain, dict_address, dict_name, dict_subject, message, rcpt"));
      while (a->next()) {
      }
    }
    std::unique_ptr<sql::ResultSet> size(
        s->executeQuery("SELECT SUM(DATA_LENGTH), SUM(INDEX_LENGTH) FROM information_schema.TABLES"
                        " WHERE TABLE_SCHEMA = 'mtbench_store'"));
    size->next();
    const double data = static_cast<double>(size->getInt64(1));
    const double index = static_cast<double>(size->getInt64(2));

    // The baseline: the same rows, plain multi-row INSERTs, same tables/partitions.
    const char* tables[] = {"dict_domain",  "dict_address", "dict_name",
                            "dict_subject", "message",      "rcpt"};
    std::vector<std::pair<std::string, std::vector<std::string>>> rows;
    size_t total_rows = 0;
    for (const char* t : tables) {
      rows.emplace_back(t, Rows(c.get(), t));
      total_rows += rows.back().second.size();
    }
    if (Sh("mariadb-dump --no-defaults -uroot -S '" + socket +
           "' --no-data mtbench_store dict_domain dict_address dict_name dict_subject message"
           " rcpt | " +
           client + "mtbench_plain") != 0)
      return 1;
    c->setSchema("mtbench_plain");
    // Transactions the size of the store's: 2000 messages' worth of rows.
    const size_t per_txn = std::max<size_t>(1, total_rows * kBatch / std::max<size_t>(n, 1));
    start = std::chrono::steady_clock::now();
    size_t in_txn = 0;
    s->execute("START TRANSACTION");
    for (const auto& [table, list] : rows) {
      for (size_t i = 0; i < list.size(); i += 128) {
        std::string sql = "INSERT INTO " + table + " VALUES ";
        for (size_t k = i; k < std::min(i + 128, list.size()); ++k) {
          if (k > i) sql += ',';
          sql += list[k];
        }
        s->execute(sql);
        in_txn += std::min<size_t>(128, list.size() - i);
        if (in_txn >= per_txn) {
          s->execute("COMMIT");
          s->execute("START TRANSACTION");
          in_txn = 0;
        }
      }
    }
    s->execute("COMMIT");
    const double plain_secs = Since(start);
    std::printf(
        "%s detail: %zu records (%zu recipients, %zu rows in all)\n"
        "  MysqlStore:              %.3f s = %.0f records/s\n"
        "  plain multi-row INSERT:  %.3f s = %.0f records/s (%.0f rows/s)\n"
        "  store / plain:           %.0f%%\n"
        "  bytes: %.0f data + %.0f index = %.1f bytes/message\n",
        mailtrail::DetailName(detail), n, recipients, total_rows, store_secs, n / store_secs,
        plain_secs, n / plain_secs, total_rows / plain_secs, 100.0 * plain_secs / store_secs, data,
        index, (data + index) / n);
  } catch (const sql::SQLException& e) {
    std::fprintf(stderr, "MySQL error %d: %s\n", e.getErrorCode(), e.what());
    return 1;
  }
  return 0;
}
