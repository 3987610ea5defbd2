#include "agent/store/mysql_store.h"

#include <cppconn/driver.h>

#include <future>
#include <limits>
#include <mutex>

#include "agent/store/mysql_dictionary.h"
#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_partitions.h"
#include "agent/store/sqlite_codec.h"
#include "base/ip_address.h"
#include "base/real_clock.h"
#include "schema/schema.h"

namespace mailtrail {

namespace {
constexpr int kAgentShift = 40;  // message id = agent << 40 | n
// Rows per multi-row INSERT; smaller remainders use power-of-two statements, so a
// connection prepares at most a dozen statements per table.
constexpr size_t kMessageRows = 128;
constexpr size_t kRcptRows = 256;
constexpr int kMessageColumns = 29;
constexpr int kRcptColumns = 12;

sql::Driver* Driver() {
  // get_driver_instance() is not thread-safe on its first call.
  static std::once_flag once;
  static sql::Driver* driver = nullptr;
  std::call_once(once, [] { driver = get_driver_instance(); });
  return driver;
}

std::string InsertSql(bool message, size_t rows) {
  std::string sql = message
                        ? "INSERT INTO message (id, first_seen, last_seen, host, qid, client_ip,"
                          " sender, size, outcome, end_reason, client_host, helo, sasl, message_id,"
                          " subject, header_from, nrcpt, parent_qid, ndr_qid, ndr_of, child_qids,"
                          " notice_qids, reject_action, reject_stage, reject_code, reject_dsn,"
                          " reject_text, scans, events) VALUES "
                        : "INSERT INTO rcpt (message, first_seen, seq, addr, outcome, orig, dsn,"
                          " relay, delay, attempts, time, status_text) VALUES ";
  std::string row = "(";
  for (int i = 0, n = message ? kMessageColumns : kRcptColumns; i < n; ++i) row += i ? ",?" : "?";
  row += ')';
  for (size_t i = 0; i < rows; ++i) {
    if (i) sql += ',';
    sql += row;
  }
  return sql;
}

// Binds the columns of one row, counting the parameter index.
class RowBinder {
 public:
  RowBinder(sql::PreparedStatement* s, int first) : s_(s), i_(first) {}
  void Int(int64_t v) { s_->setInt64(i_++, v); }
  void UInt(uint64_t v) { s_->setUInt64(i_++, v); }
  void Double(double v) { s_->setDouble(i_++, v); }
  void Text(const std::string& v) { s_->setString(i_++, v); }
  void Null() { s_->setNull(i_++, sql::DataType::VARCHAR); }
  void TextOrNull(const std::string& v) { v.empty() ? Null() : Text(v); }
  void IdOrNull(int64_t id) { id ? Int(id) : Null(); }
  int next() const { return i_; }

 private:
  sql::PreparedStatement* s_;
  int i_;
};
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
  if (st.ok() && !schema_checked_) st = CheckSchema();
  if (st.ok()) schema_checked_ = true;
  // Reads batch_ and next_message_ from the agent row again: if the COMMIT of
  // a lost connection landed, the row says so.
  if (st.ok() && !options_.agent_name.empty()) st = RegisterAgent();
  if (!st.ok()) conn_.reset();
  return st;
}

Status MysqlStore::Connect() {
  select_held_.reset();
  count_held_noqueue_.reset();
  conn_.reset();
  insert_message_.clear();
  insert_rcpt_.clear();
  partitions_->Forget();
  const std::string where =
      target_.socket.empty() ? target_.host + ":" + std::to_string(target_.port) : target_.socket;
  try {
    sql::ConnectOptionsMap o;
    if (target_.socket.empty()) {
      const bool v6 = target_.host.find(':') != std::string::npos;
      o["hostName"] = sql::SQLString("tcp://" + (v6 ? "[" + target_.host + "]" : target_.host) +
                                     ":" + std::to_string(target_.port));
    } else {
      o["hostName"] = sql::SQLString("unix://" + target_.socket);
    }
    o["userName"] = sql::SQLString(target_.user);
    o["password"] = sql::SQLString(password_);
    o["OPT_CONNECT_TIMEOUT"] = options_.connect_timeout_seconds;
    o["OPT_READ_TIMEOUT"] = options_.timeout_seconds;
    o["OPT_WRITE_TIMEOUT"] = options_.timeout_seconds;
    o["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    // Never OPT_RECONNECT: a silent reconnect loses the open transaction and
    // comes back in autocommit mode (docs/dependencies.md).
    conn_.reset(Driver()->connect(o));
    conn_->setSchema(target_.database);
    mysql::Execute(conn_.get(), "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    mysql::Execute(conn_.get(),
                   "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION',"
                   " SESSION time_zone = '+00:00'");
  } catch (const sql::SQLException& e) {
    conn_.reset();
    return mysql::FromException(e, "connect to " + where + " as " + target_.user);
  }
  return Status::Ok();
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

// Each migration file holds statements ending with ";" at the end of a line.
// MySQL DDL is not transactional: the version is recorded after each file, and
// a migration that fails half-way says which statement failed.
Status MysqlStore::Migrate() {
  try {
    auto rs = mysql::Query(conn_.get(), "SELECT GET_LOCK('mailtrail_migrate', 60)");
    if (!rs->next() || rs->getInt(1) != 1)
      return Status::Unavailable("another `db migrate` holds the lock");
  } catch (const sql::SQLException& e) {
    return mysql::FromException(e, "lock for the migration");
  }
  auto version = SchemaVersion();  // again, under the lock
  if (!version.ok()) return version.status();
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
    mysql::Query(conn_.get(), "SELECT RELEASE_LOCK('mailtrail_migrate')");
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
    const std::string name = "'mailtrail_agent_" + std::to_string(agent_id_) + "'";
    auto held = [&] {
      auto lock = mysql::Query(conn_.get(), "SELECT GET_LOCK(" + name + ", 2)");
      return lock->next() && !lock->isNull(1) && lock->getInt(1) == 1;
    };
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

Status MysqlStore::WriteBatch(const std::vector<MessageRecord>& records,
                              const CheckpointUpdate* checkpoint) {
  if (options_.agent_name.empty())
    return Status::InvalidArgument("this MySQL store was opened for reading (no agent name)");
  if (records.empty() && checkpoint == nullptr) return Status::Ok();
  Status last;
  uint64_t tried = 0;  // the batch number an attempt of this call sent
  int delay_ms = 200;
  for (int attempt = 0; attempt <= options_.reconnect_attempts; ++attempt) {
    if (attempt > 0) {
      static const RealClock kSystemClock;
      (options_.clock ? options_.clock : &kSystemClock)->SleepFor(delay_ms * kUsPerSecond / 1000);
      delay_ms *= 2;
    }
    if (!conn_) {
      if (last = EnsureConnected(); !last.ok()) continue;
      if (tried != 0 && batch_ == tried) return Status::Ok();  // that COMMIT landed
    }
    tried = batch_ + 1;
    last = TryWriteBatch(records, checkpoint);
    if (last.ok()) {
      batch_ = tried;
      return last;
    }
    if (last.code() != Status::Code::kUnavailable) return last;
  }
  // The caller may give these records again in a later batch (the spool does):
  // the next connection re-reads the agent row, so a COMMIT that landed after
  // all is seen in the checkpoint, not taken for the next batch.
  return last;
}

Status MysqlStore::TryWriteBatch(const std::vector<MessageRecord>& records,
                                 const CheckpointUpdate* checkpoint) {
  std::set<int64_t> days;
  for (const auto& r : records) days.insert(r.first_seen / kUsPerSecond / 86400);
  // DDL commits implicitly: before the batch's transaction.
  if (Status st = partitions_->Ensure(conn_.get(), days); !st.ok()) {
    if (st.code() == Status::Code::kUnavailable) conn_.reset();
    return st;
  }
  const uint64_t first_message = next_message_;
  try {
    for (int tries = 0;; ++tries) {
      try {
        // One transaction, one COMMIT (one log flush) per batch: dictionary
        // rows, messages, recipients and the agent row.
        mysql::Execute(conn_.get(), "START TRANSACTION");
        batch_held_ = {};
        noqueue_batch_.clear();
        // Full detail: the scans and the zstd of every line, encoded on a helper
        // thread while this one resolves the dictionary (server round trips).
        std::future<std::vector<std::string>> encoded;
        if (AtLeast(options_.detail, Detail::kFull))
          encoded = std::async(std::launch::async, [&records] {
            std::vector<std::string> out;
            out.reserve(records.size() * 2);
            for (const auto& r : records) {
              out.push_back(EncodeScans(r.scans));
              out.push_back(EncodeEvents(r.events));
            }
            return out;
          });
        NoteTexts(records);
        dict_->Resolve(conn_.get());
        InsertRecords(records, encoded.valid() ? encoded.get() : std::vector<std::string>());
        if (checkpoint) WriteCheckpointParts(*checkpoint);
        // Part 0 of a replaced checkpoint lives in the agent row.
        const bool replace = checkpoint && !checkpoint->append;
        std::unique_ptr<sql::PreparedStatement> up(conn_->prepareStatement(
            "UPDATE agent SET batch = ?, next_message = ?, checkpoint = IF(?, ?, checkpoint),"
            " updated = ? WHERE id = ?"));
        up->setUInt64(1, batch_ + 1);
        up->setUInt64(2, next_message_);
        up->setBoolean(3, replace);
        if (replace && !checkpoint->parts.empty()) {
          up->setString(4, checkpoint->parts.front());
        } else {
          up->setNull(4, sql::DataType::VARCHAR);
        }
        up->setUInt64(5, records.empty() ? 0 : records.back().last_seen / kUsPerSecond);
        up->setInt(6, agent_id_);
        up->executeUpdate();
        // COMMIT as a statement: it throws when the server is gone (commit()
        // of an auto-reconnected session would not, docs/dependencies.md).
        mysql::Execute(conn_.get(), "COMMIT");
        held_.kept += batch_held_.kept;
        held_.replaced += batch_held_.replaced;
        return Status::Ok();
      } catch (const sql::SQLException& e) {
        next_message_ = first_message;
        for (const auto& key : noqueue_batch_) --noqueue_seen_[key];
        noqueue_batch_.clear();
        dict_->Clear();  // it may name rows of the rolled-back transaction
        if (!mysql::IsRetryable(e.getErrorCode()) || tries >= 3) throw;
        mysql::Execute(conn_.get(), "ROLLBACK");  // a deadlock: run it again
      }
    }
  } catch (const sql::SQLException& e) {
    Status st =
        mysql::FromException(e, "write a batch of " + std::to_string(records.size()) + " records");
    if (st.code() == Status::Code::kUnavailable) {
      conn_.reset();
    } else {
      try {
        mysql::Execute(conn_.get(), "ROLLBACK");
      } catch (const sql::SQLException&) {
        conn_.reset();
      }
    }
    return st;
  }
}

void MysqlStore::NoteTexts(const std::vector<MessageRecord>& records) {
  const bool standard = AtLeast(options_.detail, Detail::kStandard);
  dict_->BeginBatch();
  for (const auto& r : records) {
    dict_->Need(MysqlDictionary::kName, r.host);
    if (r.sender) dict_->Need(MysqlDictionary::kAddress, *r.sender);
    if (standard) {
      if (!r.client_host.empty()) dict_->Need(MysqlDictionary::kName, r.client_host);
      if (!r.helo.empty()) dict_->Need(MysqlDictionary::kName, r.helo);
      if (!r.sasl_username.empty()) dict_->Need(MysqlDictionary::kName, r.sasl_username);
      if (r.subject) dict_->Need(MysqlDictionary::kSubject, *r.subject);
    }
    for (const auto& rc : r.recipients) {
      dict_->Need(MysqlDictionary::kAddress, rc.address);
      if (standard) {
        if (!rc.orig_address.empty()) dict_->Need(MysqlDictionary::kAddress, rc.orig_address);
        if (!rc.relay.empty()) dict_->Need(MysqlDictionary::kName, rc.relay);
      }
    }
  }
}

sql::PreparedStatement* MysqlStore::RowsStatement(bool message, size_t rows) {
  auto& cache = message ? insert_message_ : insert_rcpt_;
  auto& s = cache[rows];
  if (!s) s.reset(conn_->prepareStatement(InsertSql(message, rows)));
  return s.get();
}

// Inside the batch's transaction. Throws sql::SQLException.
void MysqlStore::InsertRecords(const std::vector<MessageRecord>& records,
                               const std::vector<std::string>& encoded) {
  const bool standard = AtLeast(options_.detail, Detail::kStandard);
  const bool full = AtLeast(options_.detail, Detail::kFull);
  using Dict = MysqlDictionary;
  // Rows wait here until a statement is full, an update needs the rows before
  // it written, or the end.
  std::vector<const MessageRecord*> pending;
  std::vector<uint64_t> pending_ids;
  std::string ip, child, notice, scans, events;

  auto flush = [&](bool all) {
    size_t done = 0;
    // Messages.
    while (pending.size() - done >= (all ? 1 : kMessageRows)) {
      size_t rows = kMessageRows;
      while (rows > pending.size() - done) rows /= 2;
      sql::PreparedStatement* s = RowsStatement(true, rows);
      for (size_t k = 0; k < rows; ++k) {
        const MessageRecord& r = *pending[done + k];
        RowBinder b(s, static_cast<int>(k) * kMessageColumns + 1);
        b.UInt(pending_ids[done + k]);
        b.UInt(static_cast<uint64_t>(r.first_seen / kUsPerSecond));
        b.UInt(static_cast<uint64_t>(r.last_seen / kUsPerSecond));
        b.Int(dict_->Id(Dict::kName, r.host));
        b.TextOrNull(r.qid);
        if (auto a = IpAddress::Parse(r.client_ip)) {
          b.Text(a->Bytes());
        } else {
          b.Null();
        }
        r.sender ? b.Int(dict_->Id(Dict::kAddress, *r.sender)) : b.Null();
        r.size >= 0 ? b.UInt(static_cast<uint64_t>(r.size)) : b.Null();
        b.Int(static_cast<int>(r.outcome));
        b.Int(static_cast<int>(r.end));
        if (standard) {
          b.IdOrNull(r.client_host.empty() ? 0 : dict_->Id(Dict::kName, r.client_host));
          b.IdOrNull(r.helo.empty() ? 0 : dict_->Id(Dict::kName, r.helo));
          b.IdOrNull(r.sasl_username.empty() ? 0 : dict_->Id(Dict::kName, r.sasl_username));
          r.message_id ? b.Text(*r.message_id) : b.Null();
          r.subject ? b.Int(dict_->Id(Dict::kSubject, *r.subject)) : b.Null();
          r.header_from ? b.Text(*r.header_from) : b.Null();
          r.nrcpt >= 0 ? b.Int(r.nrcpt) : b.Null();
          b.TextOrNull(r.parent_qid);
          b.TextOrNull(r.ndr_qid);
          b.TextOrNull(r.ndr_of);
          b.TextOrNull(JoinList(r.child_qids));
          b.TextOrNull(JoinList(r.notice_qids));
          if (r.reject) {
            b.Text(r.reject->action);
            b.TextOrNull(r.reject->stage);
            r.reject->code ? b.Int(r.reject->code) : b.Null();
            b.TextOrNull(r.reject->dsn);
            b.Text(r.reject->text);
          } else {
            for (int i = 0; i < 5; ++i) b.Null();
          }
        } else {
          for (int i = 0; i < 17; ++i) b.Null();
        }
        if (full) {
          const size_t at = static_cast<size_t>(pending[done + k] - records.data()) * 2;
          b.TextOrNull(encoded[at]);
          b.TextOrNull(encoded[at + 1]);
        } else if (standard) {
          scans = EncodeScans(r.scans);
          b.TextOrNull(scans);
          b.Null();
        } else {
          b.Null();
          b.Null();
        }
      }
      s->executeUpdate();
      // Their recipients.
      std::vector<std::pair<size_t, size_t>> rcpts;  // (record, recipient)
      for (size_t k = 0; k < rows; ++k)
        for (size_t j = 0; j < pending[done + k]->recipients.size(); ++j)
          rcpts.emplace_back(done + k, j);
      size_t rdone = 0;
      while (rdone < rcpts.size()) {
        size_t rrows = kRcptRows;
        while (rrows > rcpts.size() - rdone) rrows /= 2;
        sql::PreparedStatement* rs = RowsStatement(false, rrows);
        for (size_t k = 0; k < rrows; ++k) {
          const auto [ri, j] = rcpts[rdone + k];
          const MessageRecord& r = *pending[ri];
          const RecipientRecord& rc = r.recipients[j];
          RowBinder b(rs, static_cast<int>(k) * kRcptColumns + 1);
          b.UInt(pending_ids[ri]);
          b.UInt(static_cast<uint64_t>(r.first_seen / kUsPerSecond));
          b.UInt(j);
          b.Int(dict_->Id(Dict::kAddress, rc.address));
          b.Int(static_cast<int>(rc.outcome));
          if (standard) {
            b.IdOrNull(rc.orig_address.empty() ? 0 : dict_->Id(Dict::kAddress, rc.orig_address));
            b.TextOrNull(rc.dsn);
            b.IdOrNull(rc.relay.empty() ? 0 : dict_->Id(Dict::kName, rc.relay));
            rc.delay >= 0 ? b.Double(rc.delay) : b.Null();
            b.Int(rc.attempts);
            rc.time ? b.UInt(static_cast<uint64_t>(rc.time / kUsPerSecond)) : b.Null();
          } else {
            for (int i = 0; i < 6; ++i) b.Null();
          }
          KeepsStatusText(options_.detail, rc.outcome) ? b.TextOrNull(rc.status_text) : b.Null();
        }
        rs->executeUpdate();
        rdone += rrows;
      }
      done += rows;
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(done));
    pending_ids.erase(pending_ids.begin(), pending_ids.begin() + static_cast<ptrdiff_t>(done));
  };

  std::unique_ptr<sql::PreparedStatement> find_ids, del_rcpt, del_message;
  for (const auto& r : records) {
    const HeldAction held = CheckHeld(r);
    if (held == HeldAction::kSkip) {
      ++batch_held_.kept;
      continue;
    }
    if (held == HeldAction::kReplace) ++batch_held_.replaced;
    if ((r.is_update || held == HeldAction::kReplace) && !r.qid.empty()) {
      // Replaces the record written for the same message before: the rows
      // before it first (the replaced one may be among them). By id: a
      // DELETE on rcpt with an IN (SELECT ...) scanned the day's partition
      // (75 ms a record on a day of 120k messages).
      flush(true);
      if (!find_ids) {
        find_ids.reset(conn_->prepareStatement(
            "SELECT id FROM message WHERE qid = ? AND first_seen = ? AND host = ?"));
        del_rcpt.reset(
            conn_->prepareStatement("DELETE FROM rcpt WHERE first_seen = ? AND message = ?"));
        del_message.reset(
            conn_->prepareStatement("DELETE FROM message WHERE first_seen = ? AND id = ?"));
      }
      const uint64_t t = static_cast<uint64_t>(r.first_seen / kUsPerSecond);
      find_ids->setString(1, r.qid);
      find_ids->setUInt64(2, t);
      find_ids->setInt64(3, dict_->Id(Dict::kName, r.host));
      std::vector<uint64_t> ids;
      {
        std::unique_ptr<sql::ResultSet> rs(find_ids->executeQuery());
        while (rs->next()) ids.push_back(rs->getUInt64(1));
      }
      for (uint64_t id : ids) {
        for (sql::PreparedStatement* d : {del_rcpt.get(), del_message.get()}) {
          d->setUInt64(1, t);
          d->setUInt64(2, id);
          d->executeUpdate();
        }
      }
    }
    pending.push_back(&r);
    pending_ids.push_back(static_cast<uint64_t>(agent_id_) << kAgentShift | next_message_++);
    if (pending.size() >= kMessageRows) flush(false);
  }
  flush(true);
}

// Part 0 of a replacement is agent.checkpoint (the batch's agent-row update
// writes it); every other part is an agent_checkpoint_part row, in seq order.
void MysqlStore::WriteCheckpointParts(const CheckpointUpdate& u) {
  const std::string agent = std::to_string(agent_id_);
  uint64_t seq = 1;
  auto parts = u.parts.begin();
  if (u.append) {
    auto rs = mysql::Query(
        conn_.get(),
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM agent_checkpoint_part WHERE agent = " + agent);
    rs->next();
    seq = rs->getUInt64(1);
  } else {
    mysql::Execute(conn_.get(), "DELETE FROM agent_checkpoint_part WHERE agent = " + agent);
    if (parts != u.parts.end()) ++parts;  // the agent row takes it
  }
  std::unique_ptr<sql::PreparedStatement> ins(conn_->prepareStatement(
      "INSERT INTO agent_checkpoint_part (agent, seq, data) VALUES (?, ?, ?)"));
  for (; parts != u.parts.end(); ++parts) {
    ins->setInt(1, agent_id_);
    ins->setUInt64(2, seq++);
    ins->setString(3, *parts);
    ins->executeUpdate();
  }
}

StatusOr<std::vector<std::string>> MysqlStore::LoadCheckpoint() {
  std::vector<std::string> out;
  if (options_.agent_name.empty()) return out;
  Status st = WithReconnect("read the checkpoint", [&] {
    out.clear();
    const std::string agent = std::to_string(agent_id_);
    auto rs = mysql::Query(conn_.get(), "SELECT checkpoint FROM agent WHERE id = " + agent);
    if (rs->next() && !rs->isNull(1)) out.push_back(rs->getString(1));
    auto more =
        mysql::Query(conn_.get(), "SELECT data FROM agent_checkpoint_part WHERE agent = " + agent +
                                      " ORDER BY seq");
    while (more->next()) out.push_back(more->getString(1));
  });
  if (!st.ok()) return st;
  return out;
}

template <typename Op>
Status MysqlStore::WithReconnect(const char* what, Op op) {
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

Status MysqlStore::SaveBlocks(const std::vector<Block>& blocks) {
  return WithReconnect("save blocks", [&] {
    mysql::Execute(conn_.get(), "START TRANSACTION");
    std::unique_ptr<sql::PreparedStatement> up(conn_->prepareStatement(
        "REPLACE INTO block (kind, `key`, created, expires, reason, rule, origin_host,"
        " raw_subjects, evidence, strikes, live) VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
    for (const Block& b : blocks) {
      up->setString(1, BlockKindName(b.kind));
      up->setString(2, b.key);
      up->setInt64(3, b.created);
      up->setInt64(4, b.expires);
      up->setString(5, b.reason);
      up->setString(6, b.rule);
      up->setString(7, b.origin_host);
      up->setString(8, JoinItems(b.raw_subjects, '\n'));
      up->setString(9, JoinItems(b.evidence, ' '));
      up->setInt(10, b.strikes);
      up->setInt(11, b.live ? 1 : 0);
      up->executeUpdate();
    }
    mysql::Execute(conn_.get(), "COMMIT");
  });
}

StatusOr<std::vector<Block>> MysqlStore::LoadBlocks(TimeUs active_at) {
  std::vector<Block> out;
  Status bad_kind;  // a kind the agent does not know: bad data, refused here at the edge
  Status st = WithReconnect("load blocks", [&] {
    out.clear();
    bad_kind = Status::Ok();
    std::unique_ptr<sql::PreparedStatement> q(conn_->prepareStatement(
        "SELECT kind, `key`, created, expires, reason, rule, origin_host, raw_subjects,"
        " evidence, strikes, live FROM block WHERE expires > ? ORDER BY created, kind, `key`"));
    q->setInt64(1, active_at < 0 ? std::numeric_limits<int64_t>::min() : active_at);
    std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
    while (rs->next()) {
      Block b;
      auto kind = ParseBlockKind(std::string(rs->getString(1)));
      if (!kind.ok()) {
        bad_kind = Status::Corruption("load blocks: " + kind.status().message());
        return;
      }
      b.kind = *kind;
      b.key = rs->getString(2);
      b.created = rs->getInt64(3);
      b.expires = rs->getInt64(4);
      b.reason = rs->getString(5);
      b.rule = rs->getString(6);
      b.origin_host = rs->getString(7);
      b.raw_subjects = SplitItems(rs->getString(8), '\n');
      b.evidence = SplitItems(rs->getString(9), ' ');
      b.strikes = rs->getInt(10);
      b.live = rs->getInt(11) != 0;
      out.push_back(std::move(b));
    }
  });
  if (!st.ok()) return st;
  if (!bad_kind.ok()) return bad_kind;
  return out;
}

StatusOr<int> MysqlStore::EndBlocks(const std::string& key, TimeUs at) {
  int n = 0;
  Status st = WithReconnect("end blocks", [&] {
    std::unique_ptr<sql::PreparedStatement> q(
        conn_->prepareStatement("UPDATE block SET expires = ? WHERE `key` = ? AND expires > ?"));
    q->setInt64(1, at);
    q->setString(2, key);
    q->setInt64(3, at);
    n = q->executeUpdate();
  });
  if (!st.ok()) return st;
  return n;
}

}  // namespace mailtrail
