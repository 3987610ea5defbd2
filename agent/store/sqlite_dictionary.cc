// SqliteStore's dictionary: repeated texts (addresses, host names, SASL users)
// stored once and referenced by id; a bounded cache in front of the table.
#include "agent/store/sqlite_codec.h"
#include "agent/store/sqlite_store.h"

namespace mailtrail {

int64_t SqliteStore::DictId(DictKind kind, std::string_view text) {
  // Consecutive records often repeat a value (the host, "local", a relay).
  if (last_id_[kind] != 0 && last_text_[kind] == text) return last_id_[kind];
  const int64_t id = LookupOrInsert(kind, text);
  if (id == 0) {
    dict_failed_ = true;
    return 0;
  }
  last_text_[kind].assign(text);
  last_id_[kind] = id;
  return id;
}

int64_t SqliteStore::LookupOrInsert(DictKind kind, std::string_view text) {
  DictCache& cache = dict_cache_[kind];
  const DictCache::Key key = DictCache::KeyOf(text);
  if (const int64_t cached = cache.Find(key)) return cached;
  const int64_t hash = DictHash(kind, text);
  int64_t id;
  // New for sure when every text of the table went through this cache (a fresh
  // or fully loaded dictionary) and either nothing was ever dropped from it or
  // its filter has never seen this text. Otherwise the table must be asked.
  int rc = SQLITE_DONE;
  if (!bloom_valid_ || (cache.dropped() && cache.MaybeSeen(key))) {
    if (dict_index_deferred_) {  // the question needs the index a bulk load dropped
      dict_index_deferred_ = false;
      if (!RestoreDeferredIndexes("dict").ok()) return 0;
    }
    select_dict_.Reset();
    select_dict_.BindInt(1, hash);
    select_dict_.BindInt(2, kind);
    select_dict_.BindText(3, text);
    rc = select_dict_.Step();
  }
  if (rc == SQLITE_ROW) {
    id = select_dict_.Int(0);
    select_dict_.Reset();  // no statement may stay active: DDL can follow (overflow)
  } else if (rc == SQLITE_DONE) {
    insert_dict_.Reset();
    insert_dict_.BindInt(1, kind);
    insert_dict_.BindInt(2, hash);
    insert_dict_.BindText(3, text);
    if (insert_dict_.Step() != SQLITE_DONE) return 0;
    id = sqlite3_last_insert_rowid(db_.get());
  } else {
    return 0;
  }
  cache.Insert(key, id);
  return id;
}

void SqliteStore::ForgetDictionary() {
  for (auto& c : dict_cache_) c.Clear();
  for (auto& id : last_id_) id = 0;
  bloom_valid_ = false;
}

// Before the first write: a dictionary small enough is loaded whole, so that a
// new text costs one INSERT instead of a failed SELECT and an INSERT.
Status SqliteStore::LoadDictionary() {
  dict_loaded_ = true;
  // What the cache holds is as of this purge count (ForgetDictionaryAfterPurge).
  auto purges = DictPurges();
  if (!purges.ok()) return purges.status();
  dict_purges_ = std::move(*purges);
  auto count = db_.Prepare("SELECT count(*) FROM dict");
  if (!count.ok()) return count.status();
  if (count->Step() != SQLITE_ROW) return db_.Error("count dictionary");
  if (count->Int(0) > static_cast<int64_t>(dict_cache_limit_)) return Status::Ok();
  auto all = db_.Prepare("SELECT id, kind, text FROM dict");
  if (!all.ok()) return all.status();
  int rc;
  while ((rc = all->Step()) == SQLITE_ROW) {
    const int64_t kind = all->Int(1);
    if (kind >= 1 && kind < 5) dict_cache_[kind].Insert(all->Text(2), all->Int(0));
  }
  if (rc != SQLITE_DONE) return db_.Error("load dictionary");
  bloom_valid_ = true;
  return Status::Ok();
}

}  // namespace mailtrail
