// Versioned DDL embedded at build time. Migration i (0-based) brings a database
// from schema version i to i+1 (SQLite: PRAGMA user_version).
#ifndef MAILTRAIL_SCHEMA_SCHEMA_H_
#define MAILTRAIL_SCHEMA_SCHEMA_H_

namespace mailtrail {
extern const char* const kSqliteMigrations[];
extern const int kSqliteMigrationCount;
}  // namespace mailtrail

#endif  // MAILTRAIL_SCHEMA_SCHEMA_H_
