// MysqlStore's write side: a batch of records (and the checkpoint) in one
// transaction of multi-row INSERTs; the columns from the record's description
// (agent/store/record_columns.h).
#include <algorithm>
#include <future>

#include "agent/store/mysql_dictionary.h"
#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_partitions.h"
#include "agent/store/mysql_store.h"
#include "agent/store/record_columns.h"
#include "agent/store/sqlite_codec.h"
#include "base/text.h"

namespace mailtrail {

namespace {
using mysql::kAgentShift;
// Rows per multi-row INSERT; smaller remainders use power-of-two statements, so a
// connection prepares at most a dozen statements per table.
constexpr size_t kMessageRows = 128;
constexpr size_t kRcptRows = 256;

// The store's own columns before the record's: message (id), rcpt (message,
// first_seen, seq).
size_t MessageColumnCount() { return 1 + MessageColumns().size(); }
size_t RcptColumnCount() { return 3 + RecipientColumns().size(); }

MysqlDictionary::Kind DictKind(Stored kind) {
  switch (kind) {
    case Stored::kAddress:
      return MysqlDictionary::kAddress;
    case Stored::kSubject:
      return MysqlDictionary::kSubject;
    default:
      return MysqlDictionary::kName;  // host names, HELO, relays, SASL names
  }
}

std::string InsertSql(bool message, size_t rows) {
  std::string sql = message
                        ? "INSERT INTO message (id, " + ColumnNames(MessageColumns()) + ") VALUES "
                        : "INSERT INTO rcpt (message, first_seen, seq, " +
                              ColumnNames(RecipientColumns()) + ") VALUES ";
  std::string row = "(";
  for (size_t i = 0, n = message ? MessageColumnCount() : RcptColumnCount(); i < n; ++i)
    row += i ? ",?" : "?";
  row += ')';
  for (size_t i = 0; i < rows; ++i) {
    if (i) sql += ',';
    sql += row;
  }
  return sql;
}

// Binds the columns of one row, counting the parameter index (a Sink of
// record_columns.h). `encoded`: the record's scans and events already encoded.
class RowBinder {
 public:
  using Slots = std::vector<MysqlDictSlots::Slot>;
  // `next`: the row's first dictionary slot (NoteTexts); its columns take them
  // in turn.
  RowBinder(sql::PreparedStatement* s, int first, const MysqlDictionary* dict, const Slots& slots,
            size_t next, const std::string* encoded)
      : s_(s), i_(first), dict_(dict), slots_(slots), next_(next), encoded_(encoded) {}
  void Null() { s_->setNull(i_++, sql::DataType::VARCHAR); }
  void Int(int64_t v) { s_->setInt64(i_++, v); }
  void Double(double v) { s_->setDouble(i_++, v); }
  void Text(std::string_view v) { s_->setString(i_++, sql::SQLString(v.data(), v.size())); }
  void OwnedText(const std::string& v) { v.empty() ? Null() : Text(v); }
  void Blob(const std::string& v) { Text(v); }
  void Dict(Stored kind, std::string_view text) {
    const size_t k = next_++;
    Int(k < slots_.size() && slots_[k].text == text.data() ? *slots_[k].id
                                                           : dict_->Id(DictKind(kind), text));
  }
  void Encoded(const std::vector<ScanResult>& v) {
    encoded_ ? OwnedText(encoded_[0]) : OwnedText(EncodeScans(v));
  }
  void Encoded(const std::vector<RecordEvent>& v) {
    encoded_ ? OwnedText(encoded_[1]) : OwnedText(EncodeEvents(v));
  }

 private:
  sql::PreparedStatement* s_;
  int i_;
  const MysqlDictionary* dict_;
  const Slots& slots_;
  size_t next_;
  const std::string* encoded_;
};

// Notes the dictionary texts of a row (a Sink that skips the other columns),
// and where their ids will be.
struct NeedSink {
  static constexpr bool kDictionaryOnly = true;
  MysqlDictionary* dict;
  std::vector<MysqlDictSlots::Slot>* slots;
  void Null() {}
  void Int(int64_t) {}
  void Double(double) {}
  void Text(std::string_view) {}
  void OwnedText(const std::string&) {}
  void Blob(const std::string&) {}
  void Dict(Stored kind, std::string_view text) {
    slots->push_back({text.data(), dict->Need(DictKind(kind), text)});
  }
  template <typename T>
  void Encoded(const std::vector<T>&) {}
};
}  // namespace

namespace {

// MariaDB's times are INT UNSIGNED seconds (schema/mysql/0001_init.sql): 1970
// to 2106. A log can name any year from 0000 to 9999 (a device whose clock was
// never set, in a zone east of UTC, logs 1969-12-31T23:00:00Z): a record
// stamped outside is stored with its times moved into the range, and said
// once a minute, rather than failing its whole batch for ever (the agent
// would retry the same batch after every restart).
constexpr TimeUs kFirstStorable = 0, kLastStorable = TimeUs{4294967295} * kUsPerSecond;

bool Storable(TimeUs t) { return t >= kFirstStorable && t <= kLastStorable; }

bool AllStorable(const MessageRecord& r) {
  if (!Storable(r.first_seen) || !Storable(r.last_seen)) return false;
  for (const RecipientRecord& rc : r.recipients)
    if (rc.time != 0 && !Storable(rc.time)) return false;
  return true;
}

MessageRecord WithStorableTimes(MessageRecord r) {
  auto clamp = [](TimeUs t) { return std::clamp(t, kFirstStorable, kLastStorable); };
  r.first_seen = clamp(r.first_seen);
  r.last_seen = clamp(r.last_seen);
  for (RecipientRecord& rc : r.recipients)
    if (rc.time != 0) rc.time = clamp(rc.time);
  return r;
}

}  // namespace

Status MysqlStore::WriteBatch(const std::vector<MessageRecord>& records,
                              const CheckpointUpdate* checkpoint) {
  if (options_.agent_name.empty())
    return Status::InvalidArgument("this MySQL store was opened for reading (no agent name)");
  if (records.empty() && checkpoint == nullptr) return Status::Ok();
  if (!std::all_of(records.begin(), records.end(), AllStorable)) {
    std::vector<MessageRecord> moved;
    moved.reserve(records.size());
    for (const MessageRecord& r : records) {
      if (AllStorable(r)) {
        moved.push_back(r);
        continue;
      }
      if (options_.log)
        options_.log->Limited(LogLevel::kWarn, "mysql.times",
                              "MySQL store: the message " + EscapeForLog(r.host) + "/" +
                                  EscapeForLog(r.qid) + " is stamped " +
                                  FormatRfc3339(r.first_seen) +
                                  ", outside the years 1970-2106 its columns hold; stored with "
                                  "its times moved into them",
                              clock().MonotonicNow());
      moved.push_back(WithStorableTimes(r));
    }
    return WriteBatch(moved, checkpoint);
  }
  Status last;
  uint64_t tried = 0;  // the batch number an attempt of this call sent
  int delay_ms = 200;
  for (int attempt = 0; attempt <= options_.reconnect_attempts; ++attempt) {
    if (attempt > 0) {
      clock().SleepFor(delay_ms * kUsPerSecond / 1000);
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
      RetryIndexRepair();
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
  // Tomorrow's partition, while the table is free: at midnight the first
  // batch then needs no DDL, which would wait for any reader (a nightly
  // backup) and hold every statement on the table behind it.
  if (const int64_t today = clock().WallNow() / kUsPerSecond / 86400;
      !days.empty() && *days.rbegin() >= today)
    partitions_->EnsureAhead(conn_.get(), today + 1, clock().MonotonicNow());
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
        MysqlDictSlots slots;
        NoteTexts(records, &slots);
        dict_->Resolve(conn_.get());
        HourCounts hours;
        InsertRecords(records, encoded.valid() ? encoded.get() : std::vector<std::string>(), slots,
                      &hours);
        WriteHourCounts(hours);
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

// Notes every dictionary text the batch's rows will name.
void MysqlStore::NoteTexts(const std::vector<MessageRecord>& records, MysqlDictSlots* slots) {
  dict_->BeginBatch();
  NeedSink need{dict_.get(), &slots->slots};
  slots->message.reserve(records.size());
  slots->first_rcpt.reserve(records.size());
  for (const auto& r : records) {
    slots->message.push_back(slots->slots.size());
    WriteMessageColumns(r, options_.detail, need);
    slots->first_rcpt.push_back(slots->rcpt.size());
    for (const auto& rc : r.recipients) {
      slots->rcpt.push_back(slots->slots.size());
      WriteRecipientColumns(rc, options_.detail, need);
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
                               const std::vector<std::string>& encoded, const MysqlDictSlots& slots,
                               HourCounts* hours) {
  // Rows wait here until a statement is full, an update needs the rows before
  // it written, or the end.
  std::vector<const MessageRecord*> pending;
  std::vector<uint64_t> pending_ids;
  auto flush = [&](bool all) {
    const size_t done = FlushRows(records, encoded, slots, pending, pending_ids, all);
    pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(done));
    pending_ids.erase(pending_ids.begin(), pending_ids.begin() + static_cast<ptrdiff_t>(done));
  };
  std::unique_ptr<sql::PreparedStatement> find_ids, del_rcpt, del_message;
  for (const auto& r : records) {
    int64_t replaces = 0;  // first_seen of the held record a kReplace deletes
    const HeldAction held = CheckHeld(r, &replaces);
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
      const uint64_t t = static_cast<uint64_t>(
          held == HeldAction::kReplace ? replaces : r.first_seen / kUsPerSecond);
      find_ids->setString(1, r.qid);
      find_ids->setUInt64(2, t);
      find_ids->setInt64(3, dict_->Id(MysqlDictionary::kName, r.host));
      std::vector<uint64_t> ids;
      {
        std::unique_ptr<sql::ResultSet> rs(find_ids->executeQuery());
        while (rs->next()) ids.push_back(rs->getUInt64(1));
      }
      for (uint64_t id : ids) {
        for (sql::PreparedStatement* d : {del_rcpt.get(), del_message.get()}) {
          d->setUInt64(1, t);
          d->setUInt64(2, id);
          const int gone = d->executeUpdate();
          if (d == del_message.get() && gone > 0) {  // another agent's row counts as its
            HourCount& c = (*hours)[{t / 3600, id >> kAgentShift}];
            c.records -= gone;
            c.changes += static_cast<uint64_t>(gone);
          }
        }
      }
    }
    HourCount& c = (*hours)[{static_cast<uint64_t>(r.first_seen / kUsPerSecond) / 3600,
                             static_cast<uint64_t>(agent_id_)}];
    ++c.records;
    ++c.changes;
    pending.push_back(&r);
    pending_ids.push_back(static_cast<uint64_t>(agent_id_) << kAgentShift | next_message_++);
    if (pending.size() >= kMessageRows) flush(false);
  }
  flush(true);
}

size_t MysqlStore::FlushRows(const std::vector<MessageRecord>& records,
                             const std::vector<std::string>& encoded, const MysqlDictSlots& slots,
                             const std::vector<const MessageRecord*>& pending,
                             const std::vector<uint64_t>& ids, bool all) {
  const Detail detail = options_.detail;
  const size_t message_columns = MessageColumnCount(), rcpt_columns = RcptColumnCount();
  size_t done = 0;
  while (pending.size() - done >= (all ? 1 : kMessageRows)) {
    size_t rows = kMessageRows;
    while (rows > pending.size() - done) rows /= 2;
    sql::PreparedStatement* s = RowsStatement(true, rows);
    for (size_t k = 0; k < rows; ++k) {
      const MessageRecord& r = *pending[done + k];
      const size_t index = static_cast<size_t>(&r - records.data());
      // Full detail: the scans and events encoded on the helper thread.
      const std::string* pre = encoded.empty() ? nullptr : &encoded[index * 2];
      RowBinder b(s, static_cast<int>(k * message_columns) + 1, dict_.get(), slots.slots,
                  slots.message[index], pre);
      b.Int(static_cast<int64_t>(ids[done + k]));
      WriteMessageColumns(r, detail, b);
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
        const size_t index = static_cast<size_t>(&r - records.data());
        RowBinder b(rs, static_cast<int>(k * rcpt_columns) + 1, dict_.get(), slots.slots,
                    slots.rcpt[slots.first_rcpt[index] + j], nullptr);
        b.Int(static_cast<int64_t>(ids[ri]));
        b.Int(r.first_seen / kUsPerSecond);
        b.Int(static_cast<int64_t>(j));
        WriteRecipientColumns(r.recipients[j], detail, b);
      }
      rs->executeUpdate();
      rdone += rrows;
    }
    done += rows;
  }
  return done;
}

}  // namespace mailtrail
