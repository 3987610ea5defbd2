#include "agent/store/store.h"

#include <set>

#include "agent/store/mysql_store.h"
#include "agent/store/mysql_url.h"
#include "agent/store/spool_store.h"
#include "agent/store/sqlite_store.h"
#include "base/host_name.h"

namespace mailtrail {

CheckpointUpdate CheckpointUpdate::Replace(std::string part) {
  CheckpointUpdate u;
  u.parts.push_back(std::move(part));
  return u;
}

CheckpointUpdate CheckpointUpdate::Append(std::string part) {
  CheckpointUpdate u = Replace(std::move(part));
  u.append = true;
  return u;
}

void CheckpointUpdate::Then(CheckpointUpdate&& later) {
  if (!later.append) {
    *this = std::move(later);
    return;
  }
  for (auto& p : later.parts) parts.push_back(std::move(p));
}

namespace {
// "MTCP1", 'R' or 'A', then per part its length in decimal, ':' and its bytes.
constexpr std::string_view kUpdateMagic = "MTCP1";
}  // namespace

std::string EncodeCheckpointUpdate(const CheckpointUpdate& u) {
  std::string out(kUpdateMagic);
  out += u.append ? 'A' : 'R';
  for (const auto& p : u.parts) {
    out += std::to_string(p.size());
    out += ':';
    out += p;
  }
  return out;
}

CheckpointUpdate DecodeCheckpointUpdate(std::string_view blob) {
  auto legacy = [&] { return CheckpointUpdate::Replace(std::string(blob)); };
  if (blob.substr(0, kUpdateMagic.size()) != kUpdateMagic || blob.size() == kUpdateMagic.size())
    return legacy();
  CheckpointUpdate u;
  const char mode = blob[kUpdateMagic.size()];
  if (mode != 'A' && mode != 'R') return legacy();
  u.append = mode == 'A';
  size_t i = kUpdateMagic.size() + 1;
  while (i < blob.size()) {
    const size_t colon = blob.find(':', i);
    if (colon == std::string_view::npos || colon == i || colon - i > 12) return legacy();
    size_t len = 0;
    for (size_t k = i; k < colon; ++k) {
      if (blob[k] < '0' || blob[k] > '9') return legacy();
      len = len * 10 + static_cast<size_t>(blob[k] - '0');
    }
    if (len > blob.size() - colon - 1) return legacy();
    u.parts.emplace_back(blob.substr(colon + 1, len));
    i = colon + 1 + len;
  }
  return u;
}

HeldAction HeldActionFor(const MessageRecord& r, RecordEnd held_end, int64_t held_last_seen,
                         bool held_has_sender, bool held_has_client) {
  if (held_has_sender && !r.sender) return HeldAction::kSkip;
  bool more = false;
  if (held_end == RecordEnd::kOpen)
    more = r.end != RecordEnd::kOpen || r.last_seen / kUsPerSecond > held_last_seen;
  if (held_end == RecordEnd::kSession) more = r.end == RecordEnd::kRemoved;
  if (!held_has_client && !r.client_ip.empty() && held_end != RecordEnd::kSession)
    more = more || HeldPieceActionFor(r, held_end, held_last_seen) == HeldAction::kReplace;
  return more ? HeldAction::kReplace : HeldAction::kSkip;
}

HeldAction HeldPieceActionFor(const MessageRecord& r, RecordEnd held_end, int64_t held_last_seen) {
  const bool as_far = r.last_seen / kUsPerSecond >= held_last_seen &&
                      (r.end != RecordEnd::kOpen || held_end == RecordEnd::kOpen);
  return as_far ? HeldAction::kReplace : HeldAction::kInsert;
}

StatusOr<std::vector<Block>> Store::LoadRefresh(TimeUs from, const std::vector<BlockId>& mine) {
  auto rows = LoadBlocks(from);
  if (!rows.ok()) return rows;
  std::set<BlockId> active;
  for (const Block& b : *rows) active.insert(IdOf(b));
  std::vector<BlockId> ended;  // ended in the store, or not saved yet
  for (const BlockId& id : mine)
    if (active.count(id) == 0) ended.push_back(id);
  if (ended.empty()) return rows;
  auto theirs = LoadBlocksOf(ended);
  if (!theirs.ok()) return theirs.status();
  for (Block& b : *theirs) rows->push_back(std::move(b));
  return rows;
}

StatusOr<int64_t> Store::CountMatches(const SearchQuery& q) {
  SearchQuery all = q;
  all.limit = INT64_MAX;
  int64_t n = 0;
  if (Status st = Search(all, [&n](MessageRecord&&) { ++n; }); !st.ok()) return st;
  return n;
}

StatusOr<MatchCount> Store::CountMatchesUpTo(const SearchQuery& q, int64_t cap, int64_t) {
  MatchCount c;
  if (Status st = CountBySearch(q, cap, &c.n); !st.ok()) return st;
  return c;
}

Status Store::CountBySearch(const SearchQuery& q, int64_t cap, int64_t* n) {
  SearchQuery some = q;
  some.limit = cap;
  some.after.reset();
  return Search(some, [n](MessageRecord&&) { ++*n; });
}

std::optional<Detail> DetailFromName(std::string_view name) {
  if (name == "minimal") return Detail::kMinimal;
  if (name == "standard") return Detail::kStandard;
  if (name == "full") return Detail::kFull;
  return std::nullopt;
}

const char* DetailName(Detail d) {
  switch (d) {
    case Detail::kMinimal:
      return "minimal";
    case Detail::kStandard:
      return "standard";
    case Detail::kFull:
      return "full";
  }
  return "standard";
}

namespace {
using Opener = StatusOr<std::unique_ptr<Store>> (*)(std::string_view rest, const StoreOptions&);

StatusOr<std::unique_ptr<Store>> OpenSqlite(std::string_view path, const StoreOptions& o) {
  return SqliteStore::Open(std::string(path), o.detail, o.create_missing, o.dictionary_cache,
                           o.sqlite_cache_mb, o.read_only, o.sqlite_mmap_mb, o.clock);
}

StatusOr<std::unique_ptr<Store>> OpenMysql(std::string_view rest, const StoreOptions& o) {
  auto target = ParseMysqlUrl(rest);
  if (!target.ok()) return target.status();
  std::string password;
  if (!o.password_file.empty()) {
    auto p = ReadPasswordFile(o.password_file);
    if (!p.ok()) return p.status();
    password = std::move(*p);
  }
  MysqlStore::Options mo;
  mo.detail = o.detail;
  mo.migrate = o.migrate;
  mo.dictionary_cache = o.dictionary_cache;
  mo.clock = o.clock;
  mo.log = o.log;
  // Writers get an agent row; readers none.
  if (o.as_writer) mo.agent_name = o.agent_name.empty() ? MachineName("mailtrail") : o.agent_name;
  if (!o.as_writer) mo.timeout_seconds = 600;  // a report may scan for long
  if (!o.spool_path.empty()) {
    mo.start_offline = true;
    // The spool waits out outages; a batch only retries once (a connection
    // that went stale between batches), so that a stop never waits long.
    mo.reconnect_attempts = 1;
  }
  auto store = MysqlStore::Open(*target, password, mo);
  if (!store.ok()) return store.status();
  std::unique_ptr<Store> primary = std::move(*store);
  if (o.spool_path.empty()) return primary;
  SpoolStore::Options so;
  so.max_bytes = o.spool_max_bytes;
  so.owner = "agent " + mo.agent_name;
  so.clock = o.clock;  // the drain's retry waits
  auto spool = SpoolStore::Open(std::move(primary), o.spool_path, so);
  if (!spool.ok()) return spool.status();
  return std::unique_ptr<Store>(std::move(*spool));
}

// The explicit table of backends (docs/style.md rule 7).
constexpr struct {
  std::string_view scheme;
  Opener open;
} kBackends[] = {
    {"sqlite:", OpenSqlite},
    {"mysql://", OpenMysql},
};
}  // namespace

StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view url, const StoreOptions& options) {
  for (const auto& b : kBackends) {
    if (url.substr(0, b.scheme.size()) == b.scheme)
      return b.open(url.substr(b.scheme.size()), options);
  }
  if (url.find("://") != std::string_view::npos)
    return Status::InvalidArgument(
        "unsupported store URL (known: sqlite:PATH, mysql://USER@HOST[:PORT]/DB)");
  return OpenSqlite(url, options);
}

StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view url, Detail detail, bool writer) {
  StoreOptions o;
  o.detail = detail;
  o.create_missing = writer;
  o.as_writer = writer;
  return OpenStore(url, o);
}

}  // namespace mailtrail
