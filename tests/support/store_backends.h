// The stores every backend-neutral store test runs on: SQLite in a temporary
// directory, MySQL in a fresh database of the real MariaDB the tests start
// (tests/support/mariadb.h).
#ifndef MAILTRAIL_TESTS_SUPPORT_STORE_BACKENDS_H_
#define MAILTRAIL_TESTS_SUPPORT_STORE_BACKENDS_H_

#include <functional>
#include <ostream>
#include <string>

#include "tests/support/mariadb.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {

struct StoreBackend {
  const char* name;
  std::function<std::string(const TempDir&)> url;  // a fresh, empty store
};

inline const StoreBackend kStoreBackends[] = {
    {"sqlite", [](const TempDir& dir) { return "sqlite:" + dir.File("t.db"); }},
    {"mysql", [](const TempDir&) { return TestMariaDb::Get().NewDatabase(); }},
};

inline void PrintTo(const StoreBackend& b, std::ostream* os) { *os << b.name; }

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_STORE_BACKENDS_H_
