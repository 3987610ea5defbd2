// MysqlStore: connection, schema and migrations, the agent row; the write of a
// batch is mysql_write.cc, the search mysql_search.cc.
#include "agent/store/mysql_store.h"

#include <cppconn/driver.h>

#include <functional>
#include <mutex>

#include "agent/store/mysql_dictionary.h"
#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_partitions.h"
#include "base/real_clock.h"
#include "schema/schema.h"

namespace mailtrail {

namespace {
sql::Driver* Driver() {
  // get_driver_instance() is not thread-safe on its first call.
  static std::once_flag once;
  static sql::Driver* driver = nullptr;
  std::call_once(once, [] { driver = get_driver_instance(); });
  return driver;
}

}  // namespace

MysqlStore::MysqlStore(MysqlTarget target, std::string password, Options options)
    : target_(std::move(target)),
      password_(std::move(password)),
      options_(std::move(options)),
      dict_(std::make_unique<MysqlDictionary>(options_.dictionary_cache)),
      partitions_(std::make_unique<MysqlPartitions>()) {}

MysqlStore::~MysqlStore() = default;

StatusOr<std::unique_ptr<MysqlStore>> MysqlStore::Open(const MysqlTarget& target,
                                                       const std::string& password,
                                                       const Options& options) {
  std::unique_ptr<MysqlStore> s(new MysqlStore(target, password, options));
  Status st = s->EnsureConnected();
  if (st.code() == Status::Code::kUnavailable && options.start_offline) return s;
  if (!st.ok()) return st;
  return s;
}

Status MysqlStore::EnsureConnected() {
  if (conn_) return Status::Ok();
  Status st = Connect();
  // At each connection, not only the first: a fleet's `db migrate` from an
  // upgraded host may run while this agent is cut off (helper-95 F4: it then
  // went on writing to a schema it does not know).
  if (st.ok()) st = schema_checked_ ? SchemaStillKnown() : CheckSchema();
  if (st.ok()) schema_checked_ = true;
  // A bulk load cut short left indexes out (mysql_bulk.cc): a writer puts
  // them back when it connects (not this store's own load).
  if (st.ok()) RepairDeferredIndexes();
  // Reads batch_ and next_message_ from the agent row again: if the COMMIT of
  // a lost connection landed, the row says so.
  if (st.ok() && !options_.agent_name.empty()) st = RegisterAgent();
  if (!st.ok()) conn_.reset();
  return st;
}

Status MysqlStore::Connect() {
  select_held_.reset();
  select_held_piece_.reset();
  count_held_noqueue_.reset();
  conn_.reset();
  insert_message_.clear();
  insert_rcpt_.clear();
  partitions_->Forget();
  try {
    conn_ = NewSession(options_.timeout_seconds);
  } catch (const sql::SQLException& e) {
    conn_.reset();
    return mysql::FromException(e, "connect to " + Where() + " as " + target_.user);
  }
  return Status::Ok();
}

const Clock& MysqlStore::clock() const {
  static const RealClock kSystemClock;
  return options_.clock ? *options_.clock : kSystemClock;
}

std::string MysqlStore::Where() const {
  return target_.socket.empty() ? target_.host + ":" + std::to_string(target_.port)
                                : target_.socket;
}

std::unique_ptr<sql::Connection> MysqlStore::NewSession(int read_timeout_seconds) const {
  sql::ConnectOptionsMap o;
  if (target_.socket.empty()) {
    const bool v6 = target_.host.find(':') != std::string::npos;
    o["hostName"] = sql::SQLString("tcp://" + (v6 ? "[" + target_.host + "]" : target_.host) + ":" +
                                   std::to_string(target_.port));
  } else {
    o["hostName"] = sql::SQLString("unix://" + target_.socket);
  }
  o["userName"] = sql::SQLString(target_.user);
  o["password"] = sql::SQLString(password_);
  o["OPT_CONNECT_TIMEOUT"] = options_.connect_timeout_seconds;
  o["OPT_READ_TIMEOUT"] = read_timeout_seconds;
  o["OPT_WRITE_TIMEOUT"] = options_.timeout_seconds;
  o["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  // Never OPT_RECONNECT: a silent reconnect loses the open transaction and
  // comes back in autocommit mode (docs/dependencies.md).
  std::unique_ptr<sql::Connection> c(Driver()->connect(o));
  c->setSchema(target_.database);
  mysql::Execute(c.get(), "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  mysql::Execute(c.get(),
                 "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION',"
                 " SESSION time_zone = '+00:00'");
  return c;
}

StatusOr<int> MysqlStore::SchemaVersion() {
  try {
    auto rs = mysql::Query(conn_.get(),
                           "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA ="
                           " DATABASE() AND TABLE_NAME = 'mailtrail_meta'");
    if (!rs->next() || rs->getInt(1) == 0) return 0;
    rs = mysql::Query(conn_.get(), "SELECT v FROM mailtrail_meta WHERE k = 'schema_version'");
    if (!rs->next()) return 0;
    return static_cast<int>(std::stol(std::string(rs->getString(1))));
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "read the schema version");
  } catch (const std::exception&) {
    return Status::Corruption("mailtrail_meta.schema_version is not a number");
  }
}

Status MysqlStore::CheckSchema() {
  auto version = SchemaVersion();
  if (!version.ok()) return version.status();
  if (*version > kMysqlMigrationCount)
    return Status::InvalidArgument("database schema version " + std::to_string(*version) +
                                   " is newer than this mailtrail knows (" +
                                   std::to_string(kMysqlMigrationCount) + "): upgrade mailtrail");
  schema_change_ = {*version, *version};
  if (*version == kMysqlMigrationCount) return Status::Ok();
  if (!options_.migrate)
    return Status::InvalidArgument(
        "database schema version " + std::to_string(*version) + ", this mailtrail needs " +
        std::to_string(kMysqlMigrationCount) + ": run `mailtrail db migrate --store URL` first");
  return Migrate();
}

Status MysqlStore::SchemaStillKnown() {
  auto version = SchemaVersion();
  if (!version.ok()) return version.status();
  if (*version == kMysqlMigrationCount) return Status::Ok();
  return Status::InvalidArgument("database schema version " + std::to_string(*version) +
                                 " since this agent connected before, and this mailtrail knows " +
                                 std::to_string(kMysqlMigrationCount) + ": not writing to it" +
                                 (*version > kMysqlMigrationCount ? "; upgrade mailtrail" : ""));
}

// Each migration file holds statements ending with ";" at the end of a line.
// MySQL DDL is not transactional: the version is recorded after each file, and
// a migration that fails half-way says which statement failed.
Status MysqlStore::Migrate() {
  try {
    if (!mysql::GetLock(conn_.get(), mysql::PerDatabaseLock("mailtrail_migrate_"), 60))
      return Status::Unavailable("another `db migrate` holds the lock");
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "lock for the migration");
  }
  auto version = SchemaVersion();  // again, under the lock
  if (!version.ok()) return version.status();
  // Indexes a bulk load left out come back first: a migration may change
  // them, and a note of the old ones must not outlive it (mysql_bulk.cc).
  if (*version >= 1 && *version < kMysqlMigrationCount) {
    try {
      if (!RestoreDeferredIndexes(0))
        return Status::Unavailable(
            "a replay is loading this database with its indexes left out: migrate when it "
            "has ended");
    } catch (const sql::SQLException& e) {
      return mysql::FromException(e, "add the indexes a bulk load left out, before migrating");
    }
  }
  for (int i = *version; i < kMysqlMigrationCount; ++i) {
    const std::string text = kMysqlMigrations[i];
    size_t begin = 0;
    while (begin < text.size()) {
      size_t end = text.find(";\n", begin);
      if (end == std::string::npos) end = text.size();
      std::string stmt = text.substr(begin, end - begin);
      begin = end + 2;
      // Drop comment lines; skip what is left empty.
      std::string sql;
      size_t pos = 0;
      while (pos < stmt.size()) {
        size_t nl = stmt.find('\n', pos);
        if (nl == std::string::npos) nl = stmt.size();
        std::string line = stmt.substr(pos, nl - pos);
        pos = nl + 1;
        const size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
        sql += line + "\n";
      }
      if (sql.empty()) continue;
      try {
        mysql::Execute(conn_.get(), sql);
      } catch (const sql::SQLException& e) {
        return mysql::FromException(
            e, "migration " + std::to_string(i + 1) + " at \"" + sql.substr(0, 60) + "...\"");
      }
    }
    try {
      mysql::Execute(conn_.get(), "INSERT INTO mailtrail_meta (k, v) VALUES ('schema_version', '" +
                                      std::to_string(i + 1) +
                                      "') ON DUPLICATE KEY UPDATE v = VALUES(v)");
    } catch (const sql::SQLException& e) {
      return mysql::FromException(e, "record the schema version");
    }
  }
  try {
    mysql::Query(conn_.get(),
                 "SELECT RELEASE_LOCK(" + mysql::PerDatabaseLock("mailtrail_migrate_") + ")");
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "unlock after the migration");
  }
  schema_change_ = {*version, kMysqlMigrationCount};
  return Status::Ok();
}

// Finds (or adds) this agent's row and takes its named lock: a second writer
// with the same name is refused instead of mixing batches.
Status MysqlStore::RegisterAgent() {
  try {
    std::unique_ptr<sql::PreparedStatement> add(
        conn_->prepareStatement("INSERT IGNORE INTO agent (name) VALUES (?)"));
    add->setString(1, options_.agent_name);
    add->executeUpdate();
    std::unique_ptr<sql::PreparedStatement> get(
        conn_->prepareStatement("SELECT id, batch, next_message FROM agent WHERE name = ?"));
    get->setString(1, options_.agent_name);
    std::unique_ptr<sql::ResultSet> rs(get->executeQuery());
    if (!rs->next()) return Status::Corruption("agent row vanished");
    agent_id_ = rs->getInt(1);
    batch_ = rs->getUInt64(2);
    next_message_ = rs->getUInt64(3);
    // A lock name is server-wide, an agent id only database-wide: the name
    // holds the database too, or agent 1 of one database would lock out agent
    // 1 of every other database on the server (a provider's customers). At
    // most 64 characters: the database (in lower case, as a server with
    // lower_case_table_names names it either way) is hashed.
    const std::string name =
        "CONCAT('mailtrail_agent_', LEFT(SHA2(CONCAT(LOWER(DATABASE()), '/', " +
        std::to_string(agent_id_) + "), 256), 40))";
    auto held = [&] { return mysql::GetLock(conn_.get(), name, 2); };
    if (!held()) {
      // Our own previous session may still hold it (the server has not noticed
      // that the connection died): end that session, then try again.
      auto owner = mysql::Query(conn_.get(), "SELECT IS_USED_LOCK(" + name + ")");
      const bool ours = owner->next() && !owner->isNull(1) && session_id_ != 0 &&
                        owner->getUInt64(1) == session_id_;
      if (ours) mysql::Execute(conn_.get(), "KILL CONNECTION " + std::to_string(session_id_));
      if (!ours || !held())
        return Status::Unavailable("another mailtrail writes as agent \"" + options_.agent_name +
                                   "\" (give each agent its own [agent] name)");
    }
    auto id = mysql::Query(conn_.get(), "SELECT CONNECTION_ID()");
    if (id->next()) session_id_ = id->getUInt64(1);
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "register agent " + options_.agent_name);
  }
  return Status::Ok();
}

StatusOr<std::map<std::string, int64_t>> MysqlStore::CountByOutcome() {
  std::map<std::string, int64_t> out;
  Status st = WithReconnect("count outcomes", [&] {
    out.clear();
    auto rs = mysql::Query(conn_.get(), "SELECT outcome, COUNT(*) FROM message GROUP BY outcome");
    while (rs->next()) {
      const int o = rs->getInt(1);
      out[o >= 0 && o < kOutcomeCount ? OutcomeName(static_cast<Outcome>(o)) : "invalid"] +=
          rs->getInt64(2);
    }
  });
  if (!st.ok()) return st;
  return out;
}

StatusOr<int64_t> MysqlStore::PurgeBefore(int64_t day) {
  if (Status st = EnsureConnected(); !st.ok()) return st;
  return partitions_->DropBefore(conn_.get(), day);
}

Status MysqlStore::WithReconnect(const char* what, const std::function<void()>& op) {
  for (int attempt = 0;; ++attempt) {
    if (Status st = EnsureConnected(); !st.ok()) return st;
    try {
      op();
      return Status::Ok();
    } catch (const sql::SQLException& e) {
      Status st = mysql::FromException(e, what);
      if (st.code() != Status::Code::kUnavailable || attempt >= 1) return st;
      conn_.reset();
    }
  }
}

}  // namespace mailtrail
