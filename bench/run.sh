#!/bin/bash
# End-to-end throughput of mailtrail against wc -l, pflogsumm and a bare
# correlator (bench/bare_correlator.cc: split, a hash map by queue id, nothing
# stored: the yardstick of issue 23) on the same generated logs, in the same
# run, pair by pair, and the floor of SQLite's own work for the replay's rows
# (bench/sqlite_floor.sh: the rows copied by INSERT ... SELECT, then the
# indexes built; no writer of those rows can take less). Prints Markdown tables, the ratios first (a shared machine's
# speed varies from day to day; the ratios much less); paste them with the
# machine description into docs/benchmarks.md.
#   bench/run.sh [BUILD_DIR]      (default build; needs pflogsumm for its column)
# Logs come from tests/tools/gen_postfix_log.py (deterministic; the generator the
# tests use) or, without it, must already be in bench/data/ (gen-1M.log, gen-5M.log).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/mailtrail
data=bench/data
gen=tests/tools/gen_postfix_log.py
mkdir -p "$data"
declare -A messages=([1M]=109800 [5M]=549000)
runs=${RUNS:-3}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() {  # seconds COMMAND... -> wall seconds of one run
  local t0 t1
  t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
rate() { echo "$1 / $2" | bc -l | awk '{printf "%.0f", $1}'; }

ratio() { echo "$1 / $2" | bc -l | awk '{printf "%.2f", $1}'; }
rows=()
ratios=()
for size in 1M 5M; do
  log=$data/gen-$size.log
  if [ ! -s "$log" ]; then
    python3 "$gen" --messages "${messages[$size]}" --seed 1 > "$log"
  fi
  lines=$(wc -l < "$log")
  wc_s=$(for i in $(seq "$runs"); do seconds wc -l "$log"; done | median)
  cr=$(for i in $(seq "$runs"); do
         "$build/bench/bare_correlator" "$log" | sed -E 's/.*= ([0-9]+) lines\/s.*/\1/'
       done | median)
  if command -v pflogsumm > /dev/null; then
    pf_s=$(seconds pflogsumm "$log")
    pf="$(rate "$lines" "$pf_s") lines/s"
    pf_ratio=$(ratio "$(rate "$lines" "$pf_s")" "$cr")
  else
    pf="(not installed)"
    pf_ratio="-"
  fi
  pt=$(for i in $(seq "$runs"); do
         "$build/bench/parse_track" "$log" --year 2024 | sed -E 's/.*= ([0-9]+) lines\/s.*/\1/'
       done | median)
  db=$data/replay.db
  rp_s=$(for i in $(seq "$runs"); do
           rm -f "$db" "$db-wal" "$db-shm"
           seconds "$bin" replay --quiet --store "sqlite:$db" --year 2024 "$log"
         done | median)
  rm -f "$db" "$db-wal" "$db-shm"
  rss=$( { /usr/bin/time -f '%M' "$bin" replay --quiet --store "sqlite:$db" --year 2024 "$log"; } 2>&1 | tail -1)
  fl_s=$(for i in $(seq "$runs"); do
           bench/sqlite_floor.sh "$db" | sed -nE 's/^total ([0-9.]+) s.*/\1/p'
         done | median)
  rm -f "$db" "$db-wal" "$db-shm"
  rp=$(rate "$lines" "$rp_s")
  fl=$(rate "$lines" "$fl_s")
  rows+=("| gen-$size | $lines | $(rate "$lines" "$wc_s") lines/s | $cr lines/s | $pf | $pt lines/s | $rp lines/s | $fl lines/s | $((rss / 1024)) MiB |")
  ratios+=("| gen-$size | $(ratio "$(rate "$lines" "$wc_s")" "$cr") | 1 | $pf_ratio | $(ratio "$pt" "$cr") | $(ratio "$rp" "$cr") | $(ratio "$fl" "$cr") |")
done
echo "Speed relative to the bare correlator in the same run (higher is faster):"
echo
echo "| log | wc -l | bare correlator | pflogsumm | parse+track (1 core) | replay → SQLite, standard | SQLite's floor for its rows |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ratios[@]}"
echo
echo "| log | lines | wc -l | bare correlator | pflogsumm | parse+track (1 core) | replay → SQLite, standard | SQLite's floor | replay peak RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"

echo
echo "| detail | records/s into SQLite (writer alone) | bytes per message (data + indexes + dictionary) |"
echo "|---|---:|---:|"
for d in minimal standard full; do
  out=$("$build/bench/store_write" "$data/gen-1M.log" "$data/store.db" "$d" --year 2024 | grep " detail: ")
  rs=$(sed -E 's/.*= ([0-9]+) records\/s.*/\1/' <<< "$out")
  bpm=$(sed -E 's/.* = ([0-9.]+) bytes\/record.*/\1/' <<< "$out")
  echo "| $d | $rs | $bpm |"
  rm -f "$data/store.db" "$data/store.db-wal" "$data/store.db-shm"
done
