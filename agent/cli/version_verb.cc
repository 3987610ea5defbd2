// mailtrail --version: what a bug report needs. The version and the git
// revision it was built from (at CMake's configure time), the store schema
// versions this binary writes, and the versions of the libraries it runs with
// (read from the libraries themselves, not from their headers, where they can
// tell: the loaded .so is what matters).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sqlite3.h>
#include <uv.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <string>

#include "agent/cli/verbs.h"
#include "schema/schema.h"

namespace mailtrail::cli {

const VerbSpec kVersionVerb = {
    "--version",
    "the version, git revision, store schema versions and library versions",
    "",
    {kHelpFlag},
};

int VersionMain(const std::vector<std::string>& argv, const Clock&) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kVersionVerb, argv, &parsed)) return *exit;
  char pcre2[64] = "?";
  pcre2_config(PCRE2_CONFIG_VERSION, pcre2);
  std::printf("mailtrail %s (git %s)\n", MAILTRAIL_VERSION, MAILTRAIL_GIT_REVISION);
  std::printf("store schema: SQLite %d, MySQL %d\n", kSqliteMigrationCount, kMysqlMigrationCount);
  std::printf("libraries: SQLite %s, zlib %s, zstd %s, libuv %s, PCRE2 %s\n", sqlite3_libversion(),
              zlibVersion(), ZSTD_versionString(), uv_version_string(), pcre2);
  return kExitOk;
}

}  // namespace mailtrail::cli
