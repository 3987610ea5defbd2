// SqliteStepBudget and SqliteBudgetPause on a real in-memory SQLite: a budget
// stops a long statement; a pause lets one run whole, and pauses nest (the
// budget counts again only when the outermost ends). FindRelayNames pauses
// inside a page's budget, and an error there may pause again (FailsQuickCheck).
#include <gtest/gtest.h>

#include "agent/store/sqlite_db.h"

namespace mailtrail {
namespace {

// A statement of about 10M instructions.
constexpr const char* kLong =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)"
    " SELECT count(*) FROM n";

// Whether kLong runs to its end on `db`.
bool RunsWhole(SqliteDb* db) {
  auto st = db->Prepare(kLong);
  EXPECT_TRUE(st.ok());
  return st.ok() && st->Step() == SQLITE_ROW && st->Int(0) == 300000;
}

TEST(SqliteBudget, PausesNest) {
  SqliteDb db;
  ASSERT_TRUE(db.Open(":memory:", true).ok());
  SqliteStepBudget budget(&db, 100000);
  EXPECT_FALSE(RunsWhole(&db)) << "the budget stops it";
  EXPECT_TRUE(budget.spent());
  {
    SqliteBudgetPause outer(&db);
    EXPECT_TRUE(RunsWhole(&db));
    {
      SqliteBudgetPause inner(&db);
      EXPECT_TRUE(RunsWhole(&db));
    }
    EXPECT_TRUE(RunsWhole(&db)) << "still paused after the inner pause";
  }
  EXPECT_FALSE(RunsWhole(&db)) << "counted again after the outer one";
}

TEST(SqliteBudget, ABudgetMadeDuringAPauseWaitsForItsEnd) {
  SqliteDb db;
  ASSERT_TRUE(db.Open(":memory:", true).ok());
  {
    SqliteBudgetPause pause(&db);
    SqliteStepBudget budget(&db, 100000);
    EXPECT_TRUE(RunsWhole(&db));
    EXPECT_FALSE(budget.spent());
  }
  EXPECT_TRUE(RunsWhole(&db)) << "no budget after both ended";
}

}  // namespace
}  // namespace mailtrail
