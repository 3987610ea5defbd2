// The FTS5 queries of SQLite's subject index (schema 11: a trigram index of
// the subjects; agent/store/sqlite_subject_index.cc). Pure.
#ifndef MAILTRAIL_AGENT_STORE_SQLITE_TRIGRAM_H_
#define MAILTRAIL_AGENT_STORE_SQLITE_TRIGRAM_H_

#include <string>

namespace mailtrail {

// The substring `needle` as one FTS5 phrase, its quotes doubled: it matches
// the texts that hold it anywhere, in any case.
std::string TrigramPhrase(const std::string& needle);

// `needle`'s trigrams, every third and the last, as an FTS5 AND of terms: a
// superset of the phrase's matches (each trigram anywhere, in any order),
// cheaper to read (a third of the doclists, no positions compared); "" for a
// needle of fewer than 3 code points, or one that is not valid UTF-8 or holds
// a NUL (the index cannot answer those).
std::string TrigramTerms(const std::string& needle);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_SQLITE_TRIGRAM_H_
