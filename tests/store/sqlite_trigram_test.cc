// The subject index's queries (agent/store/sqlite_subject_index.cc): a
// needle's phrase, and its every-third trigram terms, which name a superset
// of the phrase's matches (the search checks each candidate with instr()).
// Checked on a real FTS5 trigram table in memory.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <string>
#include <vector>

#include "agent/store/sqlite_trigram.h"

namespace mailtrail {
namespace {

TEST(TrigramTerms, EveryThirdTrigramAndTheLast) {
  EXPECT_EQ(TrigramTerms("abcdefgh"), "\"abc\" AND \"def\" AND \"fgh\"");
  EXPECT_EQ(TrigramTerms("abcdef"), "\"abc\" AND \"def\"");
  EXPECT_EQ(TrigramTerms("abcd"), "\"abc\" AND \"bcd\"");
  EXPECT_EQ(TrigramTerms("abc"), "\"abc\"");
  EXPECT_EQ(TrigramTerms("ab"), "");
  EXPECT_EQ(TrigramTerms("a\"b\"c"), "\"a\"\"b\" AND \"b\"\"c\"");
  // Code points, not bytes: f ü r m ä (ü and ä two bytes each).
  EXPECT_EQ(TrigramTerms("f\xc3\xbcrm\xc3\xa4"), "\"f\xc3\xbcr\" AND \"rm\xc3\xa4\"");
  EXPECT_EQ(TrigramTerms("ab\xc3"), "") << "not UTF-8: the scan";
  EXPECT_EQ(TrigramTerms(std::string("ab\0cd", 5)), "") << "a NUL: the scan";
}

class TrigramIndex : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db_, "CREATE VIRTUAL TABLE t USING fts5(s, tokenize='trigram')", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
  }
  void TearDown() override { sqlite3_close(db_); }
  void Add(const std::string& s) {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, "INSERT INTO t (s) VALUES (?)", -1, &st, nullptr), SQLITE_OK);
    sqlite3_bind_text(st, 1, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
  }
  std::set<int64_t> Match(const std::string& query) {
    std::set<int64_t> out;
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, "SELECT rowid FROM t WHERE t MATCH ?", -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(st, 1, query.data(), static_cast<int>(query.size()), SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.insert(sqlite3_column_int64(st, 0));
    EXPECT_EQ(rc, SQLITE_DONE) << query << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(st);
    return out;
  }
  sqlite3* db_ = nullptr;
};

// Every substring of every subject, as a needle: the terms name every
// subject the phrase names (and the phrase every one holding the needle).
TEST_F(TrigramIndex, TheTermsNameEverySubjectThePhraseNames) {
  const std::vector<std::string> subjects = {
      "Undelivered Mail Returned to Sender",
      "Build #12345 failed on \"main\"",
      "RE: Rechnung f\xc3\xbcr M\xc3\x84RZ",
      "\xd0\x96\xd0\xa3\xd0\xa0\xd0\x9d\xd0\x90\xd0\x9b \xd0\xb7\xd0\xb0\xd0\xba\xd0\xb0\xd0\xb7",
      "ticket 4711 \xf0\x9f\x93\xa6 shipped",
      "aaaaaaaa bbbbbbbb aaaa",
      "say \"hello\" AND NOT world*",
  };
  for (const std::string& s : subjects) Add(s);
  int needles = 0;
  for (const std::string& s : subjects) {
    for (size_t from = 0; from < s.size(); ++from) {
      for (size_t len = 3; from + len <= s.size() && len <= 20; ++len) {
        const std::string needle = s.substr(from, len);
        const std::string terms = TrigramTerms(needle);
        if (terms.empty()) continue;  // cut inside a character
        const std::set<int64_t> phrase = Match(TrigramPhrase(needle));
        const std::set<int64_t> candidates = Match(terms);
        for (int64_t id : phrase)
          EXPECT_TRUE(candidates.count(id)) << "'" << needle << "': " << terms << " misses " << id;
        EXPECT_FALSE(phrase.empty()) << needle;
        ++needles;
      }
    }
  }
  EXPECT_GT(needles, 1000);
}

}  // namespace
}  // namespace mailtrail
