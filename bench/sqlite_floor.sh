#!/bin/bash
# The floor of SQLite's own work for a store's rows (issue 23 item 2): copies
# the message, rcpt and dict rows of STORE into a fresh database with the same
# tables, page size and journal settings, by INSERT ... SELECT in one
# transaction (no statements to bind, no dictionary to look up, no indexes),
# then builds the store's indexes and its subject index as a bulk load does.
# That is less work than any writer of those rows can do; a replay into SQLite
# cannot take less time than these two steps.
# usage: bench/sqlite_floor.sh STORE.db [LINES]   (LINES: the log's, for rates)
# Needs the sqlite3 shell (Debian: sqlite3), the same SQLite as the binary's.
set -euo pipefail
src=$1 lines=${2:-0}
dst=$(mktemp -d)/floor.db
trap 'rm -rf "$(dirname "$dst")"' EXIT
now() { date +%s.%N; }

tables=$(sqlite3 "$src" "SELECT group_concat(sql, ';' || char(10)) || ';' FROM sqlite_schema
  WHERE type = 'table' AND name IN ('message', 'rcpt', 'dict')")
indexes=$(sqlite3 "$src" "SELECT group_concat(sql, ';' || char(10)) || ';' FROM sqlite_schema
  WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('message', 'rcpt', 'dict')")
fts=$(sqlite3 "$src" "SELECT sql || ';' FROM sqlite_schema WHERE name = 'subject_fts'")
# The store's settings (agent/store/sqlite_store.cc) and its index build's
# (agent/store/sqlite_bulk.cc).
sqlite3 "$dst" "PRAGMA page_size=16384; PRAGMA journal_mode=WAL;" > /dev/null
sqlite3 "$dst" "$tables $fts"
settings="PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA threads=2;"

t0=$(now)
sqlite3 "$dst" "$settings ATTACH '$src' AS s; BEGIN;
  INSERT INTO dict SELECT * FROM s.dict;
  INSERT INTO message SELECT * FROM s.message;
  INSERT INTO rcpt SELECT * FROM s.rcpt;
  COMMIT; PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
t1=$(now)
sqlite3 "$dst" "$settings PRAGMA cache_size=-4096; $indexes PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
t2=$(now)
sqlite3 "$dst" "$settings
  INSERT INTO subject_fts (subject_fts, rank) VALUES ('hashsize', 16777216);
  INSERT INTO subject_fts (rowid, subject) SELECT id, subject FROM message WHERE subject IS NOT NULL;
  INSERT INTO subject_fts (subject_fts, rank) VALUES ('hashsize', 1048576);
  PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
t3=$(now)

records=$(sqlite3 "$src" "SELECT count(*) FROM message")
rate() { [ "$lines" -gt 0 ] && printf " (%.0fk lines/s)" "$(echo "$lines / $1 / 1000" | bc -l)" || true; }
rows=$(echo "$t1 - $t0" | bc -l) idx=$(echo "$t2 - $t1" | bc -l) sub=$(echo "$t3 - $t2" | bc -l)
all=$(echo "$t3 - $t0" | bc -l)
printf "records %s\n" "$records"
printf "rows (INSERT ... SELECT, one transaction) %.2f s\n" "$rows"
printf "B-tree indexes %.2f s\n" "$idx"
printf "subject index %.2f s\n" "$sub"
printf "total %.2f s%s\n" "$all" "$(rate "$all")"
