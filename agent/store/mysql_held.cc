// MysqlStore's idempotent replays (Store::SkipHeldRecords): which records of a
// replay the database already held.
#include <string>

#include "agent/store/mysql_dictionary.h"
#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"
#include "base/ip_address.h"

namespace mailtrail {

namespace {
using mysql::kAgentShift;
}

Status MysqlStore::SkipHeldRecords() {
  if (options_.agent_name.empty())
    return Status::InvalidArgument("this MySQL store was opened for reading (no agent name)");
  if (Status st = EnsureConnected(); !st.ok()) return st;
  try {
    auto rs = mysql::Query(conn_.get(), "SELECT COALESCE(MAX(first_seen), -1) FROM message");
    rs->next();
    held_horizon_ = rs->getInt64(1);
  } catch (const sql::SQLException& e) {
    conn_.reset();
    return mysql::FromException(e, "find the newest record");
  }
  // This writer's ids from here on are the replay's own, not held ones.
  held_ids_from_ = static_cast<uint64_t>(agent_id_) << kAgentShift | next_message_;
  held_ids_to_ = static_cast<uint64_t>(agent_id_ + 1) << kAgentShift;
  skip_held_ = true;
  return Status::Ok();
}

// Inside the batch's transaction, after the dictionary resolved the batch's
// texts. Throws sql::SQLException.
HeldAction MysqlStore::CheckHeld(const MessageRecord& r, int64_t* replaces) {
  const int64_t first_seen = r.first_seen / kUsPerSecond;
  *replaces = first_seen;
  if (!skip_held_ || first_seen > held_horizon_) return HeldAction::kInsert;
  using Dict = MysqlDictionary;
  const int64_t host = dict_->Id(Dict::kName, r.host);
  std::string ip_bytes;
  if (auto ip = IpAddress::Parse(r.client_ip)) ip_bytes = ip->Bytes();
  if (!r.qid.empty()) {
    // Whether a held row may be r's message: no sender, message-id or client
    // of its own that differs from r's (NULL: r has none). A queue id reused
    // within a second is another message (helper-103). Six parameters, from
    // `first` on (bind_identity).
    static const char* const kSame =
        "(sender IS NULL OR ? IS NULL OR sender = ?) AND (message_id IS NULL OR ? IS NULL OR"
        " message_id = ?) AND (client_ip IS NULL OR ? IS NULL OR client_ip = ?)";
    auto bind_identity = [&](sql::PreparedStatement* st, int first) {
      for (int i : {first, first + 1}) {
        if (r.sender) {
          st->setInt64(i, dict_->Id(Dict::kAddress, *r.sender));
        } else {
          st->setNull(i, sql::DataType::BIGINT);
        }
      }
      for (int i : {first + 2, first + 3}) {
        if (r.message_id && AtLeast(options_.detail, Detail::kStandard)) {
          st->setString(i, *r.message_id);
        } else {
          st->setNull(i, sql::DataType::VARBINARY);
        }
      }
      for (int i : {first + 4, first + 5}) {
        if (!ip_bytes.empty()) {
          st->setString(i, ip_bytes);
        } else {
          st->setNull(i, sql::DataType::VARBINARY);
        }
      }
    };
    if (!select_held_)
      select_held_.reset(conn_->prepareStatement(
          std::string("SELECT MIN(end_reason & 3), MAX(last_seen), MAX(sender IS NOT NULL),"
                      " MAX(client_ip IS NOT NULL), MIN(") +
          kSame +
          ") FROM message WHERE first_seen = ? AND qid = ?"
          " AND host = ? AND (id < ? OR id >= ?)"));
    sql::PreparedStatement* s = select_held_.get();
    bind_identity(s, 1);  // in the SELECT list, before the WHERE's
    s->setInt64(7, first_seen);
    s->setString(8, r.qid);
    s->setInt64(9, host);
    s->setUInt64(10, held_ids_from_);
    s->setUInt64(11, held_ids_to_);
    std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
    if (rs->next() && !rs->isNull(1)) {
      if (rs->getInt(5) == 0) return HeldAction::kInsert;  // another message
      return HeldActionFor(r, static_cast<RecordEnd>(rs->getInt(1)), rs->getInt64(2),
                           rs->getInt(3) != 0, rs->getInt(4) != 0);
    }
    // The first piece of the same message that began after r did, within it.
    if (!select_held_piece_)
      select_held_piece_.reset(conn_->prepareStatement(
          std::string(
              "SELECT first_seen, end_reason & 3, last_seen FROM message WHERE qid = ? AND "
              "host = ? AND first_seen > ? AND first_seen <= ? AND (id < ? OR id >= ?) AND ") +
          kSame + " ORDER BY first_seen LIMIT 1"));
    sql::PreparedStatement* p = select_held_piece_.get();
    p->setString(1, r.qid);
    p->setInt64(2, host);
    p->setInt64(3, first_seen);
    p->setInt64(4, r.last_seen / kUsPerSecond);
    p->setUInt64(5, held_ids_from_);
    p->setUInt64(6, held_ids_to_);
    bind_identity(p, 7);
    std::unique_ptr<sql::ResultSet> piece(p->executeQuery());
    if (!piece->next()) return HeldAction::kInsert;
    *replaces = piece->getInt64(1);
    return HeldPieceActionFor(r, static_cast<RecordEnd>(piece->getInt(2)), piece->getInt64(3));
  }
  if (!count_held_noqueue_)
    count_held_noqueue_.reset(conn_->prepareStatement(
        "SELECT COUNT(*) FROM message WHERE first_seen = ? AND qid IS NULL AND host = ?"
        " AND last_seen = ? AND client_ip <=> ? AND sender <=> ? AND (id < ? OR id >= ?)"));
  const int64_t sender = r.sender ? dict_->Id(Dict::kAddress, *r.sender) : 0;
  sql::PreparedStatement* s = count_held_noqueue_.get();
  s->setInt64(1, first_seen);
  s->setInt64(2, host);
  s->setInt64(3, r.last_seen / kUsPerSecond);
  if (ip_bytes.empty()) {
    s->setNull(4, sql::DataType::VARBINARY);
  } else {
    s->setString(4, ip_bytes);
  }
  if (r.sender) {
    s->setInt64(5, sender);
  } else {
    s->setNull(5, sql::DataType::BIGINT);
  }
  s->setUInt64(6, held_ids_from_);
  s->setUInt64(7, held_ids_to_);
  std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
  const int64_t held = rs->next() ? rs->getInt64(1) : 0;
  if (held == 0) return HeldAction::kInsert;
  std::string key = r.host + '\0' + std::to_string(first_seen) + ' ' +
                    std::to_string(r.last_seen / kUsPerSecond) + ' ' + ip_bytes + '\0' +
                    std::to_string(sender);
  const int64_t n = ++noqueue_seen_[key];
  noqueue_batch_.push_back(std::move(key));
  return n <= held ? HeldAction::kSkip : HeldAction::kInsert;
}

}  // namespace mailtrail
