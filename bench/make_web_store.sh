#!/bin/sh
# Builds the store that bench/web_bench.py measures issue 21's console targets on:
# a generated Postfix log spanning 7 days with about 10M recipient rows, replayed
# into SQLite at standard detail.  Usage:
#
#   bench/make_web_store.sh OUT_DIR [MAILTRAIL_BINARY]
#
# Writes OUT_DIR/web10m.log (~64M lines, ~10 GB) and OUT_DIR/web10m.db, and prints
# how long each step took.  Put OUT_DIR outside the repository.  Both steps run at
# nice 10, one after the other (one core at a time), so builders beside it keep going.
# MESSAGES and RATE may be set in the environment to make a smaller store with the
# same shape (the defaults: 7M accepted messages at 11.6/s = 7 days).
#
# Disk: besides the ~10 GB log, the replay needs room for the store (~3 GB) and
# its WAL, which a bulk load checkpoints every 16,384 pages (kBulkWalPages in
# agent/store/sqlite_store.cc): about 300 MiB (docs/benchmarks.md, "The WAL of
# a large replay").  Before that bound the WAL grew with the load (19.4 GB after
# 2.35M records, 2026-12-03).
set -eu
out=${1:?usage: make_web_store.sh OUT_DIR [MAILTRAIL_BINARY]}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${2:-$here/build/mailtrail}
messages=${MESSAGES:-7000000}
rate=${RATE:-11.6}
start=${START:-2026-11-20 00:00:00}
year=${start%%-*}
mkdir -p "$out"
log=$out/web10m.log
db=$out/web10m.db

t0=$(date +%s)
nice -n 10 python3 "$here/tests/tools/gen_postfix_log.py" --messages "$messages" --seed 10 \
  --rate "$rate" --start "$start" --stats >"$log"
t1=$(date +%s)
echo "generated $(wc -l <"$log") lines, $(du -h "$log" | cut -f1), in $((t1 - t0)) s"

rm -f "$db" "$db-wal" "$db-shm"
nice -n 10 /usr/bin/time -v "$bin" replay --quiet --store "sqlite:$db" --year "$year" "$log" \
  2>"$out/replay-time.txt"
t2=$(date +%s)
echo "replayed in $((t2 - t1)) s; peak RSS $(grep 'Maximum resident' "$out/replay-time.txt" | awk '{print $NF}') KiB"
echo "store $(du -h "$db" | cut -f1): $db"
