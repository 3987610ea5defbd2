// MysqlStore's blocks (Store::SaveBlocks, LoadBlocks, LoadBlocksOf, SetBlockEnds).
#include <limits>
#include <memory>
#include <string>

#include "agent/store/mysql_internal.h"
#include "agent/store/mysql_store.h"

namespace mailtrail {

Status MysqlStore::SaveBlocks(const std::vector<Block>& blocks) {
  return WithReconnect("save blocks", [&] {
    mysql::Execute(conn_.get(), "START TRANSACTION");
    // Saved again: replaced, except the end of a block removed meanwhile,
    // and never by a save that is not live over a live row (helper-134 F3).
    // MySQL assigns left to right: `live`, set last, is the row's own in the
    // conditions before it.
    std::unique_ptr<sql::PreparedStatement> up(conn_->prepareStatement(
        "INSERT INTO block (kind, `key`, created, expires, reason, rule, origin_host,"
        " raw_subjects, evidence, strikes, live) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
        " ON DUPLICATE KEY UPDATE"
        " expires = IF(removed OR (live AND NOT VALUES(live)), expires, VALUES(expires)),"
        " reason = IF(live AND NOT VALUES(live), reason, VALUES(reason)),"
        " rule = IF(live AND NOT VALUES(live), rule, VALUES(rule)),"
        " origin_host = IF(live AND NOT VALUES(live), origin_host, VALUES(origin_host)),"
        " raw_subjects = IF(live AND NOT VALUES(live), raw_subjects, VALUES(raw_subjects)),"
        " evidence = IF(live AND NOT VALUES(live), evidence, VALUES(evidence)),"
        " strikes = IF(live AND NOT VALUES(live), strikes, VALUES(strikes)),"
        " live = GREATEST(live, VALUES(live))"));
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

namespace {

constexpr const char* kBlockColumns =
    "SELECT kind, `key`, created, expires, reason, rule, origin_host, raw_subjects,"
    " evidence, strikes, live, removed FROM block ";

// The rows of `rs`. A kind the agent does not know is bad data, refused here
// at the edge.
Status ReadBlocks(sql::ResultSet* rs, std::vector<Block>* out) {
  while (rs->next()) {
    auto kind = ParseBlockKind(std::string(rs->getString(1)));
    if (!kind.ok()) return Status::Corruption("load blocks: " + kind.status().message());
    Block b;
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
    b.removed = rs->getInt(12) != 0;
    out->push_back(std::move(b));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<Block>> MysqlStore::LoadBlocks(TimeUs active_at) {
  std::vector<Block> out;
  Status bad_kind;
  Status st = WithReconnect("load blocks", [&] {
    out.clear();
    std::unique_ptr<sql::PreparedStatement> q(conn_->prepareStatement(
        std::string(kBlockColumns) + "WHERE expires > ? ORDER BY created, kind, `key`"));
    q->setInt64(1, active_at < 0 ? std::numeric_limits<int64_t>::min() : active_at);
    std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
    bad_kind = ReadBlocks(rs.get(), &out);
  });
  if (!st.ok()) return st;
  if (!bad_kind.ok()) return bad_kind;
  return out;
}

StatusOr<std::vector<Block>> MysqlStore::LoadBlocksOf(const std::vector<BlockId>& ids) {
  std::vector<Block> out;
  Status bad_kind;
  Status st = WithReconnect("load blocks", [&] {
    out.clear();
    bad_kind = Status::Ok();
    std::unique_ptr<sql::PreparedStatement> q(conn_->prepareStatement(
        std::string(kBlockColumns) + "WHERE kind = ? AND `key` = ? AND created = ?"));
    for (const BlockId& id : ids) {
      q->setString(1, BlockKindName(id.kind));
      q->setString(2, id.key);
      q->setInt64(3, id.created);
      std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
      bad_kind = ReadBlocks(rs.get(), &out);
      if (!bad_kind.ok()) return;
    }
  });
  if (!st.ok()) return st;
  if (!bad_kind.ok()) return bad_kind;
  return out;
}

StatusOr<int> MysqlStore::SetBlockEnds(const std::string& key, TimeUs now, TimeUs end) {
  int n = 0;
  Status st = WithReconnect("set block ends", [&] {
    // An end at or before now is a removal, and marks the block (schema 8);
    // a later end never moves a removed block's, nor one that is not live.
    std::unique_ptr<sql::PreparedStatement> q(conn_->prepareStatement(
        end <= now ? "UPDATE block SET expires = ?, removed = 1 WHERE `key` = ? AND expires > ?"
                   : "UPDATE block SET expires = ? WHERE `key` = ? AND expires > ? AND removed = 0"
                     " AND live = 1"));
    q->setInt64(1, end);
    q->setString(2, key);
    q->setInt64(3, now);
    n = q->executeUpdate();
  });
  if (!st.ok()) return st;
  return n;
}

}  // namespace mailtrail
