// Versioned DDL embedded at build time. Migration i (0-based) brings a database
// from schema version i to i+1 (SQLite: PRAGMA user_version; MySQL: the
// schema_version row of mailtrail_meta).
#ifndef MAILTRAIL_SCHEMA_SCHEMA_H_
#define MAILTRAIL_SCHEMA_SCHEMA_H_

namespace mailtrail {
extern const char* const kSqliteMigrations[];
extern const int kSqliteMigrationCount;
// One statement per ";" at the end of a line (agent/store/mysql_schema.cc splits them).
extern const char* const kMysqlMigrations[];
extern const int kMysqlMigrationCount;
}  // namespace mailtrail

#endif  // MAILTRAIL_SCHEMA_SCHEMA_H_
