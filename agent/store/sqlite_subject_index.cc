// SqliteStore's subject index (schema 11, an FTS5 trigram index of the
// subjects): which substrings are rare enough to be searched through it, and
// when a common one's total is counted from it (docs/web.md).
#include <algorithm>
#include <string>
#include <vector>

#include "agent/store/sqlite_store.h"
#include "base/text.h"

namespace mailtrail {

// An FTS5 query for the substring `needle`: one phrase, its quotes doubled.
// With the trigram tokenizer a phrase matches the texts that hold it
// anywhere, in any case (Unicode case folding, coarser than mt_lower's, so
// the messages it names include every one that instr(mt_lower(...)) takes).
std::string SqliteStore::TrigramPhrase(const std::string& needle) {
  std::string out = "\"";
  for (char c : needle) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

namespace {
// The code points of `s`; -1 when it is not valid UTF-8 or holds a NUL (the
// trigram tokenizer stops at a NUL and joins stray continuation bytes to the
// character before: such a needle is searched by the scan).
int64_t CodePoints(const std::string& s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
    if (c == 0 || len == 0 || (len == 2 && c < 0xC2) || i + len > s.size()) return -1;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return -1;
    i += len;
    ++n;
  }
  return n;
}
}  // namespace

// A substring is rare when fewer than kRareSubjects subjects hold it: the
// trigram index then names its messages in a few milliseconds, and a search
// reads only those. A common one (or one of fewer than 3 characters, which
// has no trigram) is found as before the index, by reading messages in time
// order until enough match: a page of a common substring fills after a few
// rows, where the index would name every one of its messages first.
StatusOr<SqliteStore::MessageIds> SqliteStore::RareSubjectIds(const std::string& needle) {
  if (CodePoints(needle) < 3) return MessageIds();
  auto version = DataVersion();
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
  const std::string phrase = TrigramPhrase(needle);
  st->BindText(1, phrase);
  std::vector<int64_t> ids;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) ids.push_back(st->Int(0));
  if (rc != SQLITE_DONE) return db_.Error("subjects by trigram");
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
