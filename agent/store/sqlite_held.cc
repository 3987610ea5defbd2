// SqliteStore's idempotent replays (Store::SkipHeldRecords): which records of a
// replay the store already held.
#include <string>

#include "agent/store/sqlite_store.h"
#include "base/ip_address.h"

namespace mailtrail {

Status SqliteStore::SkipHeldRecords() {
  {
    auto st =
        db_.Prepare("SELECT coalesce(max(first_seen), -1), coalesce(max(id), 0) FROM message");
    if (!st.ok()) return st.status();
    if (st->Step() != SQLITE_ROW) return db_.Error("find the newest record");
    held_horizon_ = st->Int(0);
    held_max_id_ = st->Int(1);
  }
  skip_held_ = true;
  return Status::Ok();
}

StatusOr<HeldAction> SqliteStore::CheckHeld(const MessageRecord& r, int64_t* replaces) {
  const int64_t first_seen = r.first_seen / kUsPerSecond;
  *replaces = first_seen;
  if (!skip_held_ || first_seen > held_horizon_) return HeldAction::kInsert;
  if (select_held_.get() == nullptr) {  // prepared when first needed
    // The queue id's index finds a message; `+qid` keeps a NOQUEUE lookup on
    // the first_seen index (all of them have a NULL qid).
    // Whether a held row may be r's message: no sender, message-id or client
    // of its own that differs from r's (?5, ?6, ?7; NULL: r has none). A
    // queue id reused within a second is another message (helper-103).
    const std::string same =
        "(sender IS NULL OR ?5 IS NULL OR sender = ?5) AND (message_id IS NULL OR ?6 IS NULL"
        " OR message_id = ?6) AND (client_ip IS NULL OR ?7 IS NULL OR client_ip = ?7)";
    auto held = db_.Prepare(
        "SELECT min(end_reason & 3), max(last_seen), max(sender IS NOT NULL),"
        " max(client_ip IS NOT NULL), min(" +
        same +
        ") FROM message"
        " WHERE qid = ?1 AND first_seen = ?2 AND host = ?3 AND id <= ?4");
    if (!held.ok()) return held.status();
    // The first piece of the same message that began after r did, within it.
    auto piece = db_.Prepare(
        "SELECT first_seen, end_reason & 3, last_seen FROM message WHERE qid = ?1 AND host = ?2"
        " AND first_seen > ?3 AND first_seen <= ?4 AND id <= ?8 AND " +
        same + " ORDER BY first_seen LIMIT 1");
    if (!piece.ok()) return piece.status();
    select_held_piece_ = std::move(*piece);
    auto noqueue = db_.Prepare(
        "SELECT count(*) FROM message WHERE first_seen = ?1 AND +qid IS NULL AND host = ?2"
        " AND last_seen = ?3 AND client_ip IS ?4 AND sender IS ?5 AND id <= ?6");
    if (!noqueue.ok()) return noqueue.status();
    select_held_ = std::move(*held);
    count_held_noqueue_ = std::move(*noqueue);
  }
  const int64_t host = DictId(kHostName, r.host);
  std::string ip_bytes;
  if (auto ip = IpAddress::Parse(r.client_ip)) ip_bytes = ip->Bytes();
  const int64_t sender = r.sender ? DictId(kAddress, *r.sender) : 0;
  auto bind_identity = [&](SqliteStmt& st) {
    if (r.sender) st.BindInt(5, sender);
    if (r.message_id && AtLeast(detail_, Detail::kStandard)) st.BindText(6, *r.message_id);
    if (!ip_bytes.empty()) st.BindBlob(7, ip_bytes);
  };
  if (!r.qid.empty()) {
    SqliteStmt& s = select_held_;
    s.Reset();
    s.BindText(1, r.qid);
    s.BindInt(2, first_seen);
    s.BindInt(3, host);
    s.BindInt(4, held_max_id_);
    bind_identity(s);
    if (s.Step() != SQLITE_ROW) return db_.Error("look for a held record");
    const bool none = s.IsNull(0);
    const auto end = static_cast<RecordEnd>(s.Int(0));
    const int64_t last_seen = s.Int(1);
    const bool has_sender = s.Int(2) != 0, has_client = s.Int(3) != 0, same = s.Int(4) != 0;
    s.Reset();  // an active statement would keep its table locked
    if (!none && !same) return HeldAction::kInsert;  // another message
    if (!none) return HeldActionFor(r, end, last_seen, has_sender, has_client);
    SqliteStmt& p = select_held_piece_;
    p.Reset();
    p.BindText(1, r.qid);
    p.BindInt(2, host);
    p.BindInt(3, first_seen);
    p.BindInt(4, r.last_seen / kUsPerSecond);
    p.BindInt(8, held_max_id_);
    bind_identity(p);
    const int rc = p.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.Error("look for a held piece");
    HeldAction action = HeldAction::kInsert;
    if (rc == SQLITE_ROW) {
      *replaces = p.Int(0);
      action = HeldPieceActionFor(r, static_cast<RecordEnd>(p.Int(1)), p.Int(2));
    }
    p.Reset();
    return action;
  }
  std::string key = r.host + '\0' + std::to_string(first_seen) + ' ' +
                    std::to_string(r.last_seen / kUsPerSecond) + ' ' + ip_bytes + '\0' +
                    std::to_string(sender);
  SqliteStmt& s = count_held_noqueue_;
  s.Reset();
  s.BindInt(1, first_seen);
  s.BindInt(2, host);
  s.BindInt(3, r.last_seen / kUsPerSecond);
  if (!ip_bytes.empty()) s.BindBlob(4, ip_bytes);
  if (r.sender) s.BindInt(5, sender);
  s.BindInt(6, held_max_id_);
  if (s.Step() != SQLITE_ROW) return db_.Error("count held records");
  const int64_t held = s.Int(0);
  s.Reset();
  if (held == 0) return HeldAction::kInsert;
  return ++noqueue_seen_[key] <= held ? HeldAction::kSkip : HeldAction::kInsert;
}

}  // namespace mailtrail
