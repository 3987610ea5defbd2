#!/bin/bash
# The largest WAL a replay into a fresh SQLite store makes, and its time.
# usage: bench/replay_wal.sh MAILTRAIL LOG [WORK_DIR]
# Replays LOG (`--year 2026`) into WORK_DIR/replay_wal.db (removed after),
# sampling the WAL file's size every second (docs/benchmarks.md, "The WAL of
# a large replay").
set -euo pipefail
bin=$1 log=$2 work=${3:-/tmp}
db=$work/replay_wal.db
rm -f "$db" "$db-wal" "$db-shm"
start=$(date +%s.%N)
"$bin" replay --store "sqlite:$db" --year 2026 "$log" > "$work/replay_wal.out" 2>&1 &
pid=$!
largest=0
while kill -0 "$pid" 2>/dev/null; do
  size=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
  [ "$size" -gt "$largest" ] && largest=$size
  sleep 1
done
rc=0; wait "$pid" || rc=$?
end=$(date +%s.%N)
printf 'exit %d, %.1f s, largest WAL %d MiB, database %d MiB\n' "$rc" \
  "$(echo "$end - $start" | bc)" $((largest / 1048576)) $(($(stat -c %s "$db") / 1048576))
tail -1 "$work/replay_wal.out"
rm -f "$db" "$db-wal" "$db-shm"
exit "$rc"
