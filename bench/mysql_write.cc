// mysql_write: records/s into the MySQL store, against a plain multi-row INSERT
// of the same rows in the same run, and bytes per message.
// 1. Replays FILE into memory (not timed).
// 2. Times MysqlStore::WriteBatch in batches of 2000 records into a fresh
//    database `mtbench_store` (dictionaries, partitions, ids: all of it).
// 3. Reads every row the store wrote (dictionaries, message, rcpt) back and
//    times inserting exactly those rows into `mtbench_plain` (same tables and
//    partitions) with plain text multi-row INSERTs of 128 rows: the baseline,
//    twice: (a) in the store's order and transactions (per batch of 2000
//    messages: the dictionary rows it introduced, its messages, their
//    recipients; one COMMIT), and (b) table by table in key order, in
//    transactions of the same size (what a dump and restore does).
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
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
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

// Every row of `table` as a "(v1,v2,...)" literal, in `order`.
std::vector<std::string> Rows(sql::Connection* c, const std::string& table,
                              const std::string& order) {
  std::unique_ptr<sql::Statement> s(c->createStatement());
  std::unique_ptr<sql::ResultSet> rs(
      s->executeQuery("SELECT * FROM " + table + " ORDER BY " + order));
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
    o.as_writer = false;
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
    const char* dict_tables[] = {"dict_domain", "dict_address", "dict_name", "dict_subject"};
    std::map<std::string, std::map<int64_t, std::string>> dict;  // table -> id -> row
    size_t total_rows = 0;
    for (const char* t : dict_tables) {
      std::unique_ptr<sql::ResultSet> ids(
          s->executeQuery(std::string("SELECT id FROM ") + t + " ORDER BY id"));
      const std::vector<std::string> rows = Rows(c.get(), t, "id");
      for (size_t i = 0; ids->next(); ++i) dict[t][ids->getInt64(1)] = rows[i];
      total_rows += rows.size();
    }
    std::map<int64_t, int64_t> address_domain;
    {
      std::unique_ptr<sql::ResultSet> rs(
          s->executeQuery("SELECT id, domain FROM dict_address WHERE domain IS NOT NULL"));
      while (rs->next()) address_domain[rs->getInt64(1)] = rs->getInt64(2);
    }
    // Messages in id order (the store's write order), with the dictionary ids
    // they reference; recipients likewise.
    struct Msg {
      std::string row;
      std::vector<std::pair<const char*, int64_t>> refs;
      std::vector<std::string> rcpts;
    };
    std::map<uint64_t, Msg> msgs;
    {
      const std::vector<std::string> rows = Rows(c.get(), "message", "id");
      std::unique_ptr<sql::ResultSet> rs(s->executeQuery(
          "SELECT id, host, sender, client_host, helo, sasl, subject FROM message ORDER BY id"));
      for (size_t i = 0; rs->next(); ++i) {
        Msg& m = msgs[rs->getUInt64(1)];
        m.row = rows[i];
        const char* kinds[] = {"dict_name", "dict_address", "dict_name",
                               "dict_name", "dict_name",    "dict_subject"};
        for (int k = 0; k < 6; ++k)
          if (!rs->isNull(k + 2)) m.refs.emplace_back(kinds[k], rs->getInt64(k + 2));
      }
      const std::vector<std::string> rrows = Rows(c.get(), "rcpt", "message, seq");
      std::unique_ptr<sql::ResultSet> rr(
          s->executeQuery("SELECT message, addr, orig, relay FROM rcpt ORDER BY message, seq"));
      for (size_t i = 0; rr->next(); ++i) {
        Msg& m = msgs[rr->getUInt64(1)];
        m.rcpts.push_back(rrows[i]);
        m.refs.emplace_back("dict_address", rr->getInt64(2));
        if (!rr->isNull(3)) m.refs.emplace_back("dict_address", rr->getInt64(3));
        if (!rr->isNull(4)) m.refs.emplace_back("dict_name", rr->getInt64(4));
      }
      total_rows += rows.size() + rrows.size();
    }
    auto load_schema = [&] {
      if (Sh(client +
             "-e 'DROP DATABASE IF EXISTS mtbench_plain; CREATE DATABASE mtbench_plain'") != 0 ||
          Sh("mariadb-dump --no-defaults -uroot -S '" + socket +
             "' --no-data mtbench_store dict_domain dict_address dict_name dict_subject message"
             " rcpt | " +
             client + "mtbench_plain") != 0)
        throw std::runtime_error("cannot copy the schema");
      c->setSchema("mtbench_plain");
    };
    auto insert = [&](const std::string& table, const std::vector<const std::string*>& rows) {
      for (size_t i = 0; i < rows.size(); i += 128) {
        std::string sql = "INSERT INTO " + table + " VALUES ";
        for (size_t k = i; k < std::min(i + 128, rows.size()); ++k) {
          if (k > i) sql += ',';
          sql += *rows[k];
        }
        s->execute(sql);
      }
    };

    // (a) The store's order and transactions.
    load_schema();
    start = std::chrono::steady_clock::now();
    {
      std::set<std::pair<std::string, int64_t>> written;
      auto it = msgs.begin();
      while (it != msgs.end()) {
        std::map<std::string, std::set<int64_t>> introduced;
        std::vector<const std::string*> messages, rcpts;
        for (size_t n_in = 0; n_in < kBatch && it != msgs.end(); ++n_in, ++it) {
          messages.push_back(&it->second.row);
          for (const auto& r : it->second.rcpts) rcpts.push_back(&r);
          for (const auto& [table, id] : it->second.refs) {
            if (!written.insert({table, id}).second) continue;
            introduced[table].insert(id);
            if (std::string(table) == "dict_address" && address_domain.count(id) &&
                written.insert({"dict_domain", address_domain[id]}).second)
              introduced["dict_domain"].insert(address_domain[id]);
          }
        }
        s->execute("START TRANSACTION");
        for (const char* t : dict_tables) {
          std::vector<const std::string*> rows;
          for (int64_t id : introduced[t]) rows.push_back(&dict[t][id]);
          insert(t, rows);
        }
        insert("message", messages);
        insert("rcpt", rcpts);
        s->execute("COMMIT");
      }
    }
    const double same_order_secs = Since(start);

    // (b) Table by table in key order, transactions of the same size.
    load_schema();
    const size_t per_txn = std::max<size_t>(1, total_rows * kBatch / std::max<size_t>(n, 1));
    std::vector<std::pair<std::string, std::vector<const std::string*>>> tables;
    for (const char* t : dict_tables) {
      tables.emplace_back(t, std::vector<const std::string*>());
      for (const auto& [id, row] : dict[t]) tables.back().second.push_back(&row);
    }
    tables.emplace_back("message", std::vector<const std::string*>());
    tables.emplace_back("rcpt", std::vector<const std::string*>());
    for (const auto& [id, m] : msgs) {
      tables[4].second.push_back(&m.row);
      for (const auto& r : m.rcpts) tables[5].second.push_back(&r);
    }
    start = std::chrono::steady_clock::now();
    s->execute("START TRANSACTION");
    size_t in_txn = 0;
    for (const auto& [table, list] : tables) {
      for (size_t i = 0; i < list.size(); i += 128) {
        const size_t end = std::min(i + 128, list.size());
        insert(table, std::vector<const std::string*>(list.begin() + static_cast<long>(i),
                                                      list.begin() + static_cast<long>(end)));
        in_txn += end - i;
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
        "  MysqlStore:                                   %.3f s = %.0f records/s\n"
        "  plain INSERT, the store's order and batches:  %.3f s = %.0f records/s (%.0f rows/s)"
        " -> store at %.0f%% of it\n"
        "  plain INSERT, table by table in key order:    %.3f s = %.0f records/s (%.0f rows/s)"
        " -> store at %.0f%% of it\n"
        "  bytes: %.0f data + %.0f index = %.1f bytes/message\n",
        mailtrail::DetailName(detail), n, recipients, total_rows, store_secs, n / store_secs,
        same_order_secs, n / same_order_secs, total_rows / same_order_secs,
        100.0 * same_order_secs / store_secs, plain_secs, n / plain_secs, total_rows / plain_secs,
        100.0 * plain_secs / store_secs, data, index, (data + index) / n);
  } catch (const sql::SQLException& e) {
    std::fprintf(stderr, "MySQL error %d: %s\n", e.getErrorCode(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
