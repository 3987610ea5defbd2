#!/bin/bash
# What an FTS5 trigram index over message.subject would give the console's
# subject-substring search (issue 21 item 9), in pure SQL with the sqlite3 CLI,
# on a COPY of a store (the index is added to the file given):
#
#   cp web10m.db /tmp/copy.db && bench/fts_trigram.sh /tmp/copy.db meeting invoice 'ticket 99'
#
# Prints the index's build time and size, then per substring the time of the
# console's query as it is today (a scan: instr(lower(subject)) in first_seen
# order, LIMIT 101, plus the capped count) and of the same page and count
# through the trigram index.  Each query runs 3 times (the first warms the cache);
# sqlite3's .timer gives the real time of each.
set -euo pipefail
db=${1:?usage: fts_trigram.sh COPY.db SUBSTRING...}
shift
sql() { sqlite3 -batch "$db" "$@"; }
before=$(stat -c %s "$db")
t0=$(date +%s.%N)
sql "CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(subject, content='message',
       content_rowid='id', tokenize='trigram');
     INSERT INTO message_fts(message_fts) VALUES('rebuild');
     VACUUM;"
t1=$(date +%s.%N)
after=$(stat -c %s "$db")
echo "fts5 trigram build (rebuild + VACUUM): $(echo "$t1 - $t0" | bc -l | cut -c1-6) s;" \
  "file $((before / 1048576)) -> $((after / 1048576)) MiB (+$(((after - before) / 1048576)) MiB)"
for s in "$@"; do
  esc=${s//\'/\'\'}
  fts=${esc//\"/\"\"}
  scan="SELECT count(*) FROM (SELECT id FROM message WHERE instr(lower(subject), lower('$esc')) > 0
          ORDER BY first_seen, id LIMIT 101);
        SELECT count(*) FROM (SELECT 1 FROM message WHERE instr(lower(subject), lower('$esc')) > 0 LIMIT 10001);"
  idx="SELECT count(*) FROM (SELECT id FROM message WHERE id IN
          (SELECT rowid FROM message_fts WHERE message_fts MATCH '\"$fts\"') ORDER BY first_seen, id LIMIT 101);
        SELECT count(*) FROM (SELECT 1 FROM message_fts WHERE message_fts MATCH '\"$fts\"' LIMIT 10001);"
  for kind in scan idx; do
    q=${!kind}
    out=$(printf '.timer on\n%s\n%s\n%s\n' "$q" "$q" "$q" | sqlite3 -batch "$db" 2>&1)
    # 6 statements: page, count, x3.  Keep the last two (warm) real times.
    times=$(echo "$out" | awk '/^Run Time/ {print $4}' | tail -2 | paste -sd+ | bc -l)
    rows=$(echo "$out" | grep -v '^Run Time' | tail -2 | paste -sd' ')
    printf '%-24s %-5s page+count %7.3f s  (page rows, count: %s)\n' "'$s'" "$kind" "$times" "$rows"
  done
done
