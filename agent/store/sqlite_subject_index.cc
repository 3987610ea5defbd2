// SqliteStore's subject index (schema 11, an FTS5 trigram index of the
// subjects): which substrings are rare enough to be searched through it, and
// when a common one's total is counted from it (docs/web.md).
#include <algorithm>
#include <string>
#include <vector>

#include "agent/store/sqlite_store.h"
#include "agent/store/sqlite_trigram.h"
#include "base/text.h"

namespace mailtrail {

// A substring is rare when fewer than kRareSubjects subjects hold it: the
// trigram index then names its messages in a few milliseconds, and a search
// reads only those. A common one (or one of fewer than 3 characters, which
// has no trigram) is found as before the index, by reading messages in time
// order until enough match: a page of a common substring fills after a few
// rows, where the index would name every one of its messages first.
StatusOr<SqliteStore::MessageIds> SqliteStore::RareSubjectIds(const std::string& needle) {
  const std::string terms = TrigramTerms(needle);
  if (terms.empty()) return MessageIds();
  auto version = IntPragma("data_version");
  if (!version.ok()) return version.status();
  if (subject_seen_.data_version == *version && subject_seen_.needle == needle)
    return subject_seen_.ids;
  // During a bulk load (and after one that crashed, until a writer's open
  // repairs it) the index is empty and its triggers wait in meta: the scan.
  auto deferred = db_.Prepare("SELECT 1 FROM meta WHERE key = 'deferred_index:subject_fts'");
  if (!deferred.ok()) return deferred.status();
  const int waiting = deferred->Step();
  if (waiting != SQLITE_ROW && waiting != SQLITE_DONE) return db_.Error("read meta");
  if (waiting == SQLITE_ROW) {
    subject_seen_ = {*version, needle, MessageIds(), false};
    return MessageIds();
  }
  auto st = db_.Prepare("SELECT rowid FROM subject_fts WHERE subject_fts MATCH ?1 LIMIT " +
                        std::to_string(kRareSubjects));
  if (!st.ok()) return st.status();
  // First the subjects holding every third trigram anywhere (a superset of
  // the phrase's: each candidate is checked by instr() in the search): a
  // third of the doclists, no positions compared, 9-21 ms against 24-87 ms
  // for the phrase on the 7-day store (docs/benchmarks.md). Only when that
  // many are common is the phrase asked, to tell rare from common.
  std::vector<int64_t> ids;
  for (const std::string& query : {terms, TrigramPhrase(needle)}) {
    st->Reset();
    st->BindText(1, query);
    ids.clear();
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) ids.push_back(st->Int(0));
    if (rc != SQLITE_DONE) return db_.Error("subjects by trigram");
    if (static_cast<int64_t>(ids.size()) < kRareSubjects) break;
  }
  MessageIds out;
  const bool common = static_cast<int64_t>(ids.size()) >= kRareSubjects;
  if (!common) out = std::move(ids);
  subject_seen_ = {*version, needle, out, common};
  return out;
}

StatusOr<bool> SqliteStore::CountsBySubjectIndex(const SearchQuery& q) {
  if (!q.subject || q.sender || q.recipient || q.qid || q.message_id || q.client_ip || q.helo ||
      q.sasl_username)
    return false;
  // BuildWhere asked RareSubjectIds for this needle just before.
  if (subject_seen_.needle != LowerUtf8(*q.subject) || !subject_seen_.common) return false;
  if (!q.since && !q.until) return true;
  // The index names the substring's messages in id order, whatever their
  // time: for a window of an hour of a week, most would be read for nothing
  // (2.2 s against 0.03 s in time order, docs/benchmarks.md).
  auto span = TimeSpan();
  if (!span.ok()) return span.status();
  if (!*span) return false;
  const int64_t first = (*span)->first, last = (*span)->second;
  const int64_t from = std::max(first, q.since ? *q.since / kUsPerSecond : first);
  const int64_t to = std::min(last, q.until ? *q.until / kUsPerSecond : last);
  return 2 * (to - from) >= last - first;
}

}  // namespace mailtrail
